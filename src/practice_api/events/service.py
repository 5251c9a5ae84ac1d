"""Recording domain events inside the caller's transaction.

A service calls ``record_event`` next to its change; both commit or roll back together,
so a rolled-back change announces nothing and a committed one is never lost.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.events.models import Event

ActorKind = Literal["staff", "contact", "guest", "system"]


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    id: uuid.UUID | None
    name: str

    @classmethod
    def system(cls) -> Actor:
        return cls("system", None, "system")


async def record_event(
    session: AsyncSession,
    *,
    type: str,
    firm_id: uuid.UUID,
    actor: Actor,
    entity_id: uuid.UUID | None = None,
    subject: tuple[str, uuid.UUID] | None = None,
    payload: dict[str, Any] | None = None,
) -> Event:
    """Add an event to the current transaction (``subject`` is the changed object)."""
    event = Event(
        firm_id=firm_id,
        type=type,
        entity_id=entity_id,
        actor_kind=actor.kind,
        actor_id=actor.id,
        actor_name=actor.name,
        subject_type=subject[0] if subject else None,
        subject_id=subject[1] if subject else None,
        payload=payload or {},
    )
    session.add(event)
    await session.flush()
    for listener in _listeners:
        await listener(session, event)
    return event


EventListener = Any  # Callable[[AsyncSession, Event], Awaitable[None]]
_listeners: list[EventListener] = []


def on_event(listener: EventListener) -> EventListener:
    """Register a fan-out step (outbox rows for notifications, e-mail, webhooks)."""
    _listeners.append(listener)
    return listener
