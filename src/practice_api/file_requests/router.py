"""Staff routes of file requests (``/v1/entities/{entity_id}/file-requests`` and
``/v1/file-requests/...``)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.core.errors import Forbidden, NotFound, problem_responses
from practice_api.core.etag import IfMatchHeader, set_etag
from practice_api.core.http import created, updated
from practice_api.core.pagination import PageParams, page_params, paginate
from practice_api.core.principals import Principal
from practice_api.core.schemas import QueryDate
from practice_api.db import SessionDep, writes_on_get
from practice_api.file_requests import service
from practice_api.file_requests.csv_body import CSV_CONTENT, CSV_PARAMETERS, CsvBodyRoute
from practice_api.file_requests.models import FileRequest, FileRequestItem
from practice_api.file_requests.policy import (
    CanInitiate,
    CanListRequests,
    CanManageItem,
    CanManageRequest,
    CanViewEntityRequests,
    CanViewItem,
    CanViewRequest,
)
from practice_api.file_requests.repository import (
    REQUEST_ORDERING,
    RequestFilters,
    counts_of,
    file_refs,
    filtered,
    firm_today,
    is_overdue,
    items_of,
    latest_uploads,
    readable_by,
    recipients_of,
    upload_versions,
)
from practice_api.file_requests.schemas import (
    BulkAccept,
    BulkReturn,
    CancelBody,
    FileRequestCreate,
    FileRequestPage,
    FileRequestRead,
    FileRequestUpdate,
    ItemCreate,
    ItemRead,
    ItemUpdate,
    RemindResult,
    RequestStatus,
    ReturnBody,
)
from practice_api.files.repository import FileRepository
from practice_api.files.transfer import DOWNLOAD_RESPONSES, StorageDep, send_file
from practice_api.reminders import service as reminders
from practice_api.reminders.schemas import ReminderState

router = APIRouter(tags=["file-requests"])
create_router = APIRouter(tags=["file-requests"], route_class=CsvBodyRoute)
PageDep = Annotated[PageParams, Depends(page_params)]


async def read_items(session: AsyncSession, items: list[FileRequestItem]) -> list[ItemRead]:
    latest = await latest_uploads(session, [i.id for i in items])
    versions = await upload_versions(session, list(latest.values()))
    attachments = await file_refs(session, [i.attachment_file_id for i in items])
    out = []
    for item in items:
        upload = latest.get(item.id)
        out.append(
            ItemRead(
                id=item.id,
                position=item.position,
                title=item.title,
                description=item.description,
                due_date=item.due_date,
                status=item.status,
                return_reason=item.return_reason if item.status == "returned" else None,
                attachment=attachments.get(item.attachment_file_id)
                if item.attachment_file_id
                else None,
                file=versions.get(upload.id) if upload else None,
                uploads=item.uploads,
                content_url=(
                    f"/v1/file-requests/{item.request_id}/items/{item.id}/content"
                    if upload
                    else None
                ),
                submitted_at=item.submitted_at,
                accepted_at=item.accepted_at,
                returned_at=item.returned_at,
            )
        )
    return out


async def read_many(
    session: AsyncSession, principal: Principal, rows: list[FileRequest], *, detail: bool = False
) -> list[FileRequestRead]:
    if not rows:
        return []
    ids = [r.id for r in rows]
    today = await firm_today(session, principal.firm_id)
    counts = await counts_of(session, ids)
    recipients = await recipients_of(session, ids)
    items: dict[uuid.UUID, list[ItemRead]] = {}
    states: dict[uuid.UUID, ReminderState] = {}
    if detail:
        for row in rows:
            items[row.id] = await read_items(session, await items_of(session, row.id))
        for subject_id, schedule in (
            await reminders.schedules_of(session, service.SUBJECT_KIND, ids)
        ).items():
            states[subject_id] = ReminderState(
                enabled=schedule.enabled,
                offsets=schedule.offsets,
                every_days=schedule.every_days,
                active=schedule.active,
                last_sent_on=schedule.last_slot,
                next_on=schedule.next_slot,
                last_manual_at=schedule.last_manual_at,
            )
    return [
        FileRequestRead(
            id=r.id,
            entity_id=r.entity_id,
            subject=r.subject,
            description=r.description,
            additional_message=r.additional_message,
            due_date=r.due_date,
            status=r.status,
            overdue=is_overdue(r, today),
            recipients=recipients.get(r.id, []),
            counts=counts[r.id],
            items=items.get(r.id) if detail else None,
            reminders=states.get(r.id),
            created_by_id=r.created_by_id,
            created_by_name=r.created_by_name,
            completed_at=r.completed_at,
            cancelled_at=r.cancelled_at,
            created_at=r.created_at,
            updated_at=r.updated_at,
        )
        for r in rows
    ]


async def read_one(
    session: AsyncSession, principal: Principal, row: FileRequest
) -> FileRequestRead:
    return (await read_many(session, principal, [row], detail=True))[0]


def _location(request: FileRequest) -> str:
    return f"/v1/file-requests/{request.id}"


# --- create and lists -----------------------------------------------------------------------


@create_router.post(
    "/v1/entities/{entity_id}/file-requests",
    operation_id="file_requests_create",
    summary="Ask the entity's contributor contacts for files (one or more items)",
    description="The responsible, editors and admins (a shared viewer: 403 "
    "`requests_initiate_forbidden`). Each item asks for a new file, or (with `attachment`) "
    "for an update of an existing file of the entity. Recipients must be contacts with the "
    "`contributor` role on the entity (422 `recipient_not_contributor`); "
    "`additional_message` needs the firm's `detailed_notifications_enabled` (422 "
    "`additional_message_disabled`). Up to 500 items. A `text/csv` body (columns `title`, "
    "`description`, `due_date`) creates one item per line, with `subject`, `recipients`, "
    "`due_date` and `description` in the query string. The recipients get an e-mail with "
    "the portal link and an in-app notification.",
    status_code=status.HTTP_201_CREATED,
    response_model=FileRequestRead,
    responses=problem_responses(401, 403, 404, 422),
    openapi_extra={"requestBody": {"content": CSV_CONTENT}, "parameters": CSV_PARAMETERS},
)
async def create_request(
    body: FileRequestCreate, response: Response, session: SessionDep, context: CanInitiate
) -> FileRequestRead:
    request = await service.create_request(session, context, body)
    created(response, _location(request), request.version)
    return await read_one(session, context.principal, request)


FilterStatus = Annotated[RequestStatus | None, Query(description="Only this status.")]
Overdue = Annotated[
    bool | None, Query(description="Past the due date (firm time zone) and still waiting.")
]


def request_filters(
    status: FilterStatus = None,
    overdue: Overdue = None,
    recipient_id: Annotated[
        uuid.UUID | None, Query(description="Addressed to this contact.")
    ] = None,
    created_by: Annotated[uuid.UUID | None, Query(description="Created by this user.")] = None,
    due_before: Annotated[QueryDate | None, Query(description="Due on or before.")] = None,
    due_after: Annotated[QueryDate | None, Query(description="Due on or after.")] = None,
) -> RequestFilters:
    return RequestFilters(
        status=status,
        overdue=overdue,
        recipient_id=recipient_id,
        created_by=created_by,
        due_before=due_before,
        due_after=due_after,
    )


FiltersDep = Annotated[RequestFilters, Depends(request_filters)]


@router.get(
    "/v1/entities/{entity_id}/file-requests",
    operation_id="file_requests_list_entity",
    summary="List an entity's file requests, with item counts per status",
    response_model=FileRequestPage,
    responses=problem_responses(400, 401, 403, 404, 422),
)
async def list_entity_requests(
    session: SessionDep,
    context: CanViewEntityRequests,
    page: PageDep,
    filters: FiltersDep,
    order_by: str = REQUEST_ORDERING.param(),
) -> FileRequestPage:
    principal = context.principal
    statement = filtered(
        readable_by(principal).where(FileRequest.entity_id == context.entity.id),
        filters,
        await firm_today(session, principal.firm_id),
    )
    rows, cursor = await paginate(session, statement, page, REQUEST_ORDERING, order_by)
    return FileRequestPage(
        items=await read_many(session, principal, list(rows)), next_cursor=cursor
    )


@router.get(
    "/v1/file-requests",
    operation_id="file_requests_list",
    summary="List the file requests of every entity the caller sees",
    description="Filters: `status`, `overdue`, `recipient_id`, `created_by`, `due_before`, "
    "`due_after`, `entity_id`. Item counts per status are computed in SQL: a fixed number of "
    "statements per page, whatever its size.",
    response_model=FileRequestPage,
    responses=problem_responses(400, 401, 403, 422),
)
async def list_requests(
    session: SessionDep,
    principal: CanListRequests,
    page: PageDep,
    filters: FiltersDep,
    entity_id: Annotated[uuid.UUID | None, Query(description="Only this entity.")] = None,
    order_by: str = REQUEST_ORDERING.param(),
) -> FileRequestPage:
    filters = RequestFilters(**{**filters.__dict__, "entity_id": entity_id})
    statement = filtered(
        readable_by(principal), filters, await firm_today(session, principal.firm_id)
    )
    rows, cursor = await paginate(session, statement, page, REQUEST_ORDERING, order_by)
    return FileRequestPage(
        items=await read_many(session, principal, list(rows)), next_cursor=cursor
    )


# --- one request ----------------------------------------------------------------------------


@router.get(
    "/v1/file-requests/{request_id}",
    operation_id="file_requests_get",
    summary="Get a file request with its items and reminders",
    response_model=FileRequestRead,
    responses=problem_responses(304, 401, 403, 404, 422),
)
async def get_request(
    request: Request, response: Response, session: SessionDep, context: CanViewRequest
) -> FileRequestRead:
    set_etag(request, response, context.request.version)
    return await read_one(session, context.principal, context.request)


@router.patch(
    "/v1/file-requests/{request_id}",
    operation_id="file_requests_update",
    summary="Change a file request (while nothing is submitted) or its reminders",
    description="Subject, description, due date, recipients and additional message change "
    "only while no item has been submitted (409 `request_item_locked`); `reminders` "
    "any time (`null`: the firm's default). A cancelled or completed request: 409 "
    "`file_request_closed`.",
    response_model=FileRequestRead,
    responses=problem_responses(401, 403, 404, 409, 412, 422),
)
async def update_request(
    body: FileRequestUpdate,
    response: Response,
    session: SessionDep,
    context: CanManageRequest,
    if_match: IfMatchHeader = None,
) -> FileRequestRead:
    request = await service.update_request(
        session, context.request, context.principal, body, if_match
    )
    updated(response, request.version)
    return await read_one(session, context.principal, request)


@router.post(
    "/v1/file-requests/{request_id}/cancel",
    operation_id="file_requests_cancel",
    summary="Cancel a file request (reminders stop)",
    response_model=FileRequestRead,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def cancel_request(
    body: CancelBody, session: SessionDep, context: CanManageRequest
) -> FileRequestRead:
    request = await service.cancel(session, context.request, context.principal, body.reason)
    return await read_one(session, context.principal, request)


@router.post(
    "/v1/file-requests/{request_id}/reopen",
    operation_id="file_requests_reopen",
    summary="Reopen a cancelled file request",
    description="A completed request reopens when one of its items is returned.",
    response_model=FileRequestRead,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def reopen_request(session: SessionDep, context: CanManageRequest) -> FileRequestRead:
    request = await service.reopen(session, context.request, context.principal)
    return await read_one(session, context.principal, request)


@router.post(
    "/v1/file-requests/{request_id}/remind",
    operation_id="file_requests_remind",
    summary="Send the recipients a reminder now (at most once an hour)",
    description="Each recipient with open items gets one e-mail listing all of them. At most "
    "once an hour per request: 429 with `Retry-After` otherwise. 409 "
    "`file_request_not_waiting` when nothing waits for the contacts.",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=RemindResult,
    responses=problem_responses(401, 403, 404, 409, 422, 429),
)
async def remind(session: SessionDep, context: CanManageRequest) -> RemindResult:
    return RemindResult(sent=await service.remind(session, context.request, context.principal))


@router.post(
    "/v1/file-requests/{request_id}/accept",
    operation_id="file_requests_accept",
    summary="Accept several submitted items at once (default: every submitted item)",
    response_model=FileRequestRead,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def accept_many(
    body: BulkAccept, session: SessionDep, context: CanManageRequest
) -> FileRequestRead:
    await service.accept_items(session, context.request, context.principal, body.item_ids)
    return await read_one(session, context.principal, context.request)


@router.post(
    "/v1/file-requests/{request_id}/return",
    operation_id="file_requests_return",
    summary="Return several items with one reason (the contacts upload again)",
    response_model=FileRequestRead,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def return_many(
    body: BulkReturn, session: SessionDep, context: CanManageRequest
) -> FileRequestRead:
    await service.return_items(
        session, context.request, context.principal, body.item_ids, body.reason
    )
    return await read_one(session, context.principal, context.request)


# --- items ----------------------------------------------------------------------------------


@router.post(
    "/v1/file-requests/{request_id}/items",
    operation_id="file_request_items_create",
    summary="Add an item to a file request",
    status_code=status.HTTP_201_CREATED,
    response_model=ItemRead,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def add_item(
    body: ItemCreate, response: Response, session: SessionDep, context: CanManageRequest
) -> ItemRead:
    [item] = await service.add_items(session, context.request, context.principal, [body])
    created(response, f"/v1/file-requests/{item.request_id}/items/{item.id}")
    return (await read_items(session, [item]))[0]


@router.patch(
    "/v1/file-requests/{request_id}/items/{item_id}",
    operation_id="file_request_items_update",
    summary="Change an item (until something was submitted on it: 409 `request_item_locked`)",
    response_model=ItemRead,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def update_item(body: ItemUpdate, session: SessionDep, context: CanManageItem) -> ItemRead:
    item = await service.update_item(
        session, context.context.request, context.item, context.context.principal, body
    )
    return (await read_items(session, [item]))[0]


@router.delete(
    "/v1/file-requests/{request_id}/items/{item_id}",
    operation_id="file_request_items_delete",
    summary="Remove an item (until something was submitted on it: 409 `request_item_locked`)",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def delete_item(session: SessionDep, context: CanManageItem) -> Response:
    await service.delete_item(
        session, context.context.request, context.item, context.context.principal
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/v1/file-requests/{request_id}/items/{item_id}/accept",
    operation_id="file_request_items_accept",
    summary="Accept a submitted item",
    description="409 `file_request_item_not_submitted` unless the item is `submitted`. "
    "When every item is accepted the request is `completed`.",
    response_model=ItemRead,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def accept_item(session: SessionDep, context: CanManageItem) -> ItemRead:
    await service.accept_items(
        session, context.context.request, context.context.principal, [context.item.id]
    )
    return (await read_items(session, [context.item]))[0]


@router.post(
    "/v1/file-requests/{request_id}/items/{item_id}/return",
    operation_id="file_request_items_return",
    summary="Return a submitted (or accepted) item with a reason",
    description="The contacts are notified with the reason and upload again; reminders resume.",
    response_model=ItemRead,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def return_item(body: ReturnBody, session: SessionDep, context: CanManageItem) -> ItemRead:
    await service.return_items(
        session,
        context.context.request,
        context.context.principal,
        [context.item.id],
        body.reason,
    )
    return (await read_items(session, [context.item]))[0]


@router.get(
    "/v1/file-requests/{request_id}/items/{item_id}/content",
    operation_id="file_request_items_download",
    summary="Download what was sent for an item (its latest upload)",
    description="Shared viewers download accepted items only (403 "
    "`file_request_item_not_accepted`); 404 `file_request_item_empty` before any upload.",
    response_class=Response,
    responses=DOWNLOAD_RESPONSES,
)
@writes_on_get
async def download_item(
    request: Request,
    session: SessionDep,
    context: CanViewItem,
    storage: StorageDep,
    disposition: Annotated[Literal["attachment", "inline"], Query()] = "attachment",
) -> Response:
    item, access = context.item, context.context.access
    if access == "viewer" and item.status != "accepted":
        raise Forbidden(
            "Shared viewers download the files of accepted items only.",
            code="file_request_item_not_accepted",
        )
    upload = (await latest_uploads(session, [item.id])).get(item.id)
    found = None
    if upload is not None:
        files = FileRepository(session, context.context.principal.firm_id)
        found = await files.live_version(upload.file_id, upload.file_version)
    if found is None:
        raise NotFound("Nothing was sent for this item yet.", code="file_request_item_empty")
    document, stored = found
    return await send_file(
        request,
        session,
        storage,
        document=document,
        stored=stored,
        actor=context.context.principal.actor,
        disposition=disposition,
    )
