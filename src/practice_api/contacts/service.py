"""Contacts: the address book, access to entities (client authorization), invitations,
portal activation and password reset, and contact groups."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.access.sessions import revoke_sessions
from practice_api.contacts import mail
from practice_api.contacts.models import (
    Contact,
    ContactGroup,
    ContactGroupMember,
    ContactSecret,
    EntityContact,
)
from practice_api.contacts.repository import ContactRepository, GrantRepository, GroupRepository
from practice_api.contacts.schemas import (
    ContactCreate,
    ContactGroupCreate,
    ContactGroupUpdate,
    ContactUpdate,
    EntityContactPut,
)
from practice_api.core.errors import Conflict, NotFound, ValidationFailed, ValidationIssue
from practice_api.core.etag import check_if_match
from practice_api.core.principals import Actor, Principal
from practice_api.core.ratelimit import take_hit
from practice_api.core.security import hash_secret, new_secret
from practice_api.core.time import utcnow
from practice_api.entities.policy import EntityContext
from practice_api.entities.visibility import AccessLevel
from practice_api.events.service import EventSubject, changes_between, record_event
from practice_api.firms.models import Firm
from practice_api.runtime import Runtime


@dataclass(frozen=True)
class ContactContext:
    """What a contact policy hands the route: the contact, the caller and its access."""

    contact: Contact
    principal: Principal
    access: AccessLevel


@dataclass(frozen=True)
class GroupContext:
    entity: EntityContext
    group: ContactGroup


CONTACT: EventSubject[Contact] = EventSubject(
    "contact",
    lambda contact: {
        "contact_id": contact.id,
        "name": contact.name,
        "portal_status": contact.portal_status,
    },
)
GRANT: EventSubject[EntityContact] = EventSubject(
    "contact",  # a grant's events are about its contact, on the grant's entity
    lambda grant: {
        "contact_id": grant.contact_id,
        "contact_name": grant.contact.name,
        "role": grant.role,
    },
    entity=lambda grant: grant.entity_id,
    subject_id=lambda grant: grant.contact_id,
)
GROUP: EventSubject[ContactGroup] = EventSubject(
    "contact_group",
    lambda group: {
        "group_id": group.id,
        "name": group.name,
        "added_contact_ids": [],
        "removed_contact_ids": [],
        "changes": {},
    },
    entity=lambda group: group.entity_id,
)


def _email_taken() -> Conflict:
    return Conflict("The firm already has a contact with this e-mail.", code="contact_email_taken")


# --- the address book -------------------------------------------------------------------


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
    before = {name: getattr(contact, name) for name in changes}
    diff = changes_between(before, changes)
    if diff:
        for name, value in changes.items():
            setattr(contact, name, value)
        if "email" in diff:
            # A pending link went to the old address: it must not work any more.
            await _revoke_secrets(session, contact.id)
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
        await _revoke_secrets(session, contact.id)
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


# --- secrets: invitations and password resets ---------------------------------------------


async def _revoke_secrets(
    session: AsyncSession, contact_id: uuid.UUID, purpose: str | None = None
) -> None:
    statement = update(ContactSecret).where(
        ContactSecret.contact_id == contact_id,
        ContactSecret.used_at.is_(None),
        ContactSecret.revoked_at.is_(None),
    )
    if purpose is not None:
        statement = statement.where(ContactSecret.purpose == purpose)
    await session.execute(statement.values(revoked_at=utcnow()))


async def _new_secret(
    session: AsyncSession, contact: Contact, purpose: str, ttl_seconds: int
) -> tuple[str, dt.datetime]:
    await _revoke_secrets(session, contact.id)  # a new link invalidates every earlier one
    secret = new_secret()
    expires_at = utcnow() + dt.timedelta(seconds=ttl_seconds)
    session.add(
        ContactSecret(
            firm_id=contact.firm_id,
            contact_id=contact.id,
            purpose=purpose,
            token_hash=hash_secret(secret),
            expires_at=expires_at,
        )
    )
    await session.flush()
    return secret, expires_at


async def _firm_name(session: AsyncSession, firm_id: uuid.UUID) -> str:
    return str(await session.scalar(select(Firm.name).where(Firm.id == firm_id)) or "")


async def invite_contact(
    session: AsyncSession, runtime: Runtime, context: ContactContext
) -> tuple[Contact, dt.datetime]:
    contact = context.contact
    if contact.portal_status == "disabled":
        raise Conflict(
            "The contact's portal access is disabled; enable it first.", code="contact_disabled"
        )
    if contact.portal_status == "active":
        raise Conflict(
            "The contact has already activated portal access; they can reset their password.",
            code="contact_already_active",
        )
    if not await GrantRepository(session, contact.firm_id).entity_ids_of(contact.id):
        raise Conflict(
            "Give the contact access to an entity before inviting them.",
            code="contact_without_access",
        )
    settings = runtime.settings
    secret, expires_at = await _new_secret(
        session, contact, "invite", settings.portal_invitation_ttl_seconds
    )
    contact.portal_status = "invited"
    contact.invited_at = utcnow()
    await session.flush()
    await CONTACT.record(session, "contact.invited", context.principal.actor, contact)
    firm_name = await _firm_name(session, contact.firm_id)
    mail.send_after_commit(
        session,
        settings,
        to_name=contact.name,
        to_address=contact.email,
        subject=f"[{firm_name}] Your invitation to the client portal",
        body=mail.invitation_body(
            contact.name,
            firm_name,
            mail.portal_link(settings, "activate", secret),
            max(1, settings.portal_invitation_ttl_seconds // 3600),
        ),
    )
    return contact, expires_at


def _link_invalid() -> NotFound:
    # Unknown, used, revoked and expired links answer alike.
    return NotFound("This link is invalid, used or expired.", code="portal_link_invalid")


async def _public_rate(session: AsyncSession, runtime: Runtime, route: str, address: str) -> None:
    settings = runtime.settings
    # Counted atomically in its own committed transaction (see core/ratelimit.py).
    await take_hit(
        runtime.sessionmaker,
        f"portal:{route}:{address}",
        settings.portal_attempts_per_address,
        settings.portal_address_window_seconds,
    )


async def _spend_secret(session: AsyncSession, token: str, purpose: str) -> Contact:
    now = utcnow()
    # Compare-and-set: of two requests racing with one link, exactly one spends it.
    spent = (
        await session.execute(
            update(ContactSecret)
            .where(
                ContactSecret.token_hash == hash_secret(token),
                ContactSecret.purpose == purpose,
                ContactSecret.used_at.is_(None),
                ContactSecret.revoked_at.is_(None),
                ContactSecret.expires_at > now,
            )
            .values(used_at=now)
            .returning(ContactSecret.contact_id)
        )
    ).one_or_none()
    contact = await session.get(Contact, spent[0]) if spent is not None else None
    if contact is None or contact.portal_status == "disabled":
        raise _link_invalid()
    return contact


def _failing(error: Exception) -> Exception:
    # The rate-limit hit of a failed attempt must be committed.
    if hasattr(error, "keep_changes"):
        error.keep_changes = True
    return error


async def activate(
    session: AsyncSession, runtime: Runtime, token: str, password: str, address: str
) -> Contact:
    await _public_rate(session, runtime, "activate", address)
    try:
        contact = await _spend_secret(session, token, "invite")
    except NotFound as error:
        raise _failing(error) from None
    contact.password_hash = await runtime.hasher.ahash(password)
    contact.portal_status = "active"
    contact.activated_at = utcnow()
    await session.flush()
    await CONTACT.record(session, "contact.activated", _contact_actor(contact), contact)
    return contact


async def request_password_reset(
    session: AsyncSession,
    runtime: Runtime,
    email: str,
    firm_id: uuid.UUID | None,
    address: str,
) -> None:
    """Send a reset link to every active contact with this e-mail; answer alike either way."""
    await _public_rate(session, runtime, "reset-request", address)
    statement = select(Contact).where(
        Contact.email == email.strip().lower(), Contact.portal_status == "active"
    )
    if firm_id is not None:
        statement = statement.where(Contact.firm_id == firm_id)
    settings = runtime.settings
    for contact in (await session.scalars(statement.limit(20))).all():
        secret, _ = await _new_secret(session, contact, "reset", settings.portal_reset_ttl_seconds)
        firm_name = await _firm_name(session, contact.firm_id)
        mail.send_after_commit(
            session,
            settings,
            to_name=contact.name,
            to_address=contact.email,
            subject=f"[{firm_name}] Reset your client portal password",
            body=mail.reset_body(
                contact.name,
                firm_name,
                mail.portal_link(settings, "reset", secret),
                max(1, settings.portal_reset_ttl_seconds // 3600),
            ),
            in_background=True,
        )


async def reset_password(
    session: AsyncSession, runtime: Runtime, token: str, password: str, address: str
) -> Contact:
    await _public_rate(session, runtime, "reset", address)
    try:
        contact = await _spend_secret(session, token, "reset")
    except NotFound as error:
        raise _failing(error) from None
    if contact.portal_status != "active":
        raise _failing(_link_invalid())
    contact.password_hash = await runtime.hasher.ahash(password)
    await revoke_sessions(session, "contact", contact.id, "password_reset")
    await session.flush()
    await record_event(
        session,
        type="contact.password_reset",
        firm_id=contact.firm_id,
        actor=_contact_actor(contact),
        subject=("contact", contact.id),
        payload={"contact_id": contact.id},
    )
    return contact


def _contact_actor(contact: Contact) -> Actor:
    return Actor("contact", contact.id, contact.name)


# --- access to entities (client authorization) --------------------------------------------


async def put_grant(
    session: AsyncSession, context: EntityContext, contact_id: uuid.UUID, data: EntityContactPut
) -> tuple[EntityContact, bool]:
    """Grant or change a contact's access; ``True`` when the access is new."""
    principal, entity = context.principal, context.entity
    contact = await ContactRepository(session, principal.firm_id).get_or_404(contact_id)
    grants = GrantRepository(session, principal.firm_id)
    grant = await grants.find(entity.id, contact.id)
    if grant is None:
        grant = grants.add(
            EntityContact(
                firm_id=principal.firm_id,
                entity_id=entity.id,
                contact=contact,
                role=data.role,
                granted_by_id=principal.id,
            )
        )
        await session.flush()
        await GRANT.record(session, "entity_contact.granted", principal.actor, grant)
        return grant, True
    if grant.role != data.role:
        diff = {"role": {"old": grant.role, "new": data.role}}
        grant.role = data.role
        await session.flush()
        await GRANT.record(session, "entity_contact.updated", principal.actor, grant, changes=diff)
    return grant, False


