"""Portal file requests: the requests addressed to the signed-in contact.

Visible: requests the contact is a recipient of, on an entity it still has access to
(``file_requests.repository.readable_by``, the one rule); anything else is 404. Only
contributors upload: the policy of row ``portal.file_request.upload`` checks the role once
the item is found (a contact demoted to `viewer` gets 403 ``portal_upload_forbidden``). An
upload into an update item adds the next version of the attached file; into a new-file item
it creates a file of the entity (then its versions). Uploads stream through the files
module (same limits, sniffing and storage).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.access.matrix import Level
from practice_api.access.policy import child_policy, object_policy, principal_policy
from practice_api.access.principals import current_contact
from practice_api.contacts.repository import GrantRepository
from practice_api.core.errors import NotFound, problem_responses
from practice_api.core.etag import set_etag
from practice_api.core.http import created
from practice_api.core.pagination import PageParams, page_params
from practice_api.core.principals import Principal
from practice_api.db import SessionDep, writes_on_get
from practice_api.entities.repository import FirmEntities
from practice_api.file_requests import service
from practice_api.file_requests.models import FileRequest, FileRequestItem
from practice_api.file_requests.repository import (
    count_waiting,
    counts_of,
    file_refs,
    find_item,
    find_readable,
    firm_today,
    get_item,
    is_overdue,
    item_not_found,
    items_of,
    request_not_found,
    waiting_first_page,
)
from practice_api.file_requests.schemas import (
    PortalFileRequest,
    PortalFileRequestPage,
    PortalItem,
)
from practice_api.files.models import FileDocument
from practice_api.files.repository import FileRepository
from practice_api.files.transfer import (
    DOWNLOAD_RESPONSES,
    StorageDep,
    receive_upload,
    send_file,
    upload_body,
)
from practice_api.files.upload import UploadPolicy
from practice_api.portal.policy import contact_level
from practice_api.runtime import RuntimeDep

router = APIRouter(prefix="/v1/portal/file-requests", tags=["portal"])


@dataclass(frozen=True)
class PortalRequestContext:
    request: FileRequest
    principal: Principal


def _request_context(
    found: FileRequest, principal: Principal, _level: Level
) -> PortalRequestContext:
    return PortalRequestContext(found, principal)


def portal_request_policy(action: str) -> Callable[..., Awaitable[PortalRequestContext]]:
    return object_policy(
        action,
        "portal",
        param="request_id",
        load=find_readable,
        level=contact_level,
        build=_request_context,
        not_found=request_not_found,
        principal=current_contact,
    )


@dataclass(frozen=True)
class PortalItemContext:
    request: FileRequest
    item: FileRequestItem
    principal: Principal


async def _item(
    session: AsyncSession, context: PortalRequestContext, item_id: uuid.UUID
) -> FileRequestItem | None:
    return await find_item(session, context.request, item_id)


def _item_context(context: PortalRequestContext, item: FileRequestItem) -> PortalItemContext:
    return PortalItemContext(context.request, item, context.principal)


async def _contributor(session: AsyncSession, context: PortalItemContext) -> bool:
    grants = GrantRepository(session, context.principal.firm_id)
    return await grants.role_of(context.principal.id, context.request.entity_id) == "contributor"


portal_request = portal_request_policy("portal.file_request")
# Only contributors upload: the role is checked once the item is found (404 first).
portal_item_upload = child_policy(
    portal_request_policy("portal.file_request.upload"),
    param="item_id",
    load=_item,
    build=_item_context,
    not_found=item_not_found,
    allowed=("portal.file_request.upload", _contributor),
)


CanSeePortalRequest = Annotated[PortalRequestContext, Depends(portal_request)]
CanUploadToPortalItem = Annotated[PortalItemContext, Depends(portal_item_upload)]
PortalContact = Annotated[Principal, Depends(principal_policy("portal.self"))]


def _base(request_id: uuid.UUID, item_id: uuid.UUID) -> str:
    return f"/v1/portal/file-requests/{request_id}/items/{item_id}"


async def _portal_items(session: AsyncSession, items: list[FileRequestItem]) -> list[PortalItem]:
    attachments = await file_refs(session, [i.attachment_file_id for i in items])
    out = []
    for item in items:
        attachment = attachments.get(item.attachment_file_id) if item.attachment_file_id else None
        out.append(
            PortalItem(
                id=item.id,
                position=item.position,
                title=item.title,
                description=item.description,
                due_date=item.due_date,
                status=item.status,
                return_reason=item.return_reason if item.status == "returned" else None,
                waiting=item.status in service.WAITING_ITEMS,
                attachment_url=_base(item.request_id, item.id) + "/attachment"
                if attachment
                else None,
                attachment_name=attachment.name if attachment else None,
                upload_url=_base(item.request_id, item.id) + "/uploads",
                uploads=item.uploads,
            )
        )
    return out


async def _read(
    session: AsyncSession, principal: Principal, rows: list[FileRequest], *, detail: bool = False
) -> list[PortalFileRequest]:
    if not rows:
        return []
    today = await firm_today(session, principal.firm_id)
    counts = await counts_of(session, [r.id for r in rows])
    names = await FirmEntities(session, principal.firm_id).names(list({r.entity_id for r in rows}))
    out = []
    for r in rows:
        out.append(
            PortalFileRequest(
                id=r.id,
                entity_id=r.entity_id,
                entity_name=names.get(r.entity_id, ""),
                subject=r.subject,
                description=r.description,
                additional_message=r.additional_message,
                due_date=r.due_date,
                status=r.status,
                overdue=is_overdue(r, today),
                waiting=r.waiting,
                counts=counts[r.id],
                items=await _portal_items(session, await items_of(session, r.id))
                if detail
                else None,
                created_by_name=r.created_by_name,
                created_at=r.created_at,
            )
        )
    return out


@router.get(
    "",
    operation_id="portal_file_requests_list",
    summary="The file requests addressed to the contact, those waiting for it first",
    description="Ordered: requests with items waiting for an upload (open or returned) "
    "first, then newest first. Each carries its item counts per status; `waiting` counts "
    "the contact's requests that wait for it.",
    response_model=PortalFileRequestPage,
    responses=problem_responses(400, 401, 403, 422),
)
async def list_requests(
    session: SessionDep,
    principal: PortalContact,
    page: Annotated[PageParams, Depends(page_params)],
) -> PortalFileRequestPage:
    rows, cursor = await waiting_first_page(session, principal, page)
    waiting_total = await count_waiting(session, principal)
    return PortalFileRequestPage(
        items=await _read(session, principal, rows),
        next_cursor=cursor,
        waiting=waiting_total,
    )


@router.get(
    "/{request_id}",
    operation_id="portal_file_requests_get",
    summary="A file request addressed to the contact, with its items",
    description="Each item says what to send, its status and, when returned, why.",
    response_model=PortalFileRequest,
    responses=problem_responses(304, 401, 403, 404, 422),
)
async def get_request(
    request: Request, response: Response, session: SessionDep, context: CanSeePortalRequest
) -> PortalFileRequest:
    set_etag(request, response, context.request.version)
    return (await _read(session, context.principal, [context.request], detail=True))[0]


@router.post(
    "/{request_id}/items/{item_id}/uploads",
    operation_id="portal_file_request_items_upload",
    summary="Send a file for an item (contributors)",
    description="`multipart/form-data` with one `file` field, the limits of every upload "
    "(413, 415). For an update item it becomes the attached file's next version; otherwise "
    "a file of the entity. Several uploads per item are allowed; the item becomes "
    "`submitted`. A `viewer` contact: 403 `portal_upload_forbidden`; an accepted item: 409 "
    "`request_item_accepted`; a cancelled or completed request: 409 `file_request_closed`.",
    status_code=status.HTTP_201_CREATED,
    response_model=PortalItem,
    openapi_extra=upload_body(),
    responses=problem_responses(400, 401, 403, 404, 409, 413, 415, 422),
)
async def upload(
    item_id: uuid.UUID,
    request: Request,
    response: Response,
    session: SessionDep,
    context: CanUploadToPortalItem,
    storage: StorageDep,
    runtime: RuntimeDep,
) -> PortalItem:
    principal, file_request, item = context.principal, context.request, context.item
    service.ensure_uploadable(file_request, item)
    received = await receive_upload(
        request, session, storage, UploadPolicy.from_settings(runtime.settings)
    )
    item, _ = await service.submit_upload(session, file_request, item, principal, received)
    created(response, f"/v1/portal/file-requests/{file_request.id}")
    return (await _portal_items(session, [item]))[0]


@router.get(
    "/{request_id}/items/{item_id}/attachment",
    operation_id="portal_file_request_items_attachment",
    summary="Download the file an update item asks to change (its current version)",
    description="Recorded in the entity's activity log. 404 when the item has no attachment.",
    response_class=Response,
    responses=DOWNLOAD_RESPONSES,
)
@writes_on_get
async def download_attachment(
    item_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    context: CanSeePortalRequest,
    storage: StorageDep,
    disposition: Annotated[Literal["attachment", "inline"], Query()] = "attachment",
) -> Response:
    item = await get_item(session, context.request, item_id)
    files = FileRepository(session, context.principal.firm_id)
    document = (
        await files.get(item.attachment_file_id) if item.attachment_file_id is not None else None
    )
    if not isinstance(document, FileDocument):
        raise NotFound("This item has no file to update.", code="file_request_item_no_attachment")
    return await send_file(
        request,
        session,
        storage,
        document=document,
        stored=await files.version(document),
        actor=context.principal.actor,
        disposition=disposition,
    )
