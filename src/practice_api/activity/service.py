"""Turning events into activity entries (the log is append-only: no write routes)."""

from __future__ import annotations

from collections.abc import Sequence

from practice_api.activity.schemas import ActivityPage, ActivityRead
from practice_api.events import channels
from practice_api.events.models import Event
from practice_api.events.schemas import EventActor, EventSubject


def activity_read(event: Event) -> ActivityRead:
    return ActivityRead(
        id=event.id,
        type=event.type,
        summary=channels.title(event),
        occurred_at=event.occurred_at,
        actor=EventActor(kind=event.actor_kind, id=event.actor_id, name=event.actor_name),
        entity_id=event.entity_id,
        subject=(
            EventSubject(type=event.subject_type, id=event.subject_id)
            if event.subject_type and event.subject_id
            else None
        ),
        payload=event.payload,
    )


def activity_page(rows: Sequence[Event], next_cursor: str | None) -> ActivityPage:
    return ActivityPage(items=[activity_read(e) for e in rows], next_cursor=next_cursor)
