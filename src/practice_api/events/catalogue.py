"""The event catalogue: every event type, its payload, what it says, and who hears of it.

A mechanism: the catalogue starts empty and each domain registers its own types (and any
extra audience) from its ``events.py`` through ``register_all()`` (``practice_api.registry``),
never by being imported. ``record_event`` normalises payloads through the entry's model;
the outbox asks the entry (and every extra audience) who is notified, and the recipients'
preferences (or the entry's defaults) choose the channels. Webhook endpoints subscribe to
types by name. The OpenAPI spec and docs/events.md are generated from here.

Payload conventions: ids are UUID strings; ``changes`` maps a field name to
``{"old": ..., "new": ...}`` for every field an update changed.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.core.security import PrincipalKind

if TYPE_CHECKING:
    from practice_api.events.models import Event

Channel = Literal["in_app", "email", "webhook"]
PersonalChannel = Literal["in_app", "email"]
PERSONAL_CHANNELS: tuple[PersonalChannel, ...] = ("in_app", "email")


@dataclass(frozen=True)
class Recipient:
    """Someone notified of an event: a staff user or a contact, keyed by (kind, id).

    ``channels`` set explicitly (e.g. a share's own e-mail choices) replaces the recipient's
    preferences for this event; ``None`` lets the preferences decide.
    """

    kind: PrincipalKind
    id: uuid.UUID
    channels: frozenset[PersonalChannel] | None = None
    via: str | None = None  # "share": brought by a share's choices (its footer and link)


Audience = Callable[[AsyncSession, "Event"], Awaitable[list[Recipient]]]


# ---------------------------------------------------------------------------------------
# Payload models. Extra fields are kept (owners of a domain may add more before they
# document them); the listed ones are the contract.


class Payload(BaseModel):
    model_config = ConfigDict(extra="allow")


class FieldChange(BaseModel):
    old: Any = None
    new: Any = None


class ChangesPayload(Payload):
    changes: dict[str, FieldChange] = Field(
        default_factory=dict, description="Changed fields with their old and new values."
    )


# ---------------------------------------------------------------------------------------
# Audiences


async def nobody(_session: AsyncSession, _event: Event) -> list[Recipient]:
    return []


def staff_recipients(*values: Any) -> list[Recipient]:
    """Staff recipients from ids (absent or malformed ones are skipped)."""
    out: list[Recipient] = []
    for value in values:
        try:
            out.append(Recipient("staff", uuid.UUID(str(value))))
        except ValueError:
            continue  # absent (None) or not an id: nobody to notify
    return out


def _lookup(payload: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(payload, dict):
            return None
        payload = payload.get(part)
    return payload


def payload_users(*keys: str) -> Audience:
    """The staff users whose ids are in the payload under ``keys``."""

    async def audience(_session: AsyncSession, event: Event) -> list[Recipient]:
        return staff_recipients(*(_lookup(event.payload, key) for key in keys))

    return audience


# ---------------------------------------------------------------------------------------


def text(template: str) -> Callable[[Event], str]:
    """A title rendered from the payload and the actor's name (``{actor}``)."""

    def render(event: Event) -> str:
        values = _Defaulting({"actor": event.actor_name, **event.payload})
        return template.format_map(values)

    return render


class _Defaulting(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "(unknown)"


@dataclass(frozen=True)
class EventType:
    name: str
    description: str
    payload: type[Payload]
    title: Callable[[Event], str]
    audience: Audience = nobody
    default_channels: frozenset[PersonalChannel] = frozenset({"in_app"})
    fan_out: bool = True  # False: delivered only to what its own service addresses
    audience_text: str = "nobody (activity log and webhooks only)"
    tags: tuple[str, ...] = field(default_factory=tuple)
    # The kind of page its notifications link to (``events.links``); None: the client's
    # page when the event has an entity, else the home page.
    link: str | None = None


IN_APP: frozenset[PersonalChannel] = frozenset({"in_app"})
IN_APP_AND_EMAIL: frozenset[PersonalChannel] = frozenset({"in_app", "email"})

# Every registered type by name, in registration order (``register_all()``).
CATALOGUE: dict[str, EventType] = {}


def get(type_name: str) -> EventType | None:
    return CATALOGUE.get(type_name)


def event_types() -> Iterable[EventType]:
    return CATALOGUE.values()


def notifying_types() -> list[EventType]:
    """The types that can reach a person (the rows of the preferences matrix)."""
    return [t for t in CATALOGUE.values() if t.fan_out and t.audience is not nobody]


def register(event_type: EventType) -> EventType:
    """Add a type; names are unique (registering the very same entry again is a no-op)."""
    known = CATALOGUE.get(event_type.name)
    if known is not None and known is not event_type:
        raise ValueError(f"event type {event_type.name!r} is already in the catalogue")
    CATALOGUE[event_type.name] = event_type
    return event_type


# Extra audiences: domains add people to every event they care about, e.g. the shares
# domain adds users subscribed to an entity (with their per-share e-mail choices). Each is
# called for every event that fans out.
_extra_audiences: list[Audience] = []


def add_audience(audience: Audience) -> Audience:
    if audience not in _extra_audiences:
        _extra_audiences.append(audience)
    return audience


async def recipients_of(session: AsyncSession, event: Event) -> list[Recipient]:
    """Everyone notified of ``event``, once each, never the actor themselves."""
    event_type = CATALOGUE.get(event.type)
    if event_type is None or not event_type.fan_out:
        return []
    found: dict[tuple[str, uuid.UUID], Recipient] = {}
    for audience in (event_type.audience, *_extra_audiences):
        for recipient in await audience(session, event):
            key = (recipient.kind, recipient.id)
            if key == (event.actor_kind, event.actor_id):
                continue
            earlier = found.get(key)
            if earlier is None or (earlier.channels is None and recipient.channels is not None):
                found[key] = recipient
            elif earlier.channels is not None and recipient.channels is not None:
                found[key] = Recipient(
                    key[0], key[1], earlier.channels | recipient.channels, earlier.via
                )
    return list(found.values())


def normalise_payload(type_name: str, payload: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The payload as JSON, through the type's model; ``False`` when it does not fit."""
    from fastapi.encoders import jsonable_encoder

    event_type = CATALOGUE.get(type_name)
    if event_type is None:
        return jsonable_encoder(payload), False
    try:
        model = event_type.payload.model_validate(payload)
    except ValueError:
        return jsonable_encoder(payload), False
    return model.model_dump(mode="json"), True
