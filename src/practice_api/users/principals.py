"""Staff tokens: the loader ``access.principals`` uses for principals of kind ``staff``."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.access.principals import PrincipalRegistry
from practice_api.access.sessions import live_session
from practice_api.core.principals import Principal, Role
from practice_api.core.security import AccessClaims
from practice_api.users.models import User


async def load_staff(session: AsyncSession, claims: AccessClaims) -> Principal | None:
    """The active user of the token's firm, while its session stands."""
    user = (
        await session.execute(
            select(User.name, User.email, User.role).where(
                User.id == claims.subject,
                User.firm_id == claims.firm_id,
                User.is_active.is_(True),
                live_session(claims.session_id, claims.subject),
            )
        )
    ).first()
    if user is None:
        return None
    role: Role = "admin" if user.role == "admin" else "staff"
    return Principal(
        kind="staff",
        id=claims.subject,
        firm_id=claims.firm_id,
        session_id=claims.session_id,
        name=user.name,
        email=user.email,
        role=role,
    )


def register(principals: PrincipalRegistry) -> None:
    principals.loader("staff", load_staff, watch=(User,))
