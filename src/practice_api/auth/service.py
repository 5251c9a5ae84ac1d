"""Sign-in, refresh-token rotation with reuse detection, and sign-out (the SQL is in
``auth.repository``)."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from typing import NoReturn

from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.access.models import AuthSession, RefreshToken
from practice_api.auth.repository import AuthRepository
from practice_api.auth.schemas import TokenPair
from practice_api.core import ratelimit
from practice_api.core.errors import BadRequest, NotAuthenticated
from practice_api.core.security import PrincipalKind, hash_secret, new_secret
from practice_api.core.time import utcnow
from practice_api.runtime import Runtime
from practice_api.users.repository import find_user_by_email


def _invalid_credentials() -> NotAuthenticated:
    # Unknown user and wrong password answer exactly the same.
    return NotAuthenticated("Wrong e-mail or password.", code="invalid_credentials")


def _invalid_refresh() -> NotAuthenticated:
    return NotAuthenticated(
        "The refresh token is invalid or expired.", code="refresh_token_invalid"
    )


async def sign_in(
    session: AsyncSession,
    runtime: Runtime,
    email: str,
    password: str,
    client_address: str,
    firm_id: uuid.UUID | None = None,
) -> TokenPair:
    """Staff first, then portal contacts (see README, "Contacts and the portal").

    A staff user with this e-mail (and, when given, in ``firm_id``) whose password matches
    gets a staff token. Otherwise the active contacts with this e-mail are tried (only those
    of ``firm_id`` when given): exactly one whose password matches gets a contact token;
    several (the same person, same password, in several firms) answer 400
    ``firm_id_required``. Everything else is the same 401.
    """
    settings = runtime.settings
    account = email.strip().lower()
    # Every attempt counts before the password is checked, each in its own committed
    # transaction, so parallel guesses cannot slip past the limits (see core/ratelimit.py).
    await ratelimit.take_hit(
        runtime.sessionmaker,
        f"login:address:{client_address}",
        settings.login_attempts_per_address,
        settings.login_address_window_seconds,
    )
    # Per account *and* address: an attacker elsewhere slows down, the owner does not.
    # A bucket name fits its column (300): a long e-mail (up to 320) is kept as its digest.
    account_key = account if len(account) <= 200 else hashlib.sha256(account.encode()).hexdigest()
    account_bucket = f"login:account:{client_address}:{account_key}"
    await ratelimit.take_attempt(
        runtime.sessionmaker,
        account_bucket,
        settings.login_failures_per_account,
        settings.login_failure_window_seconds,
        settings.login_delay_cap_seconds,
    )
    user = await find_user_by_email(session, email.strip())
    if user is not None and firm_id is not None and user.firm_id != firm_id:
        user = None
    valid = await runtime.hasher.averify(password, user.password_hash if user else None)
    if user is not None and valid and user.is_active:
        await ratelimit.clear(session, account_bucket)
        await AuthRepository(session).signed_in("staff", user.id)
        return await start_session(session, runtime, "staff", user.id, user.firm_id)
    contacts = await AuthRepository(session).portal_contacts(email.strip(), firm_id)
    matching = [c for c in contacts if await runtime.hasher.averify(password, c.password_hash)]
    if len(matching) > 1:
        raise BadRequest(
            "This e-mail has portal access at several firms; send `firm_id` to choose one.",
            code="firm_id_required",
            extra={"firm_ids": sorted(str(c.firm_id) for c in matching)},
        )
    if len(matching) == 1:
        contact = matching[0]
        await ratelimit.clear(session, account_bucket)
        await AuthRepository(session).signed_in("contact", contact.id)
        return await start_session(session, runtime, "contact", contact.id, contact.firm_id)
    raise _invalid_credentials()


async def start_session(
    session: AsyncSession,
    runtime: Runtime,
    kind: PrincipalKind,
    principal_id: uuid.UUID,
    firm_id: uuid.UUID,
) -> TokenPair:
    auth_session = await AuthRepository(session).add_session(
        AuthSession(firm_id=firm_id, principal_kind=kind, principal_id=principal_id)
    )
    return await _issue(session, runtime, auth_session)


async def _issue(session: AsyncSession, runtime: Runtime, auth_session: AuthSession) -> TokenPair:
    refresh = new_secret()
    ttl = runtime.settings.refresh_token_ttl_seconds
    await AuthRepository(session).add_refresh_token(
        RefreshToken(
            session_id=auth_session.id,
            token_hash=hash_secret(refresh),
            expires_at=utcnow() + dt.timedelta(seconds=ttl),
        )
    )
    access = runtime.tokens.issue(
        auth_session.principal_id,
        "staff" if auth_session.principal_kind == "staff" else "contact",
        auth_session.firm_id,
        auth_session.id,
    )
    return TokenPair(
        access_token=access,
        expires_in=runtime.tokens.ttl_seconds,
        refresh_token=refresh,
        refresh_expires_in=ttl,
    )


async def refresh(session: AsyncSession, runtime: Runtime, refresh_token: str) -> TokenPair:
    """Rotate: the presented token is spent and a new one issued in the same session.

    A spent token presented again means it leaked: the whole session (the token family)
    is revoked, and that revocation is committed even though the request fails.
    """
    now = utcnow()
    token_hash = hash_secret(refresh_token)
    repository = AuthRepository(session)
    # One compare-and-set spends the token: of two racing requests exactly one gets it.
    session_id = await repository.spend_refresh_token(token_hash, now)
    if session_id is None:
        await _refused_refresh(repository, token_hash, now)
    auth_session = await repository.get(session_id)
    if (
        auth_session is None
        or auth_session.revoked_at is not None
        or not await repository.principal_active(auth_session)
    ):
        raise _invalid_refresh()
    return await _issue(session, runtime, auth_session)


async def _refused_refresh(
    repository: AuthRepository, token_hash: str, now: dt.datetime
) -> NoReturn:
    """Why the token could not be spent. A used one means it leaked (or two copies raced):
    the whole session (the token family) is revoked, committed though the request fails."""
    used = await repository.session_of_used_token(token_hash)
    if used is None:
        raise _invalid_refresh()
    await repository.revoke_session(used, now, "refresh_token_reused")
    error = NotAuthenticated(
        "This refresh token was already used; the session has been ended.",
        code="refresh_token_reused",
    )
    error.keep_changes = True
    raise error
