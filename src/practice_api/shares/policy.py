"""Who may see and change an entity's shares (rows ``shares.*`` of ``access.matrix``)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from practice_api.access.policy import firm_policy
from practice_api.access.principals import current_staff
from practice_api.core.principals import Principal
from practice_api.db import SessionDep
from practice_api.entities.policy import EntityContext, ensure_allowed, entity_policy
from practice_api.entities.repository import EntityRepository
from practice_api.entities.visibility import entity_access
from practice_api.shares.repository import ShareRepository
from practice_api.shares.schemas import ShareUpdate
from practice_api.shares.service import ShareContext

can_view_shares = entity_policy("shares.view")
can_manage_shares = entity_policy("shares.manage")
can_list_firm_shares = firm_policy("shares.list_firm")
can_bulk_share = firm_policy("shares.bulk")


async def _share_context(
    entity: EntityContext, share_id: uuid.UUID, session: SessionDep
) -> ShareContext:
    share = await ShareRepository(session, entity.principal.firm_id).on_entity_or_404(
        entity.entity.id, share_id
    )
    return ShareContext(entity=entity, share=share)


async def can_view_share(
    share_id: uuid.UUID,
    session: SessionDep,
    entity: Annotated[EntityContext, Depends(can_view_shares)],
) -> ShareContext:
    return await _share_context(entity, share_id, session)


async def can_delete_share(
    share_id: uuid.UUID,
    session: SessionDep,
    entity: Annotated[EntityContext, Depends(can_manage_shares)],
) -> ShareContext:
    return await _share_context(entity, share_id, session)


async def can_update_share(
    entity_id: uuid.UUID,
    share_id: uuid.UUID,
    body: ShareUpdate,
    session: SessionDep,
    principal: Annotated[Principal, Depends(current_staff)],
) -> ShareContext:
    """``shares.manage``; or ``shares.update_own`` for the shared user's own notifications."""
    entity = await EntityRepository(session, principal).get_or_404(entity_id)
    access = ensure_allowed("entity.view", await entity_access(session, principal, entity))
    context = await _share_context(EntityContext(entity, principal, access), share_id, session)
    own_notifications = context.share.user_id == principal.id and set(body.changes()) <= {
        "notifications"
    }
    ensure_allowed("shares.update_own" if own_notifications else "shares.manage", access)
    return context


CanViewShares = Annotated[EntityContext, Depends(can_view_shares)]
CanManageShares = Annotated[EntityContext, Depends(can_manage_shares)]
CanViewShare = Annotated[ShareContext, Depends(can_view_share)]
CanUpdateShare = Annotated[ShareContext, Depends(can_update_share)]
CanDeleteShare = Annotated[ShareContext, Depends(can_delete_share)]
CanListFirmShares = Annotated[Principal, Depends(can_list_firm_shares)]
CanBulkShare = Annotated[Principal, Depends(can_bulk_share)]
