"""Event types of the owner list, and how an owner appears in payloads."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field

from practice_api.events.catalogue import (
    ChangesPayload,
    EventType,
    Payload,
    text,
)
from practice_api.events.registry import EventRegistry
from practice_api.owners import notifications


class OwnerRef(BaseModel):
    """How a client owner appears in payloads."""

    id: uuid.UUID
    name: str
    user_id: uuid.UUID | None = Field(
        default=None, description="The staff user behind the owner, when the owner is a user."
    )


class OwnerPayload(ChangesPayload):
    owner: OwnerRef
    entities_to: OwnerRef | None = Field(
        default=None, description="On deletion: the owner its entities went to."
    )


class OwnersTransferred(Payload):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    from_: OwnerRef | None = Field(default=None, alias="from")
    to: OwnerRef | None = Field(default=None, description="null: left unowned.")
    count: int = 0
    reason: str | None = None


TYPES = [
    EventType(
        "owners.transferred",
        "Entities were moved in bulk from one owner to another (or left unowned).",
        OwnersTransferred,
        text("{actor} transferred {count} client(s) to another owner"),
        audience_text="nobody: the old and the new owner users get one `bulk.summary` each",
        link="entities",
    ),
    EventType(
        "owner.created",
        "An owner was added to the firm's owner list.",
        OwnerPayload,
        text("{actor} added an owner to the owner list"),
        link="owner",
    ),
    EventType(
        "owner.updated",
        "An owner-list entry changed.",
        OwnerPayload,
        text("{actor} changed an owner-list entry"),
        link="owner",
    ),
    EventType(
        "owner.deleted",
        "An owner was removed from the owner list (its entities moved to `entities_to`).",
        OwnerPayload,
        text("{actor} removed an owner from the owner list"),
    ),
]


def register(events: EventRegistry) -> None:
    events.event_types(TYPES)
    notifications.register(events)
