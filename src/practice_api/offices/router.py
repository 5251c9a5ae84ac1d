from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status

from practice_api.core.errors import problem_responses
from practice_api.core.etag import IfMatchHeader, set_etag
from practice_api.core.http import created, updated
from practice_api.core.pagination import Listing, PageParams, page_params, page_response
from practice_api.db import SessionDep
from practice_api.offices import service
from practice_api.offices.models import Office
from practice_api.offices.policy import (
    CanCreateOffice,
    CanListOffices,
    CanManageOffices,
    CanViewOffice,
)
from practice_api.offices.repository import OFFICE_ORDERING, OfficeRepository
from practice_api.offices.schemas import OfficeCreate, OfficePage, OfficeRead, OfficeUpdate

router = APIRouter(prefix="/v1/offices", tags=["offices"])

OFFICE_LISTING = Listing.of(Office, OfficeRead)


@router.get(
    "",
    operation_id="offices_list",
    summary="List the firm's offices",
    response_model=OfficePage,
    responses=problem_responses(400, 401, 403, 422),
)
async def list_offices(
    session: SessionDep,
    principal: CanListOffices,
    page: Annotated[PageParams, Depends(page_params)],
    order_by: str = OFFICE_ORDERING.param(),
) -> Response:
    offices = OfficeRepository(session, principal.firm_id)
    rows, cursor = await offices.page_rows(
        offices.readable(), page, OFFICE_ORDERING, order_by, OFFICE_LISTING
    )
    return page_response(OFFICE_LISTING.items(rows), cursor)


@router.post(
    "",
    operation_id="offices_create",
    summary="Create an office (admins)",
    status_code=status.HTTP_201_CREATED,
    response_model=OfficeRead,
    responses=problem_responses(401, 403, 409, 422),
)
async def create_office(
    body: OfficeCreate, response: Response, session: SessionDep, principal: CanCreateOffice
) -> OfficeRead:
    office = await service.create_office(session, principal, body)
    created(response, f"/v1/offices/{office.id}", office.version)
    return OfficeRead.model_validate(office)


@router.get(
    "/{office_id}",
    operation_id="offices_get",
    summary="Get an office",
    response_model=OfficeRead,
    responses=problem_responses(304, 401, 403, 404, 422),
)
async def get_office(
    office_id: uuid.UUID,
    request: Request,
    response: Response,
    session: SessionDep,
    principal: CanViewOffice,
) -> OfficeRead:
    office = await OfficeRepository(session, principal.firm_id).get_or_404(office_id)
    set_etag(request, response, office.version)
    return OfficeRead.model_validate(office)


@router.patch(
    "/{office_id}",
    operation_id="offices_update",
    summary="Change an office (admins)",
    response_model=OfficeRead,
    responses=problem_responses(401, 403, 404, 409, 412, 422),
)
async def update_office(
    office_id: uuid.UUID,
    body: OfficeUpdate,
    response: Response,
    session: SessionDep,
    principal: CanManageOffices,
    if_match: IfMatchHeader = None,
) -> OfficeRead:
    office = await service.update_office(session, principal, office_id, body, if_match)
    updated(response, office.version)
    return OfficeRead.model_validate(office)


@router.delete(
    "/{office_id}",
    operation_id="offices_delete",
    summary="Delete an office with no users (admins)",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 409, 412, 422),
)
async def delete_office(
    office_id: uuid.UUID,
    session: SessionDep,
    principal: CanManageOffices,
    if_match: IfMatchHeader = None,
) -> Response:
    await service.delete_office(session, principal, office_id, if_match)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
