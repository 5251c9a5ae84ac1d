"""The event catalogue: every event type, its payload, what it says, and who hears of it.

One entry per type. ``record_event`` normalises payloads through the entry's model; the
outbox asks the entry (and any registered extra audience) who is notified, and the
recipients' preferences (or the entry's defaults) choose the channels. Webhook endpoints
subscribe to types by name. The OpenAPI spec and docs/events.md are generated from here.

Payload conventions: ids are UUID strings; ``changes`` maps a field name to
``{"old": ..., "new": ...}`` for every field an update changed.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.core.security import PrincipalKind
from practice_api.users.models import User

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


class FirmUpdated(ChangesPayload):
    name: str


class OfficePayload(ChangesPayload):
    name: str


class UserPayload(ChangesPayload):
    name: str
    email: str
    role: str


class OwnerRef(BaseModel):
    """How a client owner appears in payloads."""

    id: uuid.UUID
    name: str
    user_id: uuid.UUID | None = Field(
        default=None, description="The staff user behind the owner, when the owner is a user."
    )


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


class SharePayload(ChangesPayload):
    share_id: uuid.UUID
    user_id: uuid.UUID = Field(description="The staff user the entity is shared with.")
    user_name: str | None = None
    role: str | None = None
    notifications: list[str] = Field(
        default_factory=list,
        description="Entity events the shared user asked to be e-mailed about.",
    )


class FilePayload(Payload):
    file_name: str = Field(description="The file's (cleaned) name.")
    version: int = Field(description="The version number this event is about.")
    size: int = Field(description="Bytes.")
    content_type: str = Field(description="Sniffed from the bytes.")
    sha256: str


class FileSharing(Payload):
    file_name: str
    shared_with_contacts: bool = Field(
        description="Whether staff share the file with the entity's portal contacts."
    )


class FileRemoved(Payload):
    file_name: str
    versions: int = Field(description="How many versions the file had.")


class WebhookEndpointPayload(ChangesPayload):
    url: str
    event_types: list[str] = Field(default_factory=list)


class WebhookPing(Payload):
    endpoint_id: uuid.UUID
    message: str = "ping"


# ---------------------------------------------------------------------------------------
# Audiences


async def nobody(_session: AsyncSession, _event: Event) -> list[Recipient]:
    return []


async def firm_admins(session: AsyncSession, event: Event) -> list[Recipient]:
    ids = await session.scalars(
        select(User.id).where(
            User.firm_id == event.firm_id, User.role == "admin", User.is_active.is_(True)
        )
    )
    return [Recipient("staff", user_id) for user_id in ids]


def _staff(*values: Any) -> list[Recipient]:
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


async def entity_owner_user(session: AsyncSession, event: Event) -> list[Recipient]:
    """The staff user behind the entity's current owner (read now, not from the payload)."""
    from practice_api.entities.models import Entity
    from practice_api.owners.models import Owner

    if event.entity_id is None:
        return []
    user_id = await session.scalar(
        select(Owner.user_id)
        .join(Entity, Entity.owner_id == Owner.id)
        .where(Entity.id == event.entity_id, Entity.firm_id == event.firm_id)
    )
    return _staff(user_id)


def payload_users(*keys: str) -> Audience:
    """The staff users whose ids are in the payload under ``keys``."""

    async def audience(_session: AsyncSession, event: Event) -> list[Recipient]:
        return _staff(*(_lookup(event.payload, key) for key in keys))

    return audience


async def subject_user(_session: AsyncSession, event: Event) -> list[Recipient]:
    return _staff(event.subject_id) if event.subject_type == "user" else []


# ---------------------------------------------------------------------------------------


def _text(template: str) -> Callable[[Event], str]:
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

