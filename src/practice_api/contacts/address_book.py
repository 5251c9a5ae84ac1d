"""The firm's address book: add, change, delete, disable and enable contacts."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.access.sessions import revoke_sessions
from practice_api.contacts.models import Contact
from practice_api.contacts.repository import ContactRepository
from practice_api.contacts.schemas import ContactCreate, ContactUpdate
from practice_api.core.errors import Conflict
from practice_api.core.etag import check_if_match
from practice_api.core.principals import Principal
from practice_api.entities.visibility import AccessLevel
from practice_api.events.service import EventSubject, apply_changes


@dataclass(frozen=True)
class ContactContext:
    """What a contact policy hands the route: the contact, the caller and its access."""

    contact: Contact
    principal: Principal
    access: AccessLevel


CONTACT: EventSubject[Contact] = EventSubject(
    "contact",
    lambda contact: {
        "contact_id": contact.id,
        "name": contact.name,
        "portal_status": contact.portal_status,
    },
)


def _email_taken() -> Conflict:
    return Conflict("The firm already has a contact with this e-mail.", code="contact_email_taken")


async def create_contact(
    session: AsyncSession, principal: Principal, data: ContactCreate
) -> Contact:
    contacts = ContactRepository(session, principal.firm_id)
    email = str(data.email).lower()
    if await contacts.taken(email=email):
        raise _email_taken()
    contact = contacts.add(
        Contact(
            firm_id=principal.firm_id,
            name=data.name,
            email=email,
            phone=data.phone,
            notes=data.notes,
            portal_status="none",
            created_by_id=principal.id,
        )
    )
    await session.flush()
    await CONTACT.record(session, "contact.created", principal.actor, contact)
    return contact


async def update_contact(
    session: AsyncSession, context: ContactContext, data: ContactUpdate, if_match: str | None
) -> Contact:
    contact = context.contact
    check_if_match(if_match, contact.version)
    changes = data.changes()
    if "email" in changes:
        changes["email"] = str(changes["email"]).lower()
        contacts = ContactRepository(session, contact.firm_id)
        if await contacts.taken(email=changes["email"], except_id=contact.id):
            raise _email_taken()
    diff = apply_changes(contact, changes)
    if diff:
        if "email" in diff:
            # A pending link went to the old address: it must not work any more.
            await ContactRepository(session, contact.firm_id).revoke_secrets(contact.id)
        await session.flush()
        await CONTACT.record(
            session, "contact.updated", context.principal.actor, contact, changes=diff
        )
    return contact


async def delete_contact(
    session: AsyncSession, context: ContactContext, if_match: str | None
) -> None:
    contact = context.contact
    check_if_match(if_match, contact.version)
    await CONTACT.record(session, "contact.deleted", context.principal.actor, contact)
    await revoke_sessions(session, "contact", contact.id, "contact_deleted")
    await session.delete(contact)
    await session.flush()


async def disable_contact(session: AsyncSession, context: ContactContext) -> Contact:
    contact = context.contact
    if contact.portal_status != "disabled":
        contact.portal_status = "disabled"
        await ContactRepository(session, contact.firm_id).revoke_secrets(contact.id)
        await revoke_sessions(session, "contact", contact.id, "contact_disabled")
        await session.flush()
        await CONTACT.record(session, "contact.disabled", context.principal.actor, contact)
    return contact


async def enable_contact(session: AsyncSession, context: ContactContext) -> Contact:
    contact = context.contact
    if contact.portal_status == "disabled":
        contact.portal_status = "active" if contact.password_hash else "none"
        await session.flush()
        await CONTACT.record(session, "contact.enabled", context.principal.actor, contact)
    return contact
