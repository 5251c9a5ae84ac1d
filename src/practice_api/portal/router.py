"""The client portal: routes for contact tokens (``/v1/portal/...``), plus the public
activation and password-reset routes the e-mailed links lead to."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status

from practice_api.contacts import invitations
from practice_api.contacts.repository import ContactRepository
from practice_api.core.client_address import client_address
from practice_api.core.errors import problem_responses
from practice_api.core.etag import set_etag
from practice_api.core.http import created
from practice_api.core.pagination import Ordering, PageParams, page_params
from practice_api.db import SessionDep
from practice_api.discussions import service as discussions_service
from practice_api.discussions.models import Discussion
from practice_api.discussions.repository import (
    COMMENT_ORDERING,
    DISCUSSION_ORDERING,
    DiscussionRepository,
)
from practice_api.discussions.schemas import CommentCreate
from practice_api.entities.models import Entity
from practice_api.entities.repository import EntityRepository
from practice_api.portal.policy import CanSeePortalDiscussion, CanSeePortalEntity, PortalContact
from practice_api.portal.schemas import (
    Activation,
    PasswordReset,
    PortalComment,
    PortalCommentPage,
    PortalDiscussion,
    PortalDiscussionPage,
    PortalEntity,
    PortalEntityPage,
    PortalMe,
    ResetRequest,
)
from practice_api.portal.service import portal_comments, portal_discussions, portal_entities
from practice_api.runtime import RuntimeDep

router = APIRouter(prefix="/v1/portal", tags=["portal"])
PageDep = Annotated[PageParams, Depends(page_params)]

PORTAL_ENTITY_ORDERING = Ordering(
    fields={"name": Entity.name, "created_at": Entity.created_at},
    id_column=Entity.id,
    default="name",
)


def _address(request: Request) -> str:
    return client_address(request, request.app.state.runtime.settings.trusted_proxies)


# --- public: the links from the e-mails ---------------------------------------------------


@router.post(
    "/activate",
    operation_id="portal_activate",
    summary="Accept an invitation: set the password with the token from the e-mailed link",
    description="Public and rate limited. The link works once and expires; an unknown, used, "
    "replaced or expired token answers 404 `portal_link_invalid`. Then sign in at "
    "`POST /v1/auth/token` with the e-mail and this password.",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(404, 422, 429),
)
async def activate(
    body: Activation, request: Request, session: SessionDep, runtime: RuntimeDep
) -> Response:
    await invitations.activate(session, runtime, body.token, body.password, _address(request))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/password-reset-requests",
    operation_id="portal_password_reset_request",
    summary="Ask for a password-reset link by e-mail (portal contacts)",
    description="Public and rate limited. Always 202, whether or not the e-mail is known; an "
    "active contact receives a single-use, expiring link (a newer one replaces it).",
    status_code=status.HTTP_202_ACCEPTED,
    response_class=Response,
    responses={
        202: {"description": "Accepted (whether or not the e-mail is known)"},
        **problem_responses(422, 429),
    },
)
async def request_reset(
    body: ResetRequest, request: Request, session: SessionDep, runtime: RuntimeDep
) -> Response:
    await invitations.request_password_reset(
        session, runtime, str(body.email), body.firm_id, _address(request)
    )
    return Response(status_code=status.HTTP_202_ACCEPTED)


@router.post(
    "/password-reset",
    operation_id="portal_password_reset",
    summary="Set a new password with the token from a reset link; other sessions end",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(404, 422, 429),
)
async def reset_password(
    body: PasswordReset, request: Request, session: SessionDep, runtime: RuntimeDep
) -> Response:
    await invitations.reset_password(session, runtime, body.token, body.password, _address(request))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- the signed-in contact ------------------------------------------------------------------


@router.get(
    "/me",
    operation_id="portal_me",
    summary="The signed-in contact's own profile",
    response_model=PortalMe,
    responses=problem_responses(304, 401, 403),
)
async def me(
    request: Request, response: Response, session: SessionDep, principal: PortalContact
) -> PortalMe:
    found = await ContactRepository(session, principal.firm_id).with_firm_name(principal.id)
    assert found is not None  # current_contact just loaded it
    contact, firm_name = found
    set_etag(request, response, contact.version)
    return PortalMe(
        id=contact.id,
        firm_id=contact.firm_id,
        firm_name=firm_name,
        name=contact.name,
        email=contact.email,
        phone=contact.phone,
    )


@router.get(
    "/entities",
    operation_id="portal_entities_list",
    summary="The entities (clients) the contact has access to",
    response_model=PortalEntityPage,
    responses=problem_responses(400, 401, 403, 422),
)
async def list_entities(
    session: SessionDep,
    principal: PortalContact,
    page: PageDep,
    order_by: str = PORTAL_ENTITY_ORDERING.param(),
) -> PortalEntityPage:
    entities = EntityRepository(session, principal)
    rows, cursor = await entities.page(entities.readable(), page, PORTAL_ENTITY_ORDERING, order_by)
    return PortalEntityPage(
        items=await portal_entities(session, principal, list(rows)), next_cursor=cursor
    )


@router.get(
    "/entities/{entity_id}",
    operation_id="portal_entities_get",
    summary="One entity the contact has access to",
    response_model=PortalEntity,
    responses=problem_responses(304, 401, 403, 404, 422),
)
async def get_entity(
    request: Request, response: Response, session: SessionDep, context: CanSeePortalEntity
) -> PortalEntity:
    set_etag(request, response, context.entity.version)
    return (await portal_entities(session, context.principal, [context.entity]))[0]


@router.get(
    "/entities/{entity_id}/discussions",
    operation_id="portal_discussions_list",
    summary="The discussions of an entity shared with the contact's groups",
    response_model=PortalDiscussionPage,
    responses=problem_responses(400, 401, 403, 404, 422),
)
async def list_discussions(
    session: SessionDep,
    context: CanSeePortalEntity,
    page: PageDep,
    order_by: str = DISCUSSION_ORDERING.param(),
) -> PortalDiscussionPage:
    principal = context.principal
    repository = DiscussionRepository(session, principal.firm_id)
    statement = repository.readable_by(principal).where(Discussion.entity_id == context.entity.id)
    rows, cursor = await repository.page(statement, page, DISCUSSION_ORDERING, order_by)
    return PortalDiscussionPage(
        items=await portal_discussions(session, principal, list(rows)), next_cursor=cursor
    )


@router.get(
    "/discussions/{discussion_id}",
    operation_id="portal_discussions_get",
    summary="A discussion shared with the contact",
    response_model=PortalDiscussion,
    responses=problem_responses(304, 401, 403, 404, 422),
)
async def get_discussion(
    request: Request, response: Response, session: SessionDep, context: CanSeePortalDiscussion
) -> PortalDiscussion:
    set_etag(request, response, context.discussion.version)
    return (await portal_discussions(session, context.principal, [context.discussion]))[0]


@router.get(
    "/discussions/{discussion_id}/comments",
    operation_id="portal_comments_list",
    summary="The comments of a discussion shared with the contact, oldest first",
    response_model=PortalCommentPage,
    responses=problem_responses(400, 401, 403, 404, 422),
)
async def list_comments(
    session: SessionDep,
    context: CanSeePortalDiscussion,
    page: PageDep,
    order_by: str = COMMENT_ORDERING.param(),
) -> PortalCommentPage:
    principal = context.principal
    repository = DiscussionRepository(session, principal.firm_id)
    rows, cursor = await repository.comments_page(context.discussion.id, page, order_by)
    items = await portal_comments(session, principal, list(rows))
    return PortalCommentPage(items=items, next_cursor=cursor)


@router.post(
    "/discussions/{discussion_id}/comments",
    operation_id="portal_comments_create",
    summary="Comment on a discussion shared with the contact (the firm is notified)",
    description="`attachments` lists files the contact uploaded to the discussion's entity "
    "(`POST /v1/portal/entities/{entity_id}/files`); any other id answers 422 "
    "`attachment_not_allowed` and nothing is created.",
    status_code=status.HTTP_201_CREATED,
    response_model=PortalComment,
    responses=problem_responses(401, 403, 404, 422),
)
async def create_comment(
    body: CommentCreate, response: Response, session: SessionDep, context: CanSeePortalDiscussion
) -> PortalComment:
    comment = await discussions_service.add_comment(
        session, context.principal, context.discussion, body
    )
    created(response, f"/v1/portal/discussions/{context.discussion.id}/comments")
    return (await portal_comments(session, context.principal, [comment]))[0]
