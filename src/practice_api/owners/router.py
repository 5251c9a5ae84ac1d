from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from practice_api.core.errors import problem_responses
from practice_api.core.etag import IfMatchHeader, set_etag
from practice_api.core.http import created, updated
from practice_api.core.pagination import PageParams, page_params
from practice_api.db import SessionDep
from practice_api.owners import service
from practice_api.owners.policy import (
    CanCreateOwner,
    CanListOwners,
    CanManageOwner,
    CanTransferOwnerEntities,
    CanViewOwner,
)
from practice_api.owners.repository import OWNER_ORDERING, OwnerRepository
from practice_api.owners.schemas import (
    HandoverResult,
    OwnerCreate,
    OwnerHandover,
    OwnerKind,
    OwnerPage,
    OwnerRead,
    OwnerTransfer,
    OwnerUpdate,
    TransferResult,
)
from practice_api.users.schemas import TransferNone, TransferTo

router = APIRouter(prefix="/v1/owners", tags=["owners"])


@router.get(
    "",
    operation_id="owners_list",
    summary="List the owner list (address book) with entity counts",
    response_model=OwnerPage,
    responses=problem_responses(400, 401, 403, 422),
)
async def list_owners(
    session: SessionDep,
    principal: CanListOwners,
    page: Annotated[PageParams, Depends(page_params)],
    order_by: str = OWNER_ORDERING.param(),
    kind: OwnerKind | None = None,
    user_id: uuid.UUID | None = None,
    q: Annotated[str | None, Query(max_length=200, description="Name or e-mail contains")] = None,
    active: Annotated[
        bool | None,
        Query(
            description="true: only owners that can be given clients (not deactivated users); "
            "false: only deactivated users who still own clients"
        ),
    ] = None,
) -> OwnerPage:
    owners = OwnerRepository(session, principal.firm_id)
    statement = owners.filtered(kind=kind, user_id=user_id, q=q, active=active)
    rows, cursor = await owners.page(statement, page, OWNER_ORDERING, order_by)
    counts = await service.entity_counts(session, principal.firm_id, rows)
    return OwnerPage(items=[OwnerRead.build(o, counts[o.id]) for o in rows], next_cursor=cursor)


@router.post(
    "",
    operation_id="owners_create",
    summary="Add an owner: a staff user or a named person (admins)",
    description="With `user_id` the user's name is used. A manual entry whose e-mail "
    "belongs to a staff user of the firm is linked to that user. A user already on the "
    "list answers 409 `owner_exists` with its `owner_id`.",
    status_code=status.HTTP_201_CREATED,
    response_model=OwnerRead,
    responses=problem_responses(401, 403, 409, 422),
)
async def create_owner(
    body: OwnerCreate, response: Response, session: SessionDep, principal: CanCreateOwner
) -> OwnerRead:
    owner = await service.create_owner(session, principal, body)
    created(response, f"/v1/owners/{owner.id}", owner.version)
    return OwnerRead.build(owner, 0)


@router.get(
    "/{owner_id}",
    operation_id="owners_get",
    summary="Get an owner with its entity count",
    response_model=OwnerRead,
    responses=problem_responses(304, 401, 403, 404, 422),
)
async def get_owner(
    owner_id: uuid.UUID,
    request: Request,
    response: Response,
    session: SessionDep,
    principal: CanViewOwner,
) -> OwnerRead:
    owner = await OwnerRepository(session, principal.firm_id).get_or_404(owner_id)
    set_etag(request, response, owner.version)
    counts = await service.entity_counts(session, principal.firm_id, [owner])
    return OwnerRead.build(owner, counts[owner.id])


@router.patch(
    "/{owner_id}",
    operation_id="owners_update",
    summary="Rename a manual owner entry (admins)",
    response_model=OwnerRead,
    responses=problem_responses(401, 403, 404, 412, 422),
)
async def update_owner(
    owner_id: uuid.UUID,
    body: OwnerUpdate,
    response: Response,
    session: SessionDep,
    principal: CanManageOwner,
    if_match: IfMatchHeader = None,
) -> OwnerRead:
    owner = await service.update_owner(session, principal, owner_id, body, if_match)
    updated(response, owner.version)
    counts = await service.entity_counts(session, principal.firm_id, [owner])
    return OwnerRead.build(owner, counts[owner.id])


@router.delete(
    "/{owner_id}",
    operation_id="owners_delete",
    summary="Remove an owner, transferring its entities (admins)",
    description="When the owner still owns entities, say where they go: `transfer_to=<owner "
    "id>`, or `transfer=none` to leave them unowned (also while the firm requires client "
    "ownership: only creating an entity requires an owner; list them with "
    "`GET /v1/entities?owner_id=none`). Without either, the answer is 409 "
    "`owner_has_entities` with `entity_count`, and nothing changes. To divide them among "
    "several owners first, use `POST /v1/owners/{owner_id}/handover`.",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 409, 412, 422),
)
async def delete_owner(
    owner_id: uuid.UUID,
    session: SessionDep,
    principal: CanManageOwner,
    transfer_to: TransferTo = None,
    transfer: TransferNone = None,
    if_match: IfMatchHeader = None,
) -> Response:
    await service.delete_owner(
        session,
        principal,
        owner_id,
        transfer_to=transfer_to,
        leave_unowned=transfer == "none",
        if_match=if_match,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{owner_id}/transfer",
    operation_id="owners_transfer",
    summary="Move all or chosen entities of an owner to another owner (admins)",
    description="All or nothing: if any listed entity is not owned by this owner, nothing "
    "moves (422 `entities_not_owned`). Records one `entity.owner_changed` per entity and one "
    "`owners.transferred` event.",
    response_model=TransferResult,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def transfer_entities(
    owner_id: uuid.UUID,
    body: OwnerTransfer,
    session: SessionDep,
    principal: CanTransferOwnerEntities,
) -> TransferResult:
    source, target, moved = await service.transfer(session, principal, owner_id, body)
    return TransferResult(from_owner_id=source.id, to_owner_id=target.id, moved=moved)


@router.post(
    "/{owner_id}/handover",
    operation_id="owners_handover",
    summary="Divide an owner's entities among several owners in one call (admins)",
    description="For a leaver: `groups` of `{entity_ids, to_owner_id}` (null: leave that "
    "group unowned). All or nothing: an entity not owned by this owner (422 "
    "`entities_not_owned`), in two groups (422 `handover_duplicate_entity`), or an unknown, "
    "same or deactivated target (422 `owner_not_found`, `transfer_to_same_owner`, "
    "`owner_inactive`) changes nothing. Records one `entity.owner_changed` per entity and "
    "one `owners.transferred` per group; each person involved gets one notification.",
    response_model=HandoverResult,
    responses=problem_responses(401, 403, 404, 422),
)
async def handover_entities(
    owner_id: uuid.UUID,
    body: OwnerHandover,
    session: SessionDep,
    principal: CanTransferOwnerEntities,
) -> HandoverResult:
    return await service.handover(session, principal, owner_id, body)
