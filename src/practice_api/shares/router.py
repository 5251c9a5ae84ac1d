from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status

from practice_api.core.errors import problem_responses
from practice_api.core.etag import IfMatchHeader, set_etag
from practice_api.core.http import created, updated
from practice_api.core.pagination import Listing, PageParams, page_params, page_response
from practice_api.db import SessionDep
from practice_api.shares import service
from practice_api.shares.models import Share
from practice_api.shares.policy import (
    CanBulkShare,
    CanDeleteShare,
    CanListFirmShares,
    CanManageShares,
    CanUpdateShare,
    CanViewShare,
    CanViewShares,
)
from practice_api.shares.repository import SHARE_ORDERING, ShareRepository
from practice_api.shares.schemas import (
    BulkShare,
    BulkShareResult,
    ShareCreate,
    SharePage,
    ShareRead,
    ShareUpdate,
)
from practice_api.users.models import User

router = APIRouter(tags=["shares"])

SHARE_LISTING = Listing.of(
    Share,
    ShareRead,
    extra={"user_name": User.name},
    joins=((User, User.id == Share.user_id),),
)


@router.get(
    "/v1/entities/{entity_id}/shares",
    operation_id="shares_list",
    summary="List who an entity is shared with",
    response_model=SharePage,
    responses=problem_responses(400, 401, 403, 404, 422),
)
async def list_shares(
    session: SessionDep,
    context: CanViewShares,
    page: Annotated[PageParams, Depends(page_params)],
    order_by: str = SHARE_ORDERING.param(),
) -> Response:
    shares = ShareRepository(session, context.principal.firm_id)
    statement = shares.filtered(entity_id=context.entity.id)
    rows, cursor = await shares.page_rows(statement, page, SHARE_ORDERING, order_by, SHARE_LISTING)
    return page_response(SHARE_LISTING.items(rows), cursor)


@router.post(
    "/v1/entities/{entity_id}/shares",
    operation_id="shares_create",
    summary="Share an entity with a staff user of the firm (responsible, admins)",
    description="Any office of the firm. A user of another firm is 404 `user_not_found`; the "
    "entity's responsible, or a user it is already shared with, is 409.",
    status_code=status.HTTP_201_CREATED,
    response_model=ShareRead,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def create_share(
    body: ShareCreate, response: Response, session: SessionDep, context: CanManageShares
) -> ShareRead:
    share = await service.create_share(session, context, body)
    created(response, f"/v1/entities/{share.entity_id}/shares/{share.id}", share.version)
    return ShareRead.build(share)


@router.get(
    "/v1/entities/{entity_id}/shares/{share_id}",
    operation_id="shares_get",
    summary="Get one share of an entity",
    response_model=ShareRead,
    responses=problem_responses(304, 401, 403, 404, 422),
)
async def get_share(request: Request, response: Response, context: CanViewShare) -> ShareRead:
    set_etag(request, response, context.share.version)
    return ShareRead.build(context.share)


@router.patch(
    "/v1/entities/{entity_id}/shares/{share_id}",
    operation_id="shares_update",
    summary="Change a share's role or notifications",
    description="The responsible and admins change anything; the shared user may change the "
    "`notifications` of their own share.",
    response_model=ShareRead,
    responses=problem_responses(401, 403, 404, 412, 422),
)
async def update_share(
    body: ShareUpdate,
    response: Response,
    session: SessionDep,
    context: CanUpdateShare,
    if_match: IfMatchHeader = None,
) -> ShareRead:
    share = await service.update_share(session, context, body, if_match)
    updated(response, share.version)
    return ShareRead.build(share)


@router.delete(
    "/v1/entities/{entity_id}/shares/{share_id}",
    operation_id="shares_delete",
    summary="Stop sharing an entity with a user (responsible, admins)",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 412, 422),
)
async def delete_share(
    session: SessionDep, context: CanDeleteShare, if_match: IfMatchHeader = None
) -> Response:
    await service.delete_share(session, context, if_match)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/v1/shares",
    operation_id="shares_list_firm",
    summary="List the firm's shares, by user or entity (admins)",
    response_model=SharePage,
    responses=problem_responses(400, 401, 403, 422),
)
async def list_firm_shares(
    session: SessionDep,
    principal: CanListFirmShares,
    page: Annotated[PageParams, Depends(page_params)],
    order_by: str = SHARE_ORDERING.param(),
    user_id: uuid.UUID | None = None,
    entity_id: uuid.UUID | None = None,
) -> Response:
    shares = ShareRepository(session, principal.firm_id)
    statement = shares.filtered(entity_id=entity_id, user_id=user_id)
    rows, cursor = await shares.page_rows(statement, page, SHARE_ORDERING, order_by, SHARE_LISTING)
    return page_response(SHARE_LISTING.items(rows), cursor)


@router.post(
    "/v1/shares/bulk",
    operation_id="shares_bulk_create",
    summary="Share many entities with many staff users at once (admins)",
    description="All or nothing: an unknown entity or user (404) shares nothing. Repeating "
    "the call is harmless: shares already as asked are counted as `unchanged`. Pairs where "
    "the user is the entity's responsible are skipped.",
    response_model=BulkShareResult,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def bulk_share(
    body: BulkShare, session: SessionDep, principal: CanBulkShare
) -> BulkShareResult:
    return await service.bulk_share(session, principal, body)
