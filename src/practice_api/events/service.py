"""Recording domain events inside the caller's transaction.

A service calls ``record_event`` next to its change; both commit or roll back together,
so a rolled-back change announces nothing and a committed one is never lost. The outbox
rows (notifications, e-mail, webhooks) are written in the same transaction.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar, cast

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped

from practice_api.core.principals import Actor
from practice_api.events.catalogue import normalise_payload
from practice_api.events.models import Event
from practice_api.events.outbox import fan_out

log = logging.getLogger("practice_api.events")

__all__ = [
    "Actor",
    "EventSubject",
    "apply_changes",
    "changes_between",
    "on_event",
    "record_event",
]


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


class FirmRow(Protocol):
    """A row of one firm: what an event can be about (a model with ``id`` and ``firm_id``)."""

    id: Mapped[uuid.UUID]
    firm_id: Mapped[uuid.UUID]


Row = TypeVar("Row", bound=FirmRow)


def _no_entity(row: Any) -> uuid.UUID | None:
    return None


def _own_id(row: Any) -> uuid.UUID:
    return row.id  # type: ignore[no-any-return]


@dataclass(frozen=True)
class EventSubject(Generic[Row]):
    """How a domain's events about one kind of row are recorded, said once.

    ``kind`` names the subject (``("user", user.id)``), ``payload`` is what every event
    about the row carries (the keyword arguments of ``record`` are added to it, and
    replace a key of the same name, e.g. ``changes``), ``entity`` the entity the row
    belongs to (the entity's timeline shows the event) and ``subject_id`` the id the
    subject names (a grant is about its contact)::

        USER = EventSubject("user", lambda user: {"name": user.name, "changes": {}})
        await USER.record(session, "user.updated", principal.actor, user, changes=diff)
    """

    kind: str
    payload: Callable[[Row], dict[str, Any]]
    entity: Callable[[Row], uuid.UUID | None] = _no_entity
    subject_id: Callable[[Row], uuid.UUID] = _own_id

    async def record(
        self, session: AsyncSession, type: str, actor: Actor, row: Row, **extra: Any
    ) -> Event:
        """``record_event`` for ``row``: its firm, entity, subject and payload."""
        return await record_event(
            session,
            type=type,
            firm_id=cast(uuid.UUID, row.firm_id),  # a Mapped column read on a row
            actor=actor,
            entity_id=self.entity(row),
            subject=(self.kind, self.subject_id(row)),
            payload={**self.payload(row), **extra},
        )


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


def apply_changes(row: Any, changes: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Set ``changes`` on ``row``; returns those whose value differed, as
    ``changes_between`` words them (an event's ``changes``). Equal values change nothing
    in the database (no UPDATE, the version stays)."""
    diff = changes_between({name: getattr(row, name) for name in changes}, changes)
    for name, value in changes.items():
        setattr(row, name, value)
    return diff
