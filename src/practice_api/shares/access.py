"""What a share grants: the entity access level of the staff user it names (its role)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.core.principals import Principal
from practice_api.entities.models import Entity
from practice_api.entities.visibility import Grant, GrantedLevel, GrantRegistry
from practice_api.shares.models import Share


def shared_entity_ids(principal: Principal) -> Select[uuid.UUID]:
    return select(Share.entity_id).where(Share.user_id == principal.id)


async def shared_levels(
    session: AsyncSession, principal: Principal, entity_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, GrantedLevel]:
    rows = await session.execute(
        select(Share.entity_id, Share.role).where(
            Share.user_id == principal.id, Share.entity_id.in_(entity_ids)
        )
    )
    return {entity_id: "editor" if role == "editor" else "viewer" for entity_id, role in rows}


def shared_role(principal: Principal) -> ColumnElement[str | None]:
    return (
        select(Share.role)
        .where(Share.entity_id == Entity.id, Share.user_id == principal.id)
        .limit(1)
        .scalar_subquery()
    )


SHARES = Grant(entity_ids=shared_entity_ids, levels=shared_levels, row_role=shared_role)


def register(grants: GrantRegistry) -> None:
    grants.add(SHARES)
