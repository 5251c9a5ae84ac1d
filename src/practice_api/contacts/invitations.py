"""A contact's way into the portal: invitations and activation, password resets (secret
links sent by e-mail, each spent once)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.access.sessions import revoke_sessions
from practice_api.contacts import mail
from practice_api.contacts.address_book import CONTACT, ContactContext
from practice_api.contacts.models import Contact, ContactSecret
from practice_api.contacts.repository import ContactRepository, GrantRepository
from practice_api.core.errors import Conflict, NotFound
from practice_api.core.principals import Actor
from practice_api.core.ratelimit import take_hit
from practice_api.core.security import hash_secret, new_secret
from practice_api.core.time import utcnow
from practice_api.events.service import record_event
from practice_api.firms.models import Firm
from practice_api.runtime import Runtime
from practice_api.settings import Settings


async def _new_secret(
    session: AsyncSession, contact: Contact, purpose: str, ttl_seconds: int
) -> tuple[str, dt.datetime]:
    # A new link invalidates every earlier one.
    await ContactRepository(session, contact.firm_id).revoke_secrets(contact.id)
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


# The portal page a link opens, the mail's subject and its body, by purpose.
_LINK_MAILS = {
    "invite": ("activate", "Your invitation to the client portal", mail.invitation_body),
    "reset": ("reset", "Reset your client portal password", mail.reset_body),
}


async def _send_link(
    session: AsyncSession,
    settings: Settings,
    contact: Contact,
    purpose: str,
    ttl_seconds: int,
    *,
    background: bool = False,
) -> dt.datetime:
    """A new link for ``purpose`` (earlier links end), e-mailed once the transaction
    commits; returns when it expires."""
    secret, expires_at = await _new_secret(session, contact, purpose, ttl_seconds)
    page, subject, body = _LINK_MAILS[purpose]
    firm_name = await _firm_name(session, contact.firm_id)
    mail.send_after_commit(
        session,
        settings,
        to_name=contact.name,
        to_address=contact.email,
        subject=f"[{firm_name}] {subject}",
        body=body(
            contact.name,
            firm_name,
            mail.portal_link(settings, page, secret),
            max(1, ttl_seconds // 3600),
        ),
        in_background=background,
    )
    return expires_at


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
    expires_at = await _send_link(
        session, settings, contact, "invite", settings.portal_invitation_ttl_seconds
    )
    contact.portal_status = "invited"
    contact.invited_at = utcnow()
    await session.flush()
    await CONTACT.record(session, "contact.invited", context.principal.actor, contact)
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


async def _spend_link(
    session: AsyncSession, runtime: Runtime, route: str, token: str, purpose: str, address: str
) -> Contact:
    """The contact a link of ``purpose`` names, spending the link (counted per address)."""
    await _public_rate(session, runtime, route, address)
    try:
        return await _spend_secret(session, token, purpose)
    except NotFound as error:
        raise _failing(error) from None


async def activate(
    session: AsyncSession, runtime: Runtime, token: str, password: str, address: str
) -> Contact:
    contact = await _spend_link(session, runtime, "activate", token, "invite", address)
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
        await _send_link(
            session, settings, contact, "reset", settings.portal_reset_ttl_seconds, background=True
        )


async def reset_password(
    session: AsyncSession, runtime: Runtime, token: str, password: str, address: str
) -> Contact:
    contact = await _spend_link(session, runtime, "reset", token, "reset", address)
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
