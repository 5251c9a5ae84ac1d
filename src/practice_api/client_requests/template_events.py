"""Event types of the firm's client request templates (activity log and webhooks only)."""

from __future__ import annotations

import uuid

from pydantic import Field

from practice_api.events.catalogue import ChangesPayload, EventType, text
from practice_api.events.registry import EventRegistry


class ClientRequestTemplatePayload(ChangesPayload):
    template_id: uuid.UUID
    title: str
    question_count: int | None = None
    from_request_id: uuid.UUID | None = Field(
        default=None, description="On creation with save-as-template: the request."
    )


TYPES = [
    EventType(
        "client_request_template.created",
        "A client request template was added (or a request's questions saved as one).",
        ClientRequestTemplatePayload,
        text("{actor} added the client request template {title}"),
    ),
    EventType(
        "client_request_template.updated",
        "A client request template's title, description, message, questions or due rule "
        "changed (see `changes`).",
        ClientRequestTemplatePayload,
        text("{actor} changed the client request template {title}"),
    ),
    EventType(
        "client_request_template.archived",
        "A client request template was archived: no new requests from it.",
        ClientRequestTemplatePayload,
        text("{actor} archived the client request template {title}"),
    ),
    EventType(
        "client_request_template.unarchived",
        "An archived client request template was put back in use.",
        ClientRequestTemplatePayload,
        text("{actor} put the client request template {title} back in use"),
    ),
]


def register(events: EventRegistry) -> None:
    events.event_types(TYPES)
