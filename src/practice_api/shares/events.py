"""Event types of shares, and the shared users subscribed to an entity's events."""

from __future__ import annotations

import uuid

from pydantic import Field

from practice_api.events.catalogue import (
    IN_APP,
    IN_APP_AND_EMAIL,
    ChangesPayload,
    EventType,
    payload_users,
    text,
)
from practice_api.events.registry import EventRegistry
from practice_api.shares.audience import BULK_SHARE, shared_subscribers


class SharePayload(ChangesPayload):
    share_id: uuid.UUID
    user_id: uuid.UUID = Field(description="The staff user the entity is shared with.")
    user_name: str | None = None
    role: str | None = None
    notifications: list[str] = Field(
        default_factory=list,
        description="Entity events the shared user asked to be e-mailed about.",
    )


TYPES = [
    EventType(
        "share.created",
        "An entity was shared with a staff user.",
        SharePayload,
        text("{actor} shared a client with you as {role}"),
        payload_users("user_id"),
        IN_APP_AND_EMAIL,
        audience_text="the user the entity is shared with",
    ),
    EventType(
        "share.updated",
        "A share's role or notification choices changed.",
        SharePayload,
        text("{actor} changed your access to a client"),
        payload_users("user_id"),
        IN_APP,
        audience_text="the user the entity is shared with",
    ),
    EventType(
        "share.deleted",
        "An entity is no longer shared with a staff user.",
        SharePayload,
        text("{actor} stopped sharing a client with you"),
        payload_users("user_id"),
        IN_APP,
        audience_text="the user the entity was shared with",
        link="entities",
    ),
]


def register(events: EventRegistry) -> None:
    events.event_types(TYPES)
    events.audience(shared_subscribers)
    # Bulk shares (``POST /v1/shares/bulk``) tell each user once what was shared with them.
    events.bulk_side("share.created", lambda _event, _recipient: ("shared", None))
    events.bulk_side("share.updated", lambda _event, _recipient: ("updated", None))
    events.bulk_summary(
        BULK_SHARE,
        "{actor} shared {clients} with you or changed your access to them",
        shared="{actor} shared {clients} with you",
        updated="{actor} changed your access to {clients}",
    )
