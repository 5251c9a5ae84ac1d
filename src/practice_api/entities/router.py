from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, status

from practice_api.core.errors import ValidationFailed, ValidationIssue, problem_responses
from practice_api.core.etag import IfMatchHeader, etag_for, set_etag
from practice_api.core.http import created, updated
from practice_api.core.pagination import PageParams, page_params, page_response
from practice_api.db import SessionDep
from practice_api.entities import service
from practice_api.entities.policy import (
    CanChangeEntityOwner,
    CanCreateEntity,
    CanDeleteEntity,
    CanListEntities,
    CanUpdateEntity,
    CanViewEntity,
)
from practice_api.entities.repository import ENTITY_ORDERING, EntityRepository
from practice_api.entities.schemas import (
    EntityCreate,
    EntityPage,
    EntityRead,
    EntityStatus,
    EntityUpdate,
    OwnerAssignment,
    entity_list_item,
)
from practice_api.entities.visibility import entity_access, row_access

router = APIRouter(prefix="/v1/entities", tags=["entities"])


async def owner_filter(
    owner_id: Annotated[
        str | None,
        Query(
            max_length=36,
            description="Only entities of this owner; `none` for entities without an owner.",
        ),
    ] = None,
) -> uuid.UUID | Literal["none"] | None:
    if owner_id is None:
        return None
    if owner_id == "none":
        return "none"
    try:
        return uuid.UUID(owner_id)
    except ValueError:
        raise ValidationFailed(
            "owner_id must be an owner id or `none`.",
            code="validation_failed",
            errors=[ValidationIssue(loc=["query", "owner_id"], msg="not a UUID", type="uuid")],
        ) from None


@router.get(
    "",
    operation_id="entities_list",
    summary="List the entities the caller can see",
    description="Admins see every entity of the firm; staff see the entities they own, "
    "created, or that are shared with them.",
    response_model=EntityPage,
    responses=problem_responses(400, 401, 403, 422),
)
async def list_entities(
    session: SessionDep,
    principal: CanListEntities,
    page: Annotated[PageParams, Depends(page_params)],
    owner_id: Annotated[uuid.UUID | Literal["none"] | None, Depends(owner_filter)],
    order_by: str = ENTITY_ORDERING.param(),
    office_id: uuid.UUID | None = None,
    status: EntityStatus | None = None,
    created_by: Annotated[uuid.UUID | None, Query(description="Creator's user id")] = None,
    shared_with_me: Annotated[
        bool | None, Query(description="`true`: only entities shared with the caller.")
    ] = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Name, tax id or e-mail contains")
    ] = None,
) -> Response:
    entities = EntityRepository(session, principal)
    await entities.choose_visibility()
    statement = entities.filtered(
        owner_id=owner_id,
        office_id=office_id,
        status=status,
        q=q,
        created_by=created_by,
        shared_with_me=shared_with_me,
    )
    rows, cursor = await entities.list_page(statement, page, order_by)
    if principal.is_admin:
        return page_response([entity_list_item(row, "admin") for row in rows], cursor)
    return page_response(
        [
            entity_list_item(
                row,
                row_access(
                    principal, row.owner_id, row.owner_user_id, row.created_by_id, row.granted_role
                ),
            )
            for row in rows
        ],
        cursor,
    )


@router.post(
    "",
    operation_id="entities_create",
    summary="Create an entity (client profile)",
    description="Any staff user may create an entity. When the firm turned client ownership "
    "on, `owner_id` is required (422 `owner_required`).",
    status_code=status.HTTP_201_CREATED,
    response_model=EntityRead,
    responses=problem_responses(401, 403, 409, 422),
)
async def create_entity(
    body: EntityCreate, response: Response, session: SessionDep, principal: CanCreateEntity
) -> EntityRead:
    entity = await service.create_entity(session, principal, body)
    access = await entity_access(session, principal, entity)
    created(response, f"/v1/entities/{entity.id}", entity.version)
    return EntityRead.build(entity, access or "viewer")


@router.get(
    "/{entity_id}",
    operation_id="entities_get",
    summary="Get an entity, with the caller's own access level",
    response_model=EntityRead,
    responses=problem_responses(304, 401, 403, 404, 422),
)
async def get_entity(request: Request, response: Response, context: CanViewEntity) -> EntityRead:
    set_etag(request, response, context.entity.version)
    return EntityRead.build(context.entity, context.access)


@router.patch(
    "/{entity_id}",
    operation_id="entities_update",
    summary="Change an entity's details (responsible, editors, admins)",
    description="`status: archived` archives the entity, `active` restores it. The owner "
    "changes through `PUT /v1/entities/{id}/owner`.",
    response_model=EntityRead,
    responses=problem_responses(401, 403, 404, 409, 412, 422),
)
async def update_entity(
    body: EntityUpdate,
    response: Response,
    session: SessionDep,
    context: CanUpdateEntity,
    if_match: IfMatchHeader = None,
) -> EntityRead:
    entity = await service.update_entity(session, context, body, if_match)
    updated(response, entity.version)
    return EntityRead.build(entity, context.access)


@router.put(
    "/{entity_id}/owner",
    operation_id="entities_set_owner",
    summary="Change an entity's owner (its current owner, admins)",
    description="Records an `entity.owner_changed` activity entry with the old and new owner. "
    "`owner_id: null` leaves the entity unowned (also while the firm requires client "
    "ownership: only creating an entity needs an owner). A deactivated user cannot be chosen "
    "(422 `owner_inactive`).",
    response_model=EntityRead,
    responses=problem_responses(401, 403, 404, 412, 422),
)
async def set_entity_owner(
    body: OwnerAssignment,
    response: Response,
    session: SessionDep,
    context: CanChangeEntityOwner,
    if_match: IfMatchHeader = None,
) -> EntityRead:
    entity = await service.change_owner(session, context, body, if_match)
    updated(response, entity.version)
    # The caller may have given the entity away: answer with their access after the change.
    access = await entity_access(session, context.principal, entity)
    return EntityRead.build(entity, access or "viewer")


@router.delete(
    "/{entity_id}",
    operation_id="entities_delete",
    summary="Delete an entity, or archive it when it has requests, files or tasks",
    description="Deletes the entity (204) when nothing depends on it. When it has client "
    "requests, files, tasks or other dependent records, the entity is archived instead "
    "(status `archived`) and the answer is 200 with the archived entity, so no client "
    "history is ever destroyed. Responsible and admins only.",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={
        200: {"model": EntityRead, "description": "Archived instead of deleted"},
        **problem_responses(401, 403, 404, 412, 422),
    },
)
async def delete_entity(
    session: SessionDep, context: CanDeleteEntity, if_match: IfMatchHeader = None
) -> Response:
    archived = await service.delete_entity(session, context, if_match)
    if archived is None:
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    body = EntityRead.build(archived, context.access)
    return Response(
        body.model_dump_json(),
        status_code=status.HTTP_200_OK,
        media_type="application/json",
        headers={"ETag": etag_for(archived.version)},
    )
