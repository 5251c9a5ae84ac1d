"""Who may see and change an entity's shares (rows ``shares.*`` of ``access.matrix``)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from practice_api.access.policy import check, decides_by, firm_policy, rule_for
from practice_api.access.principals import current_staff
from practice_api.core.principals import Principal
from practice_api.db import SessionDep
from practice_api.entities.policy import (
    EntityContext,
    ensure_allowed,
    entity_child_policy,
    entity_policy,
)
from practice_api.entities.repository import EntityRepository, entity_not_found
from practice_api.entities.visibility import entity_access
from practice_api.shares.models import Share
from practice_api.shares.repository import ShareRepository
from practice_api.shares.schemas import ShareUpdate
from practice_api.shares.service import ShareContext

can_view_shares = entity_policy("shares.view")
can_manage_shares = entity_policy("shares.manage")
can_list_firm_shares = firm_policy("shares.list_firm")
can_bulk_share = firm_policy("shares.bulk")


def _share(entity: EntityContext, share: Share) -> ShareContext:
    return ShareContext(entity=entity, share=share)


can_view_share = entity_child_policy(
    can_view_shares, ShareRepository, param="share_id", build=_share
)
can_delete_share = entity_child_policy(
    can_manage_shares, ShareRepository, param="share_id", build=_share
)


# The share update reads two rows: its own notifications, or anything else of the share.
UPDATE_OWN = rule_for("shares.update_own", "entity")
MANAGE = rule_for("shares.manage", "entity")


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
    share = await ShareRepository(session, principal.firm_id).get_under(entity.id, share_id)
    if share is None:
        raise ShareRepository.not_found()
    context = _share(EntityContext(entity, principal, access), share)
    own_notifications = context.share.user_id == principal.id and set(body.changes()) <= {
        "notifications"
    }
    check(UPDATE_OWN if own_notifications else MANAGE, access, entity_not_found)
    return context


decides_by(can_update_share, "shares.manage", "shares.update_own", "entity.view")


CanViewShares = Annotated[EntityContext, Depends(can_view_shares)]
CanManageShares = Annotated[EntityContext, Depends(can_manage_shares)]
CanViewShare = Annotated[ShareContext, Depends(can_view_share)]
CanUpdateShare = Annotated[ShareContext, Depends(can_update_share)]
CanDeleteShare = Annotated[ShareContext, Depends(can_delete_share)]
CanListFirmShares = Annotated[Principal, Depends(can_list_firm_shares)]
CanBulkShare = Annotated[Principal, Depends(can_bulk_share)]
