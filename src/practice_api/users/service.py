"""Staff users: create, change, deactivate, delete; the firm always keeps an active admin."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.core.errors import Conflict, Forbidden, ValidationFailed, ValidationIssue
from practice_api.core.etag import check_if_match
from practice_api.core.principals import Principal
from practice_api.core.security import PasswordHasher
from practice_api.events.service import EventSubject, changes_between
from practice_api.offices.repository import OfficeRepository
from practice_api.users.models import User
from practice_api.users.repository import UserRepository
from practice_api.users.schemas import UserCreate, UserUpdate


class UserRemoval(Protocol):
    """A step another domain runs before a user is deleted, in the same transaction (the
    owners domain takes the user off the owner list and moves their entities as chosen)."""

    def __call__(
        self,
        session: AsyncSession,
        principal: Principal,
        user_id: uuid.UUID,
        *,
        transfer_to: uuid.UUID | None,
        leave_unowned: bool,
    ) -> Awaitable[None]: ...


class UserRemovalHooks:
    """The steps run before a user is deleted (filled by ``register_all()``)."""

    def __init__(self) -> None:
        self.steps: list[UserRemoval] = []

    def add(self, step: UserRemoval) -> None:
        if step not in self.steps:
            self.steps.append(step)


USER_REMOVAL = UserRemovalHooks()


USER: EventSubject[User] = EventSubject(
    "user",
    lambda user: {"name": user.name, "email": user.email, "role": user.role, "changes": {}},
)


def _email_taken() -> Conflict:
    return Conflict("A user with this e-mail already exists.", code="email_taken")


async def _check_office(session: AsyncSession, firm_id: uuid.UUID, office_id: uuid.UUID) -> None:
    if await OfficeRepository(session, firm_id).get(office_id) is None:
        raise ValidationFailed(
            "The office does not exist in this firm.",
            code="office_not_found",
            errors=[ValidationIssue(loc=["body", "office_id"], msg="unknown office", type="ref")],
        )


async def create_user(
    session: AsyncSession, principal: Principal, data: UserCreate, hasher: PasswordHasher
) -> User:
    users = UserRepository(session, principal.firm_id)
    if await users.taken(email=data.email.lower()):
        raise _email_taken()
    if data.office_id is not None:
        await _check_office(session, principal.firm_id, data.office_id)
    user = users.add(
        User(
            firm_id=principal.firm_id,
            office_id=data.office_id,
            email=data.email.lower(),
            name=data.name,
            role=data.role,
            password_hash=await hasher.ahash(data.password),
        )
    )
    await session.flush()
    await USER.record(session, "user.created", principal.actor, user)
    return user


async def _ensure_admin_remains(users: UserRepository, user: User) -> None:
    if user.role == "admin" and user.is_active and await users.count_active_admins() <= 1:
        raise Conflict("The firm must keep at least one active admin.", code="last_admin")


async def update_user(
    session: AsyncSession,
    principal: Principal,
    user_id: uuid.UUID,
    data: UserUpdate,
    if_match: str | None,
    hasher: PasswordHasher,
) -> User:
    users = UserRepository(session, principal.firm_id)
    user = await users.get_or_404(user_id)
    check_if_match(if_match, user.version)
    changes = data.changes()
    current_password = changes.pop("current_password", None)
    if user.id == principal.id and ("email" in changes or "password" in changes):
        # A stolen access token must not be enough to take the account over for good.
        if current_password is None:
            raise ValidationFailed(
                "Give your current password to change your own e-mail or password.",
                code="current_password_required",
            )
        if not await hasher.averify(current_password, user.password_hash):
            raise Forbidden("The current password is wrong.", code="current_password_invalid")
    if "email" in changes:
        changes["email"] = changes["email"].lower()
        if await users.taken(email=changes["email"], except_id=user.id):
            raise _email_taken()
    if changes.get("office_id") is not None:
        await _check_office(session, principal.firm_id, changes["office_id"])
    if changes.get("role") == "staff":
        await _ensure_admin_remains(users, user)
    password = changes.pop("password", None)
    before = {field: getattr(user, field) for field in changes}
    if password is not None:
        user.password_hash = await hasher.ahash(password)
        # Every other session ends; the one changing its own password stays signed in.
        own = principal.session_id if principal.id == user.id else None
        await users.revoke_sessions(user.id, "password_changed", keep=own)
    for field, value in changes.items():
        setattr(user, field, value)
    await session.flush()
    diff = changes_between(before, changes)
    if password is not None:
        diff["password"] = {"old": "(hidden)", "new": "(changed)"}
    if diff:
        await USER.record(session, "user.updated", principal.actor, user, changes=diff)
    return user


async def set_active(
    session: AsyncSession, principal: Principal, user_id: uuid.UUID, active: bool
) -> User:
    users = UserRepository(session, principal.firm_id)
    user = await users.get_or_404(user_id)
    if user.is_active == active:
        return user
    if not active:
        if user.id == principal.id:
            raise Conflict("You cannot deactivate yourself.", code="cannot_deactivate_self")
        await _ensure_admin_remains(users, user)
        await users.revoke_sessions(user.id, "deactivated")
    user.is_active = active
    await session.flush()
    await USER.record(
        session, "user.reactivated" if active else "user.deactivated", principal.actor, user
    )
    return user


async def delete_user(
    session: AsyncSession,
    principal: Principal,
    user_id: uuid.UUID,
    if_match: str | None,
    *,
    transfer_to: uuid.UUID | None = None,
    leave_unowned: bool = False,
) -> None:
    users = UserRepository(session, principal.firm_id)
    user = await users.get_or_404(user_id)
    check_if_match(if_match, user.version)
    if user.id == principal.id:
        raise Conflict("You cannot delete yourself.", code="cannot_delete_self")
    await _ensure_admin_remains(users, user)
    # E.g. a user on the owner list leaves it; their entities go as the caller chose (or 409).
    for step in USER_REMOVAL.steps:
        await step(
            session, principal, user.id, transfer_to=transfer_to, leave_unowned=leave_unowned
        )
    await users.revoke_sessions(user.id, "deleted")
    await USER.record(session, "user.deleted", principal.actor, user)
    await users.delete(user)
