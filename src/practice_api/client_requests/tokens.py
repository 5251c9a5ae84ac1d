"""Guest links and one-time codes: random secrets, stored only as their hashes.

A guest's link carries a token from ``new_token`` (256 random bits); the recipient row
keeps ``hash_token(token)`` and when it expires. The plain token is shown once: in the
create response and when staff issue a new link. ``find_recipient`` is the one lookup a
token goes through (unknown, expired, revoked, or a closed request: ``None``, a 404 to
the caller).
"""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.client_requests.models import ClientRequest, ClientRequestRecipient
from practice_api.core.security import hash_secret, new_secret
from practice_api.core.time import utcnow

CODE_DIGITS = 6
MAX_TOKEN_LENGTH = 200  # longer path values are not tokens (no hashing of huge input)


def new_token() -> str:
    return new_secret()


def hash_token(token: str) -> str:
    """sha256 hex of a token or code (tokens carry 256 bits: no salt needed)."""
    return hash_secret(token)


def new_code() -> str:
    """A one-time code of ``CODE_DIGITS`` digits (hash it with ``hash_token`` with the
    recipient id as a prefix: short codes must not be looked up by hash alone)."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def issue_link(
    recipient: ClientRequestRecipient, lifetime_days: int, now: dt.datetime | None = None
) -> str:
    """A new link token for a guest: the old one stops working; returns the plain token."""
    token = new_token()
    now = now or utcnow()
    recipient.token_hash = hash_token(token)
    recipient.token_expires_at = now + dt.timedelta(days=lifetime_days)
    recipient.revoked_at = None
    recipient.session_hash = None
    recipient.session_expires_at = None
    return token


def revoke_link(recipient: ClientRequestRecipient, now: dt.datetime | None = None) -> None:
    recipient.revoked_at = now or utcnow()
    recipient.session_hash = None
    recipient.session_expires_at = None


def link_is_live(recipient: ClientRequestRecipient, now: dt.datetime | None = None) -> bool:
    now = now or utcnow()
    return (
        recipient.kind == "guest"
        and recipient.token_hash is not None
        and recipient.revoked_at is None
        and recipient.token_expires_at is not None
        and recipient.token_expires_at > now
    )


async def find_recipient(
    session: AsyncSession, token: str
) -> tuple[ClientRequestRecipient, ClientRequest] | None:
    """The guest recipient and request a link token opens, or ``None`` (unknown, expired,
    revoked, or the request was cancelled)."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    row = (
        await session.execute(
            select(ClientRequestRecipient, ClientRequest)
            .join(ClientRequest, ClientRequest.id == ClientRequestRecipient.request_id)
            .where(ClientRequestRecipient.token_hash == hash_token(token))
        )
    ).first()
    if row is None:
        return None
    recipient, request = row
    if not link_is_live(recipient) or request.status == "cancelled":
        return None
    return recipient, request