async def delete_grant(
    session: AsyncSession, context: EntityContext, grant: EntityContact, if_match: str | None
) -> None:
    check_if_match(if_match, grant.version)
    principal = context.principal
    await GroupRepository(session, principal.firm_id).remove_member_from_entity(
        grant.entity_id, grant.contact_id
    )
    remaining = await GrantRepository(session, principal.firm_id).entity_ids_of(grant.contact_id)
    last = remaining == [grant.entity_id]
    if last:
        await revoke_sessions(session, "contact", grant.contact_id, "last_access_removed")
    await GRANT.record(
        session, "entity_contact.revoked", principal.actor, grant, sessions_ended=last
    )
    await session.delete(grant)
    await session.flush()


# --- contact groups ---------------------------------------------------------------------


async def _check_members(
    session: AsyncSession, entity_id: uuid.UUID, firm_id: uuid.UUID, ids: list[uuid.UUID]
) -> list[uuid.UUID]:
    wanted = list(dict.fromkeys(ids))
    allowed = await GrantRepository(session, firm_id).with_access(entity_id, wanted)
    missing = [i for i in wanted if i not in allowed]
    if missing:
        raise ValidationFailed(
            "Only contacts with access to the entity can be members of its groups.",
            code="contact_without_entity_access",
            errors=[
                ValidationIssue(loc=["body", "contact_ids"], msg=f"{i}: no access", type="access")
                for i in missing
            ],
        )
    return wanted


