"""Recording domain events inside the caller's transaction.

A service calls ``record_event`` next to its change; both commit or roll back together,
so a rolled-back change announces nothing and a committed one is never lost. The outbox
rows (notifications, e-mail, webhooks) are written in the same transaction.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.core.principals import Actor
from practice_api.events.catalogue import normalise_payload
from practice_api.events.models import Event
from practice_api.events.outbox import fan_out

log = logging.getLogger("practice_api.events")

__all__ = ["Actor", "changes_between", "on_event", "record_event"]


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
    """Add an event and its outbox rows to the current transaction.

    ``subject`` is the changed object as ``(kind, id)``; ``payload`` follows the type's
    model in the event catalogue (``practice_api.events.catalogue``).
    """
    data, fits = normalise_payload(type, payload or {})
    if not fits:
        log.warning("event %s: type not in the catalogue or payload does not fit its model", type)
    event = Event(
        firm_id=firm_id,
        type=type,
        entity_id=entity_id,
        actor_kind=actor.kind,
        actor_id=actor.id,
        actor_name=actor.name,
        subject_type=subject[0] if subject else None,
        subject_id=subject[1] if subject else None,
        payload=data,
    )
    session.add(event)
    await session.flush()
    await fan_out(session, event)
    for listener in _listeners:
        await listener(session, event)
    return event


EventListener = Callable[[AsyncSession, Event], Awaitable[None]]
_listeners: list[EventListener] = []


def on_event(listener: EventListener) -> EventListener:
    """Register an extra step run for every event, inside the recording transaction."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def changes_between(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``{"field": {"old": ..., "new": ...}}`` for the fields whose value differs."""
    return {
        name: {"old": before.get(name), "new": value}
        for name, value in after.items()
        if before.get(name) != value
    }
