"""Who is calling: the principal resolved from the bearer token, once per request.

A resolved principal is remembered for at most ``PRINCIPAL_CACHE_SECONDS`` (one second)
per token, so a burst of requests costs one JWT decode and one query. Within this process
any committed change to users, contacts, their entity access or sign-in sessions (logout,
deactivation, role change, revocation) forgets every remembered principal at once; other
processes honour it within the second.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from itertools import chain
from typing import Annotated, Literal

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from practice_api.auth.models import AuthSession
from practice_api.contacts.models import Contact, EntityContact
from practice_api.core.errors import Forbidden, NotAuthenticated
from practice_api.core.security import InvalidToken, PrincipalKind, TokenCodec
from practice_api.core.time import utcnow
from practice_api.db import SessionDep
from practice_api.events.service import Actor
from practice_api.users.models import User

Role = Literal["admin", "staff"]

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/v1/auth/token", auto_error=False)


@dataclass(frozen=True)
class Principal:
    kind: PrincipalKind
    id: uuid.UUID
    firm_id: uuid.UUID
    session_id: uuid.UUID
    name: str
    email: str
    role: Role | None = None  # staff only

    @property
    def is_admin(self) -> bool:
        return self.kind == "staff" and self.role == "admin"

    @property
    def actor(self) -> Actor:
        """This principal as the actor of a domain event."""
        return Actor(self.kind, self.id, self.name)


PRINCIPAL_CACHE_SECONDS = 1.0
_CACHE_MAX = 10_000
# (codec, token) -> (monotonic deadline, generation, token expiry, principal)
_cache: dict[tuple[int, str], tuple[float, int, int, Principal]] = {}
_generation = 0


def forget_principals() -> None:
    """Drop every remembered principal (a change to who may sign in was committed)."""
    global _generation
    _generation += 1
    _cache.clear()


_WATCHED: tuple[type, ...] = (User, Contact, EntityContact, AuthSession)
_CHANGED = "principals_changed"


@event.listens_for(Session, "after_flush")
def _note_flush(session: Session, _flush: UOWTransaction) -> None:
    if any(isinstance(o, _WATCHED) for o in chain(session.new, session.dirty, session.deleted)):
        session.info[_CHANGED] = True
    elif any(o.__class__.__name__ == "Entity" for o in session.deleted):
        session.info[_CHANGED] = True  # its contacts may have lost their last entity


@event.listens_for(Session, "do_orm_execute")
def _note_statement(state: ORMExecuteState) -> None:
    if state.is_update or state.is_delete or state.is_insert:
        mapper = state.bind_mapper
        if mapper is not None and issubclass(mapper.class_, _WATCHED):
            state.session.info[_CHANGED] = True


@event.listens_for(Session, "after_commit")
def _forget_after_commit(session: Session) -> None:
    if session.info.pop(_CHANGED, False):
        forget_principals()


@event.listens_for(Session, "after_rollback")
def _discard_note(session: Session) -> None:
    session.info.pop(_CHANGED, None)


def _remembered(key: tuple[int, str]) -> Principal | None:
    entry = _cache.get(key)
    if entry is None:
        return None
    deadline, generation, expires_at, principal = entry
    if generation != _generation or time.monotonic() >= deadline or utcnow_ts() >= expires_at:
        _cache.pop(key, None)
        return None
    return principal


def utcnow_ts() -> float:
    return utcnow().timestamp()


def _remember(key: tuple[int, str], generation: int, expires_at: int, principal: Principal) -> None:
    if generation != _generation:
        return  # something changed while we looked: do not keep what we saw
    if len(_cache) >= _CACHE_MAX:
        _cache.clear()
    _cache[key] = (time.monotonic() + PRINCIPAL_CACHE_SECONDS, generation, expires_at, principal)


async def current_principal(
    request: Request,
    session: SessionDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> Principal:
    if not token:
        raise NotAuthenticated("A bearer token is required.", code="token_missing")
    codec = request.app.state.tokens
    key = (id(codec), token)
    remembered = _remembered(key)
    if remembered is not None:
        return remembered
    generation = _generation
    principal, expires_at = await _resolve(codec, session, token)
    _remember(key, generation, expires_at, principal)
    return principal


async def _resolve(codec: TokenCodec, session: AsyncSession, token: str) -> tuple[Principal, int]:
    """Decode the token and check, in one small query of a few columns, that its session
    stands and its principal may still sign in."""
    try:
        claims = codec.decode(token)
    except InvalidToken:
        raise NotAuthenticated("The token is invalid or expired.", code="token_invalid") from None
    live_session = (
        select(AuthSession.id)
        .where(
            AuthSession.id == claims.session_id,
            AuthSession.principal_id == claims.subject,
            AuthSession.revoked_at.is_(None),
        )
        .exists()
    )
    if claims.kind == "staff":
        user = (
            await session.execute(
                select(User.id, User.firm_id, User.name, User.email, User.role).where(
                    User.id == claims.subject,
                    User.firm_id == claims.firm_id,
                    User.is_active.is_(True),
                    live_session,
                )
            )
        ).first()
        if user is not None:
            role: Role = "admin" if user.role == "admin" else "staff"
            principal = Principal(
                kind="staff",
                id=claims.subject,
                firm_id=claims.firm_id,
                session_id=claims.session_id,
                name=user.name,
                email=user.email,
                role=role,
            )
            return principal, claims.expires_at
    elif claims.kind == "contact":
        contact = (
            await session.execute(
                select(Contact.name, Contact.email).where(
                    Contact.id == claims.subject,
                    Contact.firm_id == claims.firm_id,
                    Contact.portal_status == "active",
                    select(EntityContact.id).where(EntityContact.contact_id == Contact.id).exists(),
                    live_session,
                )
            )
        ).first()
        if contact is not None:
            principal = Principal(
                kind="contact",
                id=claims.subject,
                firm_id=claims.firm_id,
                session_id=claims.session_id,
                name=contact.name,
                email=contact.email,
            )
            return principal, claims.expires_at
    raise NotAuthenticated("The token is no longer valid.", code="token_revoked")


async def current_staff(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    if principal.kind != "staff":
        raise Forbidden("This route is for firm staff.", code="staff_only")
    return principal


async def current_contact(
    principal: Annotated[Principal, Depends(current_principal)],
) -> Principal:
    if principal.kind != "contact":
        raise Forbidden("This route is for client contacts (the portal).", code="contact_only")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
CurrentStaff = Annotated[Principal, Depends(current_staff)]
CurrentContact = Annotated[Principal, Depends(current_contact)]