def _name_taken() -> Conflict:
    return Conflict(
        "The entity already has a contact group with this name.", code="group_name_taken"
    )


async def create_group(
    session: AsyncSession, context: EntityContext, data: ContactGroupCreate
) -> ContactGroup:
    principal, entity = context.principal, context.entity
    groups = GroupRepository(session, principal.firm_id)
    if await groups.taken(entity_id=entity.id, name=data.name):
        raise _name_taken()
    members = await _check_members(session, entity.id, principal.firm_id, data.contact_ids)
    group = groups.add(
        ContactGroup(
            firm_id=principal.firm_id,
            entity_id=entity.id,
            name=data.name,
            description=data.description,
        )
    )
    await session.flush()
    session.add_all([ContactGroupMember(group_id=group.id, contact_id=i) for i in members])
    await session.flush()
    await GROUP.record(
        session, "contact_group.created", principal.actor, group, added_contact_ids=members
    )
    return group


async def update_group(
    session: AsyncSession, context: GroupContext, data: ContactGroupUpdate, if_match: str | None
) -> ContactGroup:
    group = context.group
    check_if_match(if_match, group.version)
    changes = data.changes()
    groups = GroupRepository(session, group.firm_id)
    if "name" in changes and await groups.taken(
        entity_id=group.entity_id, name=changes["name"], except_id=group.id
    ):
        raise _name_taken()
    diff = changes_between({k: getattr(group, k) for k in changes}, changes)
    if diff:
        for name, value in changes.items():
            setattr(group, name, value)
        await session.flush()
        await GROUP.record(
            session, "contact_group.updated", context.entity.principal.actor, group, changes=diff
        )
    return group


