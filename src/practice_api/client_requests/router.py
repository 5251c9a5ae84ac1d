"""Staff routes of client requests (``/v1/entities/{entity_id}/client-requests`` and
``/v1/client-requests/...``)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from practice_api.client_requests import service
from practice_api.client_requests.policy import (
    CanInitiate,
    CanListRequests,
    CanManageRecipient,
    CanManageRequest,
    CanViewEntityRequests,
    CanViewRequest,
)
from practice_api.client_requests.reads import read_list, read_one, read_recipient
from practice_api.client_requests.repository import (
    REQUEST_ORDERING,
    RequestFilters,
    filtered,
    firm_today,
    page_of,
    readable_by,
)
from practice_api.client_requests.schemas import (
    Audience,
    ClientRequestCancel,
    ClientRequestCreate,
    ClientRequestPage,
    ClientRequestRead,
    ClientRequestRecipientRead,
    ClientRequestReopen,
    ClientRequestUpdate,
    RequestStatus,
    WaitingOn,
)
from practice_api.core.errors import problem_responses
from practice_api.core.etag import IfMatchHeader, set_etag
from practice_api.core.http import created, updated
from practice_api.core.pagination import PageParams, model_page_response, page_params
from practice_api.core.schemas import QueryDate
from practice_api.db import SessionDep
from practice_api.runtime import RuntimeDep

router = APIRouter(tags=["client-requests"])
PageDep = Annotated[PageParams, Depends(page_params)]


def _location(request_id: uuid.UUID) -> str:
    return f"/v1/client-requests/{request_id}"


@router.post(
    "/v1/entities/{entity_id}/client-requests",
    operation_id="client_requests_create",
    summary="Send a questionnaire to the entity's portal contacts or to guests",
    description="The responsible, editors and admins (a shared viewer: 403 "
    "`requests_initiate_forbidden`). `questions`: 1 to 200, each of a type (`short_text`, "
    "`long_text`, `number`, `date`, `yes_no`, `single_choice`, `multiple_choice`, "
    "`file_upload`) with its limits; a bad question answers 422 with the question's index "
    'in `loc` (`["body", "questions", 2, "single_choice", "options"]`). Audience `portal`: '
    "`contact_ids`, contacts with access to the entity (422 `recipient_without_access`); "
    "`guest`: `guests` by name and e-mail, each getting a secret link whose token is in this "
    "answer only (`recipients[].link_token`). The request starts `pending`.",
    status_code=status.HTTP_201_CREATED,
    response_model=ClientRequestRead,
    responses=problem_responses(401, 403, 404, 422),
)
async def create_request(
    body: ClientRequestCreate,
    response: Response,
    session: SessionDep,
    context: CanInitiate,
    runtime: RuntimeDep,
) -> ClientRequestRead:
    issued = await service.create_request(session, context, body, runtime.settings)
    created(response, _location(issued.request.id), issued.request.version)
    return await read_one(session, context.principal, issued.request, tokens=issued.tokens)


FilterStatus = Annotated[RequestStatus | None, Query(description="Only this status.")]


def request_filters(
    status: FilterStatus = None,
    audience: Annotated[Audience | None, Query(description="`portal` or `guest`.")] = None,
    waiting_on: Annotated[
        WaitingOn | None,
        Query(
            description="Whose turn: `contact` (portal, open), `guest` (guests, open), "
            "`staff` (submitted)."
        ),
    ] = None,
    due_before: Annotated[QueryDate | None, Query(description="Due on or before.")] = None,
    due_after: Annotated[QueryDate | None, Query(description="Due on or after.")] = None,
    overdue: Annotated[
        bool | None, Query(description="Past the due date (firm time zone) and still open.")
    ] = None,
) -> RequestFilters:
    return RequestFilters(
        status=status,
        audience=audience,
        waiting_on=waiting_on,
        due_before=due_before,
        due_after=due_after,
        overdue=overdue,
    )


FiltersDep = Annotated[RequestFilters, Depends(request_filters)]


@router.get(
    "/v1/entities/{entity_id}/client-requests",
    operation_id="client_requests_list_entity",
    summary="List an entity's client requests",
    description="Filters: `status`, `audience`, `waiting_on`, `due_before`, `due_after`, "
    "`overdue`. Items leave out questions, answers and recipients (read one request for "
    "them); `progress` counts answers.",
    response_model=ClientRequestPage,
    responses=problem_responses(400, 401, 403, 404, 422),
)
async def list_entity_requests(
    session: SessionDep,
    context: CanViewEntityRequests,
    page: PageDep,
    filters: FiltersDep,
    order_by: str = REQUEST_ORDERING.param(),
) -> Response:
    principal = context.principal
    today = await firm_today(session, principal.firm_id)
    statement = filtered(
        readable_by(principal),
        RequestFilters(**{**filters.__dict__, "entity_id": context.entity.id}),
        today,
    )
    rows, cursor = await page_of(session, statement, page, order_by)
    return model_page_response(
        ClientRequestPage(items=await read_list(session, rows, today), next_cursor=cursor)
    )


@router.get(
    "/v1/client-requests",
    operation_id="client_requests_list",
    summary="List the client requests of every entity the caller sees",
    description="Filters: `status`, `audience`, `entity_id`, `waiting_on`, `due_before`, "
    "`due_after`, `overdue`. A fixed number of statements per page, whatever its size.",
    response_model=ClientRequestPage,
    responses=problem_responses(400, 401, 403, 422),
)
async def list_requests(
    session: SessionDep,
    principal: CanListRequests,
    page: PageDep,
    filters: FiltersDep,
    entity_id: Annotated[uuid.UUID | None, Query(description="Only this entity.")] = None,
    order_by: str = REQUEST_ORDERING.param(),
) -> Response:
    today = await firm_today(session, principal.firm_id)
    statement = filtered(
        readable_by(principal),
        RequestFilters(**{**filters.__dict__, "entity_id": entity_id}),
        today,
    )
    rows, cursor = await page_of(session, statement, page, order_by)
    return model_page_response(
        ClientRequestPage(items=await read_list(session, rows, today), next_cursor=cursor)
    )


@router.get(
    "/v1/client-requests/{request_id}",
    operation_id="client_requests_get",
    summary="Get a client request with its questions, recipients and saved answers",
    response_model=ClientRequestRead,
    responses=problem_responses(304, 401, 403, 404, 422),
)
async def get_request(
    request: Request, response: Response, session: SessionDep, context: CanViewRequest
) -> ClientRequestRead:
    set_etag(request, response, context.request.version)
    return await read_one(session, context.principal, context.request)


@router.patch(
    "/v1/client-requests/{request_id}",
    operation_id="client_requests_update",
    summary="Change a client request (questions and audience only while pending)",
    description="While `pending` anything may change. Once an answer is saved "
    "(`in_progress`, `submitted`), `questions` and `audience` are refused with 409 "
    "`client_request_locked`; title, message, due date, recipients, security settings and "
    "reminders still change. A completed or cancelled request: 409 "
    "`client_request_closed`. New guests' link tokens are in this answer only.",
    response_model=ClientRequestRead,
    responses=problem_responses(401, 403, 404, 409, 412, 422),
)
async def update_request(
    body: ClientRequestUpdate,
    response: Response,
    session: SessionDep,
    context: CanManageRequest,
    runtime: RuntimeDep,
    if_match: IfMatchHeader = None,
) -> ClientRequestRead:
    issued = await service.update_request(
        session, context.request, context.principal, body, if_match, runtime.settings
    )
    updated(response, issued.request.version)
    return await read_one(session, context.principal, issued.request, tokens=issued.tokens)


@router.post(
    "/v1/client-requests/{request_id}/cancel",
    operation_id="client_requests_cancel",
    summary="Cancel a client request (links stop working, reminders stop)",
    description="From `pending`, `in_progress` or `submitted`; a completed or cancelled "
    "request: 409 `client_request_closed`.",
    response_model=ClientRequestRead,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def cancel_request(
    body: ClientRequestCancel, response: Response, session: SessionDep, context: CanManageRequest
) -> ClientRequestRead:
    request = await service.cancel(session, context.request, context.principal, body.reason)
    updated(response, request.version)
    return await read_one(session, context.principal, request)


@router.post(
    "/v1/client-requests/{request_id}/complete",
    operation_id="client_requests_complete",
    summary="Mark a submitted client request as completed",
    description="Only from `submitted` (409 `client_request_not_submitted` otherwise).",
    response_model=ClientRequestRead,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def complete_request(
    response: Response, session: SessionDep, context: CanManageRequest
) -> ClientRequestRead:
    request = await service.complete(session, context.request, context.principal)
    updated(response, request.version)
    return await read_one(session, context.principal, request)


@router.post(
    "/v1/client-requests/{request_id}/reopen",
    operation_id="client_requests_reopen",
    summary="Reopen a submitted client request with a note (answers can change again)",
    description="Only from `submitted` (409 `client_request_not_submitted` otherwise); the "
    "request goes back to `in_progress`, its answers are kept and unlocked, reminders resume.",
    response_model=ClientRequestRead,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def reopen_request(
    body: ClientRequestReopen, response: Response, session: SessionDep, context: CanManageRequest
) -> ClientRequestRead:
    request = await service.reopen(session, context.request, context.principal, body.note)
    updated(response, request.version)
    return await read_one(session, context.principal, request)


@router.post(
    "/v1/client-requests/{request_id}/recipients/{recipient_id}/revoke",
    operation_id="client_request_links_revoke",
    summary="Revoke a guest's link (it answers 404 from now on)",
    description="Guests only (a portal contact: 409 `recipient_not_guest`). Issue a new "
    "link with `POST .../link`.",
    response_model=ClientRequestRecipientRead,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def revoke_link(
    session: SessionDep, context: CanManageRecipient
) -> ClientRequestRecipientRead:
    recipient = await service.revoke_link(
        session, context.context.request, context.recipient, context.context.principal
    )
    return read_recipient(recipient)


@router.post(
    "/v1/client-requests/{request_id}/recipients/{recipient_id}/link",
    operation_id="client_request_links_issue",
    summary="Issue a new link for a guest (the old one stops working)",
    description="The token is in this answer only (`link_token`); it expires after the "
    "request's `security.link_lifetime_days`. Guests only (409 `recipient_not_guest`); not "
    "on a completed or cancelled request (409 `client_request_closed`).",
    response_model=ClientRequestRecipientRead,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def issue_link(
    session: SessionDep, context: CanManageRecipient, runtime: RuntimeDep
) -> ClientRequestRecipientRead:
    token = await service.new_link(
        session,
        context.context.request,
        context.recipient,
        context.context.principal,
        runtime.settings,
    )
    return read_recipient(context.recipient, token)
