"""Sign-in sessions: whether one still stands, and ending them (the tables: ``access.models``).

Every domain that ends a principal's access (a deactivated user, a disabled contact) calls
``revoke_sessions``; the bearer-token dependency (``access.principals``) and the idempotency
middleware ask whether a token's session is live.
"""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from practice_api.access.models import AuthSession
from practice_api.core.security import PrincipalKind
from practice_api.core.time import utcnow


def live_session(session_id: uuid.UUID, principal_id: uuid.UUID) -> ColumnElement[bool]:
    """SQL: the session exists for this principal and was neither logged out nor revoked."""
    return (
        select(AuthSession.id)
        .where(
            AuthSession.id == session_id,
            AuthSession.principal_id == principal_id,
            AuthSession.revoked_at.is_(None),
        )
        .exists()
    )


async def revoke_sessions(
    session: AsyncSession,
    kind: PrincipalKind,
    principal_id: uuid.UUID,
    reason: str,
    *,
    keep: uuid.UUID | None = None,
) -> None:
    """End every live session of a principal (but ``keep``): its access and refresh tokens
    stop working."""
    statement = update(AuthSession).where(
        AuthSession.principal_kind == kind,
        AuthSession.principal_id == principal_id,
        AuthSession.revoked_at.is_(None),
    )
    if keep is not None:
        statement = statement.where(AuthSession.id != keep)
    await session.execute(statement.values(revoked_at=utcnow(), revoked_reason=reason[:50]))


async def end_session(session: AsyncSession, session_id: uuid.UUID) -> None:
    """Sign out: end one session."""
    await session.execute(
        update(AuthSession)
        .where(AuthSession.id == session_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_reason="logout")
    )


async def session_is_live(
    sessionmaker: async_sessionmaker[AsyncSession], session_id: uuid.UUID
) -> bool:
    """Whether a token's session still stands (not logged out or revoked)."""
    async with sessionmaker() as session:
        revoked = await session.execute(
            select(AuthSession.revoked_at).where(AuthSession.id == session_id)
        )
        row = revoked.one_or_none()
    return row is not None and row[0] is None
