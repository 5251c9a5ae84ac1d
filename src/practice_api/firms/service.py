"""Firm sign-up and firm settings."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.core.errors import Conflict, Forbidden, NotFound
from practice_api.core.etag import check_if_match
from practice_api.core.principals import Principal
from practice_api.core.security import PasswordHasher
from practice_api.events.service import changes_between, record_event
from practice_api.firms.models import Firm
from practice_api.firms.schemas import FirmSignup, FirmUpdate
from practice_api.users.models import User
from practice_api.users.repository import find_user_by_email


async def sign_up(
    session: AsyncSession, data: FirmSignup, hasher: PasswordHasher, *, allowed: bool
) -> tuple[Firm, User]:
    if not allowed:
        raise Forbidden("Sign-up of new firms is turned off here.", code="signup_disabled")
    return await create_firm_with_admin(
        session, data.firm_name, data.admin_name, data.admin_email, data.admin_password, hasher
    )


async def create_firm_with_admin(
    session: AsyncSession,
    firm_name: str,
    admin_name: str,
    admin_email: str,
    password: str,
    hasher: PasswordHasher,
) -> tuple[Firm, User]:
    if await find_user_by_email(session, admin_email) is not None:
        raise Conflict("A user with this e-mail already exists.", code="email_taken")
    firm = Firm(name=firm_name)
    session.add(firm)
    await session.flush()
    admin = User(
        firm_id=firm.id,
        email=admin_email.lower(),
        name=admin_name,
        role="admin",
        password_hash=await hasher.ahash(password),
    )
    session.add(admin)
    await session.flush()
    return firm, admin


async def get_firm(session: AsyncSession, principal: Principal) -> Firm:
    firm = await session.get(Firm, principal.firm_id)
    if firm is None:  # the principal's firm was deleted under it
        raise NotFound("No such firm.", code="firm_not_found")
    return firm


async def update_firm(
    session: AsyncSession, principal: Principal, data: FirmUpdate, if_match: str | None
) -> Firm:
    firm = await get_firm(session, principal)
    check_if_match(if_match, firm.version)
    changes = data.changes()
    before = {field: getattr(firm, field) for field in changes}
    for field, value in changes.items():
        setattr(firm, field, value)
    await session.flush()
    diff = changes_between(before, changes)
    if diff:
        await record_event(
            session,
            type="firm.updated",
            firm_id=firm.id,
            actor=principal.actor,
            subject=("firm", firm.id),
            payload={"name": firm.name, "changes": diff},
        )
    return firm
