"""Who is calling: the principal resolved from the bearer token, once per request.

The token names a principal kind (``staff``, ``contact``); the domain that owns the kind
registers a loader for it (``users.principals``, ``contacts.principals``) through
``register_all()``. A loader returns the principal when it is still active and its session
(``access.sessions.live_session``) still stands, else ``None`` (401 ``token_revoked``).

A resolved principal is remembered for at most ``PRINCIPAL_CACHE_SECONDS`` (one second)
per token, so a burst of requests costs one JWT decode and one query. Within this process
any committed change to the tables a loader watches (users, contacts, their entity access,
registered with the loader) or to sign-in sessions (logout, deactivation, role change,
revocation) forgets every remembered principal at once; other processes honour it within
the second.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from itertools import chain
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from practice_api.access.models import AuthSession
from practice_api.core.errors import Forbidden, NotAuthenticated
from practice_api.core.principals import Principal
from practice_api.core.security import AccessClaims, InvalidToken, TokenCodec
from practice_api.core.time import utcnow
from practice_api.db import SessionDep

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/v1/auth/token", auto_error=False)

PrincipalLoader = Callable[[AsyncSession, AccessClaims], Awaitable[Principal | None]]


class PrincipalRegistry:
    """The loaders of the principal kinds, by kind, and the tables whose changes may change
    who a token names (filled by ``register_all()``)."""

    def __init__(self) -> None:
        self.loaders: dict[str, PrincipalLoader] = {}
        self.watched: tuple[type, ...] = (AuthSession,)

    def loader(self, kind: str, load: PrincipalLoader, *, watch: tuple[type, ...] = ()) -> None:
        self.loaders[kind] = load
        self.watched = tuple(dict.fromkeys((*self.watched, *watch)))


PRINCIPALS = PrincipalRegistry()

PRINCIPAL_CACHE_SECONDS = 1.0
# Under PRACTICE_ENVIRONMENT=test a remembered principal lasts a minute, so what a test
# counts (statements per request) never depends on how fast the machine is; everything
# that forgets principals (commits, expiry on the movable clock) works as in production.
TEST_PRINCIPAL_CACHE_SECONDS = 60.0
_CACHE_MAX = 10_000
# (codec, token) -> (monotonic deadline, generation, token expiry, principal)
_cache: dict[tuple[int, str], tuple[float, int, int, Principal]] = {}
_generation = 0


def forget_principals() -> None:
    """Drop every remembered principal (a change to who may sign in was committed)."""
    global _generation
    _generation += 1
    _cache.clear()


_CHANGED = "principals_changed"


@event.listens_for(Session, "after_flush")
def _note_flush(session: Session, _flush: UOWTransaction) -> None:
    watched = PRINCIPALS.watched
    if any(isinstance(o, watched) for o in chain(session.new, session.dirty, session.deleted)):
        session.info[_CHANGED] = True
    elif any(o.__class__.__name__ == "Entity" for o in session.deleted):
        session.info[_CHANGED] = True  # its contacts may have lost their last entity


@event.listens_for(Session, "do_orm_execute")
def _note_statement(state: ORMExecuteState) -> None:
    if state.is_update or state.is_delete or state.is_insert:
        mapper = state.bind_mapper
        if mapper is not None and issubclass(mapper.class_, PRINCIPALS.watched):
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


def _remember(
    key: tuple[int, str], generation: int, expires_at: int, principal: Principal, ttl: float
) -> None:
    if generation != _generation:
        return  # something changed while we looked: do not keep what we saw
    if len(_cache) >= _CACHE_MAX:
        _cache.clear()
    _cache[key] = (time.monotonic() + ttl, generation, expires_at, principal)


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
    testing = request.app.state.runtime.settings.environment == "test"
    ttl = TEST_PRINCIPAL_CACHE_SECONDS if testing else PRINCIPAL_CACHE_SECONDS
    _remember(key, generation, expires_at, principal, ttl)
    return principal


async def _resolve(codec: TokenCodec, session: AsyncSession, token: str) -> tuple[Principal, int]:
    """Decode the token and ask the loader of its kind, in one small query of a few
    columns, that its session stands and its principal may still sign in."""
    try:
        claims = codec.decode(token)
    except InvalidToken:
        raise NotAuthenticated("The token is invalid or expired.", code="token_invalid") from None
    load = PRINCIPALS.loaders.get(claims.kind)
    principal = await load(session, claims) if load is not None else None
    if principal is None:
        raise NotAuthenticated("The token is no longer valid.", code="token_revoked")
    return principal, claims.expires_at


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
