"""Staff access to discussions: entity rows ``entity.view`` and ``discussions.manage``."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from practice_api.core.errors import NotFound
from practice_api.db import SessionDep
from practice_api.discussions.repository import DiscussionRepository
from practice_api.discussions.service import DiscussionContext
from practice_api.entities.policy import EntityContext, entity_policy

can_view_entity = entity_policy("entity.view")
can_manage_discussions = entity_policy("discussions.manage")


async def _discussion(
    context: EntityContext, discussion_id: uuid.UUID, session: SessionDep
) -> DiscussionContext:
    repository = DiscussionRepository(session, context.principal.firm_id)
    discussion = await session.scalar(
        repository.on_entity(context.entity.id).where(repository.model.id == discussion_id)
    )
    if discussion is None:
        raise NotFound(repository.not_found_detail, code=repository.not_found_code)
    return DiscussionContext(entity=context, discussion=discussion)


async def can_view_discussion(
    discussion_id: uuid.UUID,
    session: SessionDep,
    context: Annotated[EntityContext, Depends(can_view_entity)],
) -> DiscussionContext:
    return await _discussion(context, discussion_id, session)


async def can_manage_discussion(
    discussion_id: uuid.UUID,
    session: SessionDep,
    context: Annotated[EntityContext, Depends(can_manage_discussions)],
) -> DiscussionContext:
    return await _discussion(context, discussion_id, session)


CanViewEntityDiscussions = Annotated[EntityContext, Depends(can_view_entity)]
CanManageDiscussions = Annotated[EntityContext, Depends(can_manage_discussions)]
CanViewDiscussion = Annotated[DiscussionContext, Depends(can_view_discussion)]
CanManageDiscussion = Annotated[DiscussionContext, Depends(can_manage_discussion)]
