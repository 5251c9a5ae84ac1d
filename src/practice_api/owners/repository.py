from __future__ import annotations

import uuid
from typing import Literal

from sqlalchemy import Select, func, or_, select

from practice_api.core.pagination import Ordering
from practice_api.core.repository import FirmScopedRepository, like_pattern
from practice_api.owners.models import Owner
from practice_api.users.models import User

OWNER_ORDERING = Ordering(
    fields={"name": Owner.name, "created_at": Owner.created_at},
    id_column=Owner.id,
    default="name",
)


class OwnerRepository(FirmScopedRepository[Owner]):
    model = Owner
    not_found_code = "owner_not_found"
    not_found_detail = "No owner with that id."

    def filtered(
        self,
        *,
        kind: Literal["user", "manual"] | None = None,
        user_id: uuid.UUID | None = None,
        q: str | None = None,
        active: bool | None = None,
    ) -> Select[Owner]:
        statement = self.readable()
        if active is not None:
            inactive_user = (
                select(User.id).where(User.id == Owner.user_id, User.is_active.is_(False)).exists()
            )
            statement = statement.where(~inactive_user if active else inactive_user)
        if kind == "user":
            statement = statement.where(Owner.user_id.is_not(None))
        elif kind == "manual":
            statement = statement.where(Owner.user_id.is_(None))
        if user_id is not None:
            statement = statement.where(Owner.user_id == user_id)
        if q:
            pattern = like_pattern(q)
            statement = statement.where(
                or_(
                    func.lower(Owner.name).like(pattern, escape="\\"),
                    func.lower(Owner.email).like(pattern, escape="\\"),
                )
            )
        return statement

    async def for_user(self, user_id: uuid.UUID) -> Owner | None:
        result = await self.session.scalar(self.readable().where(Owner.user_id == user_id))
        return result
