from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from practice_api.core.errors import problem_responses
from practice_api.core.etag import IfMatchHeader, set_etag
from practice_api.core.http import created, updated
from practice_api.core.pagination import Listing, PageParams, page_params, page_response
from practice_api.db import SessionDep
from practice_api.runtime import RuntimeDep
from practice_api.users import service
from practice_api.users.models import User
from practice_api.users.policy import CanCreateUser, CanListUsers, CanManageUsers, CanViewUser
from practice_api.users.repository import USER_ORDERING, UserRepository
from practice_api.users.schemas import (
    Role,
    TransferNone,
    TransferTo,
    UserCreate,
    UserPage,
    UserRead,
    UserUpdate,
)

router = APIRouter(prefix="/v1/users", tags=["users"])

USER_LISTING = Listing.of(User, UserRead)


@router.get(
    "",
    operation_id="users_list",
    summary="List the firm's staff users",
    response_model=UserPage,
    responses=problem_responses(400, 401, 403, 422),
)
async def list_users(
    session: SessionDep,
    principal: CanListUsers,
    page: Annotated[PageParams, Depends(page_params)],
    order_by: str = USER_ORDERING.param(),
    role: Role | None = None,
    office_id: uuid.UUID | None = None,
    is_active: bool | None = None,
    q: Annotated[str | None, Query(max_length=200, description="Name or e-mail contains")] = None,
) -> Response:
    users = UserRepository(session, principal.firm_id)
    statement = users.filtered(role=role, office_id=office_id, is_active=is_active, q=q)
    rows, cursor = await users.page_rows(statement, page, USER_ORDERING, order_by, USER_LISTING)
    return page_response(USER_LISTING.items(rows), cursor)


@router.post(
    "",
    operation_id="users_create",
    summary="Create a staff user (admins)",
    status_code=status.HTTP_201_CREATED,
    response_model=UserRead,
    responses=problem_responses(401, 403, 409, 422),
)
async def create_user(
    body: UserCreate,
    response: Response,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CanCreateUser,
) -> UserRead:
    user = await service.create_user(session, principal, body, runtime.hasher)
    created(response, f"/v1/users/{user.id}", user.version)
    return UserRead.model_validate(user)


@router.get(
    "/{user_id}",
    operation_id="users_get",
    summary="Get a staff user",
    response_model=UserRead,
    responses=problem_responses(304, 401, 403, 404, 422),
)
async def get_user(
    user_id: uuid.UUID,
    request: Request,
    response: Response,
    session: SessionDep,
    principal: CanViewUser,
) -> UserRead:
    user = await UserRepository(session, principal.firm_id).get_or_404(user_id)
    set_etag(request, response, user.version)
    return UserRead.model_validate(user)


@router.patch(
    "/{user_id}",
    operation_id="users_update",
    summary="Change a staff user: name, e-mail, role, office, password (admins)",
    response_model=UserRead,
    responses=problem_responses(401, 403, 404, 409, 412, 422),
)
async def update_user(
    user_id: uuid.UUID,
    body: UserUpdate,
    response: Response,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CanManageUsers,
    if_match: IfMatchHeader = None,
) -> UserRead:
    user = await service.update_user(session, principal, user_id, body, if_match, runtime.hasher)
    updated(response, user.version)
    return UserRead.model_validate(user)


@router.post(
    "/{user_id}/deactivate",
    operation_id="users_deactivate",
    summary="Deactivate a user: they cannot sign in and their tokens stop working (admins)",
    response_model=UserRead,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def deactivate_user(
    user_id: uuid.UUID, response: Response, session: SessionDep, principal: CanManageUsers
) -> UserRead:
    user = await service.set_active(session, principal, user_id, active=False)
    updated(response, user.version)
    return UserRead.model_validate(user)


@router.post(
    "/{user_id}/reactivate",
    operation_id="users_reactivate",
    summary="Reactivate a deactivated user (admins)",
    response_model=UserRead,
    responses=problem_responses(401, 403, 404, 422),
)
async def reactivate_user(
    user_id: uuid.UUID, response: Response, session: SessionDep, principal: CanManageUsers
) -> UserRead:
    user = await service.set_active(session, principal, user_id, active=True)
    updated(response, user.version)
    return UserRead.model_validate(user)


@router.delete(
    "/{user_id}",
    operation_id="users_delete",
    summary="Delete a staff user (admins)",
    description="A user on the owner list follows the owner-removal rule: pass "
    "`transfer_to=<owner id>` or `transfer=none` for their entities; without either, a user "
    "who owns entities answers 409 `owner_has_entities` with `entity_count`.",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 409, 412, 422),
)
async def delete_user(
    user_id: uuid.UUID,
    session: SessionDep,
    principal: CanManageUsers,
    transfer_to: TransferTo = None,
    transfer: TransferNone = None,
    if_match: IfMatchHeader = None,
) -> Response:
    await service.delete_user(
        session,
        principal,
        user_id,
        if_match,
        transfer_to=transfer_to,
        leave_unowned=transfer == "none",
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