_TYPES: list[EventType] = [
    EventType(
        "firm.updated",
        "The firm's name or settings changed.",
        FirmUpdated,
        _text("{actor} changed the firm settings of {name}"),
        firm_admins,
        IN_APP,
        audience_text="the firm's admins",
    ),
    EventType(
        "office.created",
        "An office was created.",
        OfficePayload,
        _text("{actor} created the office {name}"),
    ),
    EventType(
        "office.updated",
        "An office was changed.",
        OfficePayload,
        _text("{actor} changed the office {name}"),
    ),
    EventType(
        "office.deleted",
        "An office was deleted.",
        OfficePayload,
        _text("{actor} deleted the office {name}"),
    ),
    EventType(
        "user.created",
        "A staff user was added to the firm.",
        UserPayload,
        _text("{actor} added {name} ({email}) as {role}"),
        subject_user,
        IN_APP_AND_EMAIL,
        audience_text="the new user",
    ),
    EventType(
        "user.updated",
        "A staff user's name, e-mail, role, office or password changed.",
        UserPayload,
        _text("{actor} changed the user {name}"),
        subject_user,
        IN_APP,
        audience_text="the user",
    ),
    EventType(
        "user.deactivated",
        "A staff user was deactivated.",
        UserPayload,
        _text("{actor} deactivated {name}"),
    ),
    EventType(
        "user.reactivated",
        "A staff user was reactivated.",
        UserPayload,
        _text("{actor} reactivated {name}"),
        subject_user,
        IN_APP_AND_EMAIL,
        audience_text="the user",
    ),
    EventType(
        "user.deleted",
        "A staff user was deleted.",
        UserPayload,
        _text("{actor} deleted the user {name}"),
    ),
    EventType(
        "entity.created",
        "A client profile (entity) was created.",
        EntityPayload,
        _text("{actor} created the client {name}"),
        entity_owner_user,
        IN_APP,
        audience_text="the entity's owner user",
    ),
    EventType(
        "entity.updated",
        "An entity's fields changed (see `changes`).",
        EntityPayload,
        _text("{actor} updated the client {name}"),
        entity_owner_user,
        IN_APP,
        audience_text="the entity's owner user",
    ),
    EventType(
        "entity.archived",
        "An entity was archived instead of deleted (it has requests, files or tasks).",
        EntityPayload,
        _text("{actor} archived the client {name}"),
        entity_owner_user,
        IN_APP,
        audience_text="the entity's owner user",
    ),
    EventType(
        "entity.deleted",
        "An entity was deleted.",
        EntityPayload,
        _text("{actor} deleted the client {name}"),
        payload_users("owner.user_id"),
        IN_APP,
        audience_text="the entity's owner user",
    ),
    EventType(
        "entity.owner_changed",
        "An entity's client owner changed.",
        EntityOwnerChanged,
        _text("{actor} changed the owner of a client"),
        payload_users("old.user_id", "new.user_id"),
        IN_APP_AND_EMAIL,
        audience_text="the old and the new owner users",
    ),
    EventType(
        "owners.transferred",
        "Entities were moved in bulk from one owner to another (or left unowned).",
        OwnersTransferred,
        _text("{actor} transferred {count} client(s) to another owner"),
        audience_text="nobody: the old and the new owner users get one `bulk.summary` each",
    ),
    EventType(
        "owner.created",
        "An owner was added to the firm's owner list.",
        OwnerPayload,
        _text("{actor} added an owner to the owner list"),
    ),
    EventType(
        "owner.updated",
        "An owner-list entry changed.",
        OwnerPayload,
        _text("{actor} changed an owner-list entry"),
    ),
    EventType(
        "owner.deleted",
        "An owner was removed from the owner list (its entities moved to `entities_to`).",
        OwnerPayload,
        _text("{actor} removed an owner from the owner list"),
    ),
    EventType(
        "share.created",
        "An entity was shared with a staff user.",
        SharePayload,
        _text("{actor} shared a client with you as {role}"),
        payload_users("user_id"),
        IN_APP_AND_EMAIL,
        audience_text="the user the entity is shared with",
    ),
    EventType(
        "share.updated",
        "A share's role or notification choices changed.",
        SharePayload,
        _text("{actor} changed your access to a client"),
        payload_users("user_id"),
        IN_APP,
        audience_text="the user the entity is shared with",
    ),
    EventType(
        "share.deleted",
        "An entity is no longer shared with a staff user.",
        SharePayload,
        _text("{actor} stopped sharing a client with you"),
        payload_users("user_id"),
        IN_APP,
        audience_text="the user the entity was shared with",
    ),
    EventType(
        "file.uploaded",
        "A file was uploaded to an entity (its first version).",
        FilePayload,
        _text("{actor} uploaded {file_name}"),
        entity_owner_user,
        IN_APP,
        audience_text="the entity's owner user; shared users subscribed to `file_uploaded` "
        "(e-mail)",
    ),
    EventType(
        "file.version_added",
        "A new version of a file was uploaded; the older ones stay downloadable.",
        FilePayload,
        _text("{actor} uploaded version {version} of {file_name}"),
        entity_owner_user,
        IN_APP,
        audience_text="the entity's owner user; shared users subscribed to `file_uploaded` "
        "(e-mail)",
    ),
    EventType(
        "file.downloaded",
        "A file (or its first bytes, for a Range request) was downloaded.",
        FilePayload,
        _text("{actor} downloaded {file_name} (version {version})"),
    ),
    EventType(
        "file.sharing_changed",
        "Staff shared a file with the entity's portal contacts, or stopped sharing it.",
        FileSharing,
        _text("{actor} changed who sees {file_name} in the portal"),
    ),
    EventType(
        "file.deleted",
        "A file was deleted (soft: its versions are kept for the retention period).",
        FileRemoved,
        _text("{actor} deleted {file_name}"),
    ),
    EventType(
        "file.purged",
        "A deleted file's versions and bytes were removed for good after the retention period.",
        FileRemoved,
        _text("{file_name} was purged after the retention period"),
    ),
    EventType(
        "webhook_endpoint.created",
        "A webhook endpoint was added.",
        WebhookEndpointPayload,
        _text("{actor} added the webhook endpoint {url}"),
    ),
    EventType(
        "webhook_endpoint.updated",
        "A webhook endpoint was changed or its secret rotated.",
        WebhookEndpointPayload,
        _text("{actor} changed the webhook endpoint {url}"),
    ),
    EventType(
        "webhook_endpoint.deleted",
        "A webhook endpoint was deleted.",
        WebhookEndpointPayload,
        _text("{actor} deleted the webhook endpoint {url}"),
    ),
    EventType(
        "webhook.ping",
        "A test delivery requested with POST /v1/webhook-endpoints/{id}/ping; sent to that "
        "endpoint only, whatever its subscriptions.",
        WebhookPing,
        _text("{actor} pinged a webhook endpoint"),
        fan_out=False,
        audience_text="the pinged endpoint only",
    ),
]

