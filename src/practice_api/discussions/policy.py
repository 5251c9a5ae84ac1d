"""Staff access to discussions: entity rows ``entity.view`` and ``discussions.manage``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from practice_api.discussions.models import Discussion
from practice_api.discussions.repository import DiscussionRepository
from practice_api.discussions.service import DiscussionContext
from practice_api.entities.policy import EntityContext, entity_child_policy, entity_policy

can_view_entity = entity_policy("entity.view")
can_manage_discussions = entity_policy("discussions.manage")


def _discussion(context: EntityContext, discussion: Discussion) -> DiscussionContext:
    return DiscussionContext(entity=context, discussion=discussion)


can_view_discussion = entity_child_policy(
    can_view_entity, DiscussionRepository, param="discussion_id", build=_discussion
)
can_manage_discussion = entity_child_policy(
    can_manage_discussions, DiscussionRepository, param="discussion_id", build=_discussion
)

CanViewEntityDiscussions = Annotated[EntityContext, Depends(can_view_entity)]
CanManageDiscussions = Annotated[EntityContext, Depends(can_manage_discussions)]
CanViewDiscussion = Annotated[DiscussionContext, Depends(can_view_discussion)]
CanManageDiscussion = Annotated[DiscussionContext, Depends(can_manage_discussion)]
