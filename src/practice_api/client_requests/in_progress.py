"""The client requests a portal contact still has to answer, for the client area's
dashboard (``requests_in_progress``): those addressed to it on entities it still has access
to (``answering.portal_requests``, the one rule) that are not submitted yet (``pending``,
``in_progress``), in the dashboard's request shape: kind, id, entity_id, title, status,
due_date, created_at."""

from __future__ import annotations

from typing import Any

from sqlalchemy import literal

from practice_api.client_requests.answering import portal_requests
from practice_api.client_requests.models import OPEN_STATUSES, ClientRequest
from practice_api.core.principals import Principal


def open_for_contact(principal: Principal) -> Any:
    return (
        portal_requests(principal)
        .with_only_columns(
            literal("client_request").label("kind"),
            ClientRequest.id,
            ClientRequest.entity_id,
            ClientRequest.title,
            ClientRequest.status,
            ClientRequest.due_date,
            ClientRequest.created_at,
        )
        .where(ClientRequest.status.in_(OPEN_STATUSES))
    )
