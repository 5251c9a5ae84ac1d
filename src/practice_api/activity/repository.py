"""The activity log is the events table read back, newest first, scoped to one firm."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select

from practice_api.core.pagination import Ordering, PageParams
from practice_api.core.repository import FirmScopedRepository
from practice_api.events.models import Event

ACTIVITY_ORDERING = Ordering(
    fields={"occurred_at": Event.occurred_at}, id_column=Event.id, default="-occurred_at"
)


@dataclass(frozen=True)
class ActivityFilters:
    actor_id: uuid.UUID | None = None
    entity_id: uuid.UUID | None = None
    types: Sequence[str] = ()
    occurred_after: dt.datetime | None = None
    occurred_before: dt.datetime | None = None


class ActivityRepository(FirmScopedRepository[Event]):
    """The firm's events read back as its log (``readable()``: the firm's events)."""

    model = Event

    def filtered(self, filters: ActivityFilters) -> Select[Event]:
        statement = self.readable()
        if filters.actor_id is not None:
            statement = statement.where(Event.actor_id == filters.actor_id)
        if filters.entity_id is not None:
            statement = statement.where(Event.entity_id == filters.entity_id)
        if filters.types:
            statement = statement.where(Event.type.in_(list(filters.types)))
        if filters.occurred_after is not None:
            statement = statement.where(Event.occurred_at >= filters.occurred_after)
        if filters.occurred_before is not None:
            statement = statement.where(Event.occurred_at < filters.occurred_before)
        return statement

    async def firm_activity(
        self, filters: ActivityFilters, params: PageParams, order_by: str | None = None
    ) -> tuple[Sequence[Event], str | None]:
        """One page of the firm's log (``GET /v1/activity``)."""
        return await self.page(self.filtered(filters), params, ACTIVITY_ORDERING, order_by)

    async def entity_activity(
        self,
        entity_id: uuid.UUID,
        params: PageParams,
        order_by: str | None = None,
        *,
        filters: ActivityFilters | None = None,
    ) -> tuple[Sequence[Event], str | None]:
        """One page of an entity's timeline (``GET /v1/entities/{id}/activity``).

        The caller has already checked that the principal may see the entity.
        """
        scoped = dataclasses.replace(filters or ActivityFilters(), entity_id=entity_id)
        return await self.firm_activity(scoped, params, order_by)