# The page each type's notifications open (``events.links``; default: the client's page).
_LINKS = {
    "firm.updated": "firm",
    "user.created": "home",
    "user.updated": "profile",
    "user.reactivated": "home",
    "entity.deleted": "entities",
    "owners.transferred": "entities",
    "owner.created": "owner",
    "owner.updated": "owner",
    "share.deleted": "entities",
    "file.uploaded": "file",
    "file.version_added": "file",
    "file.downloaded": "file",
    "file.sharing_changed": "file",
}
_TYPES = [replace(t, link=_LINKS[t.name]) if t.name in _LINKS else t for t in _TYPES]

CATALOGUE: dict[str, EventType] = {event_type.name: event_type for event_type in _TYPES}


def get(type_name: str) -> EventType | None:
    return CATALOGUE.get(type_name)


def event_types() -> Iterable[EventType]:
    return CATALOGUE.values()


def notifying_types() -> list[EventType]:
    """The types that can reach a person (the rows of the preferences matrix)."""
    return [t for t in CATALOGUE.values() if t.fan_out and t.audience is not nobody]


def register(event_type: EventType) -> EventType:
    """Add a type (for domains that arrive later); names are unique."""
    if event_type.name in CATALOGUE:
        raise ValueError(f"event type {event_type.name!r} is already in the catalogue")
    CATALOGUE[event_type.name] = event_type
    return event_type


# Extra audiences: later domains add people to every event they care about, e.g. the
# shares domain adds users subscribed to an entity (with their per-share e-mail choices)
# and the contacts domain adds contacts. Each is called for every event that fans out.
_extra_audiences: list[Audience] = []


def add_audience(audience: Audience) -> Audience:
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
