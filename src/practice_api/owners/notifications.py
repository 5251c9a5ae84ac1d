"""How owner moves read in a bulk summary: the old owner is told what left them, the new
owner what came to them (``events.bulk``)."""

from __future__ import annotations

from typing import Any

from practice_api.events.catalogue import Recipient
from practice_api.events.models import Event
from practice_api.events.registry import EventRegistry

TRANSFER = "owners.transfer"


def _name(ref: Any) -> str | None:
    return str(ref.get("name")) if isinstance(ref, dict) and ref.get("name") else None


def _user(ref: Any) -> str | None:
    return str(ref.get("user_id")) if isinstance(ref, dict) and ref.get("user_id") else None


def owner_change_side(event: Event, recipient: Recipient) -> tuple[str | None, str | None]:
    old, new = event.payload.get("old"), event.payload.get("new")
    if _user(new) == str(recipient.id):
        return "to", f"from {_name(old)}" if _name(old) else "previously unowned"
    if new is None:
        return "released", None
    return "from", f"to {_name(new)}"


def register(events: EventRegistry) -> None:
    events.bulk_side("entity.owner_changed", owner_change_side)
    events.bulk_summary(
        TRANSFER,
        "{actor} moved {clients} between owners {other}",
        to="{actor} made you the owner of {clients} {other}",
        from_="{actor} moved {clients} away from you {other}",
        released="{actor} left {clients} of yours without an owner",
    )
