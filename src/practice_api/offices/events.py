"""Event types of offices."""

from __future__ import annotations

from practice_api.events.catalogue import ChangesPayload, EventType, text
from practice_api.events.registry import EventRegistry


class OfficePayload(ChangesPayload):
    name: str


TYPES = [
    EventType(
        "office.created",
        "An office was created.",
        OfficePayload,
        text("{actor} created the office {name}"),
    ),
    EventType(
        "office.updated",
        "An office was changed.",
        OfficePayload,
        text("{actor} changed the office {name}"),
    ),
    EventType(
        "office.deleted",
        "An office was deleted.",
        OfficePayload,
        text("{actor} deleted the office {name}"),
    ),
]


def register(events: EventRegistry) -> None:
    events.event_types(TYPES)
