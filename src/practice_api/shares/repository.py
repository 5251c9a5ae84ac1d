from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Select

from practice_api.core.pagination import Ordering
from practice_api.core.repository import FirmScopedRepository
from practice_api.shares.models import Share

SHARE_ORDERING = Ordering(
    fields={"created_at": Share.created_at, "updated_at": Share.updated_at},
    id_column=Share.id,
    default="created_at",
)


class ShareRepository(FirmScopedRepository[Share]):
    """Shares of the firm; callers reach them through an entity they may see, or as admins."""

    model = Share
    not_found_code = "share_not_found"
    not_found_detail = "No share with that id on this entity."

    def filtered(
        self, *, entity_id: uuid.UUID | None = None, user_id: uuid.UUID | None = None
    ) -> Select[Share]:
        statement = self.readable()
        if entity_id is not None:
            statement = statement.where(Share.entity_id == entity_id)
        if user_id is not None:
            statement = statement.where(Share.user_id == user_id)
        return statement

    async def for_pairs(
        self, entity_ids: Sequence[uuid.UUID], user_ids: Sequence[uuid.UUID]
    ) -> dict[tuple[uuid.UUID, uuid.UUID], Share]:
        rows = await self.session.scalars(
            self.readable().where(Share.entity_id.in_(entity_ids), Share.user_id.in_(user_ids))
        )
        return {(s.entity_id, s.user_id): s for s in rows.unique()}
