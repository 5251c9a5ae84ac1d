from __future__ import annotations

import uuid

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.access.sessions import revoke_sessions
from practice_api.core.pagination import Ordering
from practice_api.core.repository import FirmScopedRepository, like_pattern
from practice_api.firms.models import Firm
from practice_api.users.models import User

USER_ORDERING = Ordering(
    fields={"name": User.name, "email": User.email, "created_at": User.created_at},
    id_column=User.id,
    default="name",
)


class UserRepository(FirmScopedRepository[User]):
    model = User
    not_found_code = "user_not_found"
    not_found_detail = "No user with that id."
    unique_across_firms = True  # e-mails are sign-in names: unique over every firm

    async def count_active_admins(self) -> int:
        """Counted under a lock on the firm row, so two concurrent demotions, deactivations
        or deletions cannot both see a second admin and leave none (PostgreSQL; SQLite's
        writers are serialized anyway and ignore FOR UPDATE)."""
        await self.session.execute(select(Firm.id).where(Firm.id == self.firm_id).with_for_update())
        count = await self.session.scalar(
            select(func.count()).where(
                User.firm_id == self.firm_id, User.role == "admin", User.is_active.is_(True)
            )
        )
        return int(count or 0)

    async def count_in_office(self, office_id: uuid.UUID) -> int:
        count = await self.session.scalar(
            select(func.count()).where(User.firm_id == self.firm_id, User.office_id == office_id)
        )
        return int(count or 0)

    def filtered(
        self,
        *,
        role: str | None,
        office_id: uuid.UUID | None,
        is_active: bool | None,
        q: str | None,
    ) -> Select[User]:
        statement = self.readable()
        if role is not None:
            statement = statement.where(User.role == role)
        if office_id is not None:
            statement = statement.where(User.office_id == office_id)
        if is_active is not None:
            statement = statement.where(User.is_active.is_(is_active))
        if q:
            pattern = like_pattern(q)
            statement = statement.where(
                or_(
                    func.lower(User.name).like(pattern, escape="\\"),
                    User.email.like(pattern, escape="\\"),
                )
            )
        return statement

    async def revoke_sessions(
        self, user_id: uuid.UUID, reason: str, *, keep: uuid.UUID | None = None
    ) -> None:
        """End the user's sessions (all, or all but ``keep``: the caller's own)."""
        await revoke_sessions(self.session, "staff", user_id, reason, keep=keep)


async def find_user_by_email(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(User.email == email.lower()))
