from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from practice_api.core.pagination import Ordering, PageParams, paginate
from practice_api.core.repository import FirmScopedRepository
from practice_api.events.models import Delivery
from practice_api.webhooks.models import WebhookEndpoint

ENDPOINT_ORDERING = Ordering(
    fields={"created_at": WebhookEndpoint.created_at, "url": WebhookEndpoint.url},
    id_column=WebhookEndpoint.id,
    default="created_at",
)
DELIVERY_ORDERING = Ordering(
    fields={"created_at": Delivery.created_at}, id_column=Delivery.id, default="-created_at"
)


class WebhookEndpointRepository(FirmScopedRepository[WebhookEndpoint]):
    model = WebhookEndpoint
    not_found_code = "webhook_endpoint_not_found"
    not_found_detail = "No webhook endpoint with that id."

    async def deliveries(
        self,
        endpoint_id: uuid.UUID,
        params: PageParams,
        order_by: str | None,
        *,
        status: str | None,
    ) -> tuple[Sequence[Any], str | None]:
        """One page of the endpoint's deliveries, each with its event type (one query)."""
        statement = (
            select(Delivery)
            .options(joinedload(Delivery.event))
            .where(Delivery.firm_id == self.firm_id, Delivery.endpoint_id == endpoint_id)
        )
        if status:
            statement = statement.where(Delivery.status == status)
        return await paginate(self.session, statement, params, DELIVERY_ORDERING, order_by)
