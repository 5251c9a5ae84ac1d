from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.core.errors import problem_responses
from practice_api.core.etag import IfMatchHeader, set_etag
from practice_api.core.http import created, updated
from practice_api.core.pagination import PageParams, page_params
from practice_api.db import SessionDep
from practice_api.discussions import service
from practice_api.discussions.models import Discussion, DiscussionComment
from practice_api.discussions.policy import (
    CanManageDiscussion,
    CanManageDiscussions,
    CanViewDiscussion,
    CanViewEntityDiscussions,
)
from practice_api.discussions.repository import (
    COMMENT_ORDERING,
    DISCUSSION_ORDERING,
    DiscussionRepository,
)
from practice_api.discussions.schemas import (
    CommentCreate,
    CommentPage,
    CommentRead,
    DiscussionCreate,
    DiscussionPage,
    DiscussionRead,
    DiscussionUpdate,
)

router = APIRouter(prefix="/v1/entities/{entity_id}/discussions", tags=["discussions"])
PageDep = Annotated[PageParams, Depends(page_params)]


async def read_many(session: AsyncSession, rows: list[Discussion]) -> list[DiscussionRead]:
    if not rows:
        return []
    repository = DiscussionRepository(session, rows[0].firm_id)
    ids = [d.id for d in rows]
    groups = await repository.groups_of(ids)
    attachments = await repository.attachments_of(discussion_ids=ids)
    return [DiscussionRead.build(d, groups.get(d.id, []), attachments.get(d.id)) for d in rows]


async def read_comments(session: AsyncSession, rows: list[DiscussionComment]) -> list[CommentRead]:
    if not rows:
        return []
    repository = DiscussionRepository(session, rows[0].firm_id)
    attachments = await repository.attachments_of(comment_ids=[c.id for c in rows])
    return [CommentRead.build(c, attachments.get(c.id)) for c in rows]


@router.get(
    "",
    operation_id="discussions_list",
    summary="List an entity's discussions, newest first",
    response_model=DiscussionPage,
    responses=problem_responses(400, 401, 403, 404, 422),
)
async def list_discussions(
    session: SessionDep,
    context: CanViewEntityDiscussions,
    page: PageDep,
    order_by: str = DISCUSSION_ORDERING.param(),
) -> DiscussionPage:
    repository = DiscussionRepository(session, context.principal.firm_id)
    rows, cursor = await repository.page(
        repository.on_entity(context.entity.id), page, DISCUSSION_ORDERING, order_by
    )
    return DiscussionPage(items=await read_many(session, list(rows)), next_cursor=cursor)


@router.post(
    "",
    operation_id="discussions_create",
    summary="Start a discussion on an entity and share it with contact groups",
    description="The responsible, editors and admins. Subject and plain-text body; the "
    "active contacts of the groups are notified. `attachments` lists files of the same "
    "entity (any other id: 422 `attachment_not_allowed`, nothing created); contacts who can "
    "read the discussion may download them through the portal.",
    status_code=status.HTTP_201_CREATED,
    response_model=DiscussionRead,
    responses=problem_responses(401, 403, 404, 422),
)
async def create_discussion(
    body: DiscussionCreate, response: Response, session: SessionDep, context: CanManageDiscussions
) -> DiscussionRead:
    discussion = await service.create_discussion(session, context, body)
    created(
        response,
        f"/v1/entities/{discussion.entity_id}/discussions/{discussion.id}",
        discussion.version,
    )
    return (await read_many(session, [discussion]))[0]


@router.get(
    "/{discussion_id}",
    operation_id="discussions_get",
    summary="Get a discussion",
    response_model=DiscussionRead,
    responses=problem_responses(304, 401, 403, 404, 422),
)
async def get_discussion(
    request: Request, response: Response, session: SessionDep, context: CanViewDiscussion
) -> DiscussionRead:
    set_etag(request, response, context.discussion.version)
    return (await read_many(session, [context.discussion]))[0]


@router.patch(
    "/{discussion_id}",
    operation_id="discussions_update",
    summary="Change a discussion's subject, body or groups",
    description="`group_ids` replaces the set; contacts of newly added groups are notified.",
    response_model=DiscussionRead,
    responses=problem_responses(401, 403, 404, 412, 422),
)
async def update_discussion(
    body: DiscussionUpdate,
    response: Response,
    session: SessionDep,
    context: CanManageDiscussion,
    if_match: IfMatchHeader = None,
) -> DiscussionRead:
    discussion = await service.update_discussion(session, context, body, if_match)
    updated(response, discussion.version)
    return (await read_many(session, [discussion]))[0]


@router.delete(
    "/{discussion_id}",
    operation_id="discussions_delete",
    summary="Delete a discussion with its comments",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 412, 422),
)
async def delete_discussion(
    session: SessionDep, context: CanManageDiscussion, if_match: IfMatchHeader = None
) -> Response:
    await service.delete_discussion(session, context, if_match)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{discussion_id}/comments",
    operation_id="discussion_comments_list",
    summary="List a discussion's comments, oldest first",
    response_model=CommentPage,
    responses=problem_responses(400, 401, 403, 404, 422),
)
async def list_comments(
    session: SessionDep,
    context: CanViewDiscussion,
    page: PageDep,
    order_by: str = COMMENT_ORDERING.param(),
) -> CommentPage:
    repository = DiscussionRepository(session, context.entity.principal.firm_id)
    rows, cursor = await repository.comments_page(context.discussion.id, page, order_by)
    items = await read_comments(session, list(rows))
    return CommentPage(items=items, next_cursor=cursor)


@router.post(
    "/{discussion_id}/comments",
    operation_id="discussion_comments_create",
    summary="Comment on a discussion as staff (the contacts of its groups are notified)",
    description="`attachments` lists files of the discussion's entity (any other id: 422 "
    "`attachment_not_allowed`, nothing created).",
    status_code=status.HTTP_201_CREATED,
    response_model=CommentRead,
    responses=problem_responses(401, 403, 404, 422),
)
async def create_comment(
    body: CommentCreate, response: Response, session: SessionDep, context: CanManageDiscussion
) -> CommentRead:
    discussion = context.discussion
    comment = await service.add_comment(session, context.entity.principal, discussion, body)
    created(
        response,
        f"/v1/entities/{discussion.entity_id}/discussions/{discussion.id}/comments",
    )
    return (await read_comments(session, [comment]))[0]
