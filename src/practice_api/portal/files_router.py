"""Portal file routes: what is shared with a contact, and contributors' uploads.

What a contact sees (``files.repository.FileRepository.readable_by``, the one rule): on an
entity the contact has access to (either role), the files staff marked
``shared_with_contacts`` and every file a contact uploaded (the entity's contacts work on
the same client, see ``files.repository.visible_to_contacts``), plus every file attached to
a discussion the contact can read (``discussions.repository.attached_for_contact``), shared
or not. Only the current version is offered; versions and staff ids stay on the staff
side. A file the contact may not see, on an entity without access or in another firm,
answers 404. Only ``contributor`` contacts upload (a ``viewer`` gets 403
``portal_upload_forbidden``). Every download is recorded as ``file.downloaded`` with the
contact as the actor, so it shows in the entity's activity.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, status

from practice_api.core.errors import problem_responses
from practice_api.core.etag import set_etag
from practice_api.core.http import created
from practice_api.core.pagination import PageParams, page_params
from practice_api.core.principals import Principal
from practice_api.db import SessionDep, writes_on_get
from practice_api.files.models import FileDocument, StoredFile
from practice_api.files.repository import FILE_ORDERING, FileRepository
from practice_api.files.transfer import (
    DOWNLOAD_RESPONSES,
    StorageDep,
    send_file,
    upload_body,
    upload_new_file,
)
from practice_api.files.upload import UploadPolicy
from practice_api.portal.policy import CanSeePortalEntity, CanSeePortalFile, CanUploadToPortalEntity
from practice_api.portal.schemas import PortalFile, PortalFilePage
from practice_api.runtime import RuntimeDep

router = APIRouter(prefix="/v1/portal", tags=["portal"])


def _portal_file(document: FileDocument, current: StoredFile, principal: Principal) -> PortalFile:
    return PortalFile(
        id=document.id,
        entity_id=document.entity_id,
        name=current.name,
        content_type=current.content_type,
        size=current.size,
        sha256=current.sha256,
        uploaded_by_kind=current.uploaded_by_kind,
        uploaded_by_name=current.uploaded_by_name,
        mine=current.uploaded_by_kind == "contact" and current.uploaded_by_id == principal.id,
        created_at=document.created_at,
        updated_at=current.created_at,
        content_url=f"/v1/portal/files/{document.id}/content",
    )


@router.get(
    "/entities/{entity_id}/files",
    operation_id="portal_files_list",
    summary="The files of an entity shared with the contact",
    description="Files staff shared with the entity's contacts and files contacts uploaded.",
    response_model=PortalFilePage,
    responses=problem_responses(400, 401, 403, 404, 422),
)
async def list_files(
    session: SessionDep,
    context: CanSeePortalEntity,
    page: Annotated[PageParams, Depends(page_params)],
    order_by: str = FILE_ORDERING.param(),
) -> PortalFilePage:
    principal = context.principal
    files = FileRepository(session, principal.firm_id)
    statement = files.readable_by(principal).where(FileDocument.entity_id == context.entity.id)
    rows, cursor = await files.page(statement, page, FILE_ORDERING, order_by)
    return PortalFilePage(
        items=[_portal_file(d, d.current, principal) for d in rows], next_cursor=cursor
    )


@router.post(
    "/entities/{entity_id}/files",
    operation_id="portal_files_upload",
    summary="Upload a file to an entity (contacts with the contributor role)",
    description="`multipart/form-data` with one `file` field; the same size limit (413) and "
    "content-type allow-list (415) as staff uploads. The file is visible to the entity's "
    "contacts and staff. A `viewer` contact gets 403 `portal_upload_forbidden`.",
    status_code=status.HTTP_201_CREATED,
    response_model=PortalFile,
    openapi_extra=upload_body(),
    responses=problem_responses(400, 401, 403, 404, 413, 415, 422),
)
async def upload_file(
    request: Request,
    response: Response,
    session: SessionDep,
    context: CanUploadToPortalEntity,
    storage: StorageDep,
    runtime: RuntimeDep,
) -> PortalFile:
    document, version = await upload_new_file(
        request,
        session,
        storage,
        UploadPolicy.from_settings(runtime.settings),
        principal=context.principal,
        entity_id=context.entity.id,
    )
    created(response, f"/v1/portal/files/{document.id}", document.version)
    return _portal_file(document, version, context.principal)


@router.get(
    "/files/{file_id}",
    operation_id="portal_files_get",
    summary="A file shared with the contact",
    response_model=PortalFile,
    responses=problem_responses(304, 401, 403, 404, 422),
)
async def get_file(request: Request, response: Response, context: CanSeePortalFile) -> PortalFile:
    set_etag(request, response, context.document.version)
    return _portal_file(context.document, context.document.current, context.principal)


@router.get(
    "/files/{file_id}/content",
    operation_id="portal_files_download",
    summary="Download a file shared with the contact (its current version)",
    description="Streams the bytes with `Content-Type`, `Content-Length`, "
    "`Content-Disposition` and a strong `ETag` (the SHA-256); supports `Range`, `If-Range` "
    "and `If-None-Match`. Every download is recorded in the entity's activity log.",
    response_class=Response,
    responses=DOWNLOAD_RESPONSES,
)
@writes_on_get
async def download_file(
    request: Request,
    session: SessionDep,
    context: CanSeePortalFile,
    storage: StorageDep,
    disposition: Annotated[
        Literal["attachment", "inline"],
        Query(description="`inline` lets a browser show PDFs, images and plain text."),
    ] = "attachment",
) -> Response:
    document = context.document
    stored = await FileRepository(session, context.principal.firm_id).version(document)
    return await send_file(
        request,
        session,
        storage,
        document=document,
        stored=stored,
        actor=context.principal.actor,
        disposition=disposition,
    )