async def delete_group(session: AsyncSession, context: GroupContext, if_match: str | None) -> None:
    check_if_match(if_match, context.group.version)
    await GROUP.record(
        session, "contact_group.deleted", context.entity.principal.actor, context.group
    )
    await session.delete(context.group)
    await session.flush()


async def add_member(session: AsyncSession, context: GroupContext, contact_id: uuid.UUID) -> bool:
    """Add a member; ``False`` when already one (nothing changes)."""
    group = context.group
    await ContactRepository(session, group.firm_id).get_or_404(contact_id)
    await _check_members(session, group.entity_id, group.firm_id, [contact_id])
    groups = GroupRepository(session, group.firm_id)
    if await groups.is_member(group.id, contact_id):
        return False
    session.add(ContactGroupMember(group_id=group.id, contact_id=contact_id))
    group.updated_at = utcnow()  # bumps the version: the group's ETag covers its members
    await session.flush()
    await GROUP.record(
        session,
        "contact_group.updated",
        context.entity.principal.actor,
        group,
        added_contact_ids=[contact_id],
    )
    return True


async def remove_member(
    session: AsyncSession, context: GroupContext, contact_id: uuid.UUID
) -> None:
    group = context.group
    result = await session.execute(
        delete(ContactGroupMember).where(
            ContactGroupMember.group_id == group.id, ContactGroupMember.contact_id == contact_id
        )
    )
    if not getattr(result, "rowcount", 0):
        raise NotFound("This contact is not a member of the group.", code="member_not_found")
    group.updated_at = utcnow()
    await session.flush()
    await GROUP.record(
        session,
        "contact_group.updated",
        context.entity.principal.actor,
        group,
        removed_contact_ids=[contact_id],
    )
