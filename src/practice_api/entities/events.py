"""Event types of entities, and the audience every entity-scoped domain uses: the owner user."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from pydantic import Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.entities.models import Entity
from practice_api.events.catalogue import (
    IN_APP,
    IN_APP_AND_EMAIL,
    ChangesPayload,
    EventType,
    Payload,
    Recipient,
    payload_users,
    staff_recipients,
    text,
)
from practice_api.events.models import Event
from practice_api.events.registry import EventRegistry
from practice_api.owners.events import OwnerRef
from practice_api.owners.models import Owner


class EntityPayload(ChangesPayload):
    name: str | None = None
    kind: str | None = None
    external_ref: str | None = None
    owner: OwnerRef | None = Field(default=None, description="The entity's client owner.")
    reason: str | None = Field(default=None, description="Why an entity was archived.")
    dependents: dict[str, int] = Field(
        default_factory=dict, description="What kept an entity from being deleted, by kind."
    )


class EntityOwnerChanged(Payload):
    old: OwnerRef | None = None
    new: OwnerRef | None = Field(default=None, description="null: the entity is now unowned.")
    reason: str | None = Field(default=None, description="changed, transfer or owner_removed")


async def entity_owner_user(session: AsyncSession, event: Event) -> list[Recipient]:
    """The staff user behind the entity's current owner (read now, not from the payload)."""
    if event.entity_id is None:
        return []
    user_id = await session.scalar(
        select(Owner.user_id)
        .join(Entity, Entity.owner_id == Owner.id)
        .where(Entity.id == event.entity_id, Entity.firm_id == event.firm_id)
    )
    return staff_recipients(user_id)


TYPES = [
    EventType(
        "entity.created",
        "A client profile (entity) was created.",
        EntityPayload,
        text("{actor} created the client {name}"),
        entity_owner_user,
        IN_APP,
        audience_text="the entity's owner user",
    ),
    EventType(
        "entity.updated",
        "An entity's fields changed (see `changes`).",
        EntityPayload,
        text("{actor} updated the client {name}"),
        entity_owner_user,
        IN_APP,
        audience_text="the entity's owner user",
    ),
    EventType(
        "entity.archived",
        "An entity was archived instead of deleted (it has requests, files or tasks).",
        EntityPayload,
        text("{actor} archived the client {name}"),
        entity_owner_user,
        IN_APP,
        audience_text="the entity's owner user",
    ),
    EventType(
        "entity.deleted",
        "An entity was deleted.",
        EntityPayload,
        text("{actor} deleted the client {name}"),
        payload_users("owner.user_id"),
        IN_APP,
        audience_text="the entity's owner user",
        link="entities",
    ),
    EventType(
        "entity.owner_changed",
        "An entity's client owner changed.",
        EntityOwnerChanged,
        text("{actor} changed the owner of a client"),
        payload_users("old.user_id", "new.user_id"),
        IN_APP_AND_EMAIL,
        audience_text="the old and the new owner users",
    ),
]


async def entity_names(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The clients' current names (notifications name the client they are about)."""
    rows = await session.execute(select(Entity.id, Entity.name).where(Entity.id.in_(set(ids))))
    return {row.id: row.name for row in rows}


def register(events: EventRegistry) -> None:
    events.event_types(TYPES)
    events.lookup("entity_names", entity_names)
