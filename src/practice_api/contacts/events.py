"""Event types of the contacts domain, and how the dispatcher reaches a contact.

Invitation and reset secrets are never part of an event: events are stored and sent to
webhooks. The e-mail carrying the link is sent by ``contacts.mail`` after the commit.
"""

from __future__ import annotations

import uuid

from pydantic import Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.contacts.models import Contact
from practice_api.events.addresses import Address
from practice_api.events.catalogue import ChangesPayload, EventType, Payload, text
from practice_api.events.registry import EventRegistry


class ContactPayload(ChangesPayload):
    contact_id: uuid.UUID
    name: str | None = None
    portal_status: str | None = None


class EntityContactPayload(ChangesPayload):
    contact_id: uuid.UUID
    contact_name: str | None = None
    role: str | None = None
    sessions_ended: bool = Field(
        default=False, description="On revocation: it was the contact's last entity access."
    )


class ContactGroupPayload(ChangesPayload):
    group_id: uuid.UUID
    name: str | None = None
    added_contact_ids: list[uuid.UUID] = Field(default_factory=list)
    removed_contact_ids: list[uuid.UUID] = Field(default_factory=list)


class PortalPayload(Payload):
    contact_id: uuid.UUID


TYPES = [
    EventType(
        "contact.created",
        "A contact was added to the firm's address book.",
        ContactPayload,
        text("{actor} added the contact {name}"),
    ),
    EventType(
        "contact.updated",
        "A contact's name, e-mail, phone or notes changed.",
        ContactPayload,
        text("{actor} changed the contact {name}"),
    ),
    EventType(
        "contact.deleted",
        "A contact was deleted (their portal sessions ended).",
        ContactPayload,
        text("{actor} deleted the contact {name}"),
    ),
    EventType(
        "contact.invited",
        "A contact was invited to the portal (an e-mail with a single-use link was sent; "
        "the link is never part of the event).",
        ContactPayload,
        text("{actor} invited {name} to the portal"),
    ),
    EventType(
        "contact.activated",
        "A contact accepted the invitation and set a password.",
        ContactPayload,
        text("{name} activated their portal access"),
    ),
    EventType(
        "contact.disabled",
        "A contact's portal access was disabled; their sessions ended.",
        ContactPayload,
        text("{actor} disabled the portal access of {name}"),
    ),
    EventType(
        "contact.enabled",
        "A disabled contact's portal access was enabled again.",
        ContactPayload,
        text("{actor} enabled the portal access of {name}"),
    ),
    EventType(
        "contact.password_reset",
        "A contact set a new password with a reset link; their other sessions ended.",
        PortalPayload,
        text("A contact reset their portal password"),
    ),
    EventType(
        "entity_contact.granted",
        "A contact was given access to an entity (client authorization).",
        EntityContactPayload,
        text("{actor} gave {contact_name} access to a client as {role}"),
    ),
    EventType(
        "entity_contact.updated",
        "A contact's role on an entity changed.",
        EntityContactPayload,
        text("{actor} changed the role of {contact_name} to {role}"),
    ),
    EventType(
        "entity_contact.revoked",
        "A contact's access to an entity was removed (their last one ends their sessions).",
        EntityContactPayload,
        text("{actor} removed the access of {contact_name} to a client"),
    ),
    EventType(
        "contact_group.created",
        "A contact group was created on an entity.",
        ContactGroupPayload,
        text("{actor} created the contact group {name}"),
    ),
    EventType(
        "contact_group.updated",
        "A contact group's name, description or members changed.",
        ContactGroupPayload,
        text("{actor} changed the contact group {name}"),
    ),
    EventType(
        "contact_group.deleted",
        "A contact group was deleted.",
        ContactGroupPayload,
        text("{actor} deleted the contact group {name}"),
    ),
]


async def contact_addresses(
    session: AsyncSession, ids: list[uuid.UUID]
) -> dict[uuid.UUID, Address]:
    rows = await session.execute(
        select(Contact.id, Contact.name, Contact.email, Contact.portal_status).where(
            Contact.id.in_(ids)
        )
    )
    return {row.id: Address(row.name, row.email, row.portal_status == "active") for row in rows}


def register(events: EventRegistry) -> None:
    events.event_types(TYPES)
    events.address_lookup("contact", contact_addresses)
