"""File routes (staff). Contacts reach files through the portal routes (``portal.files_router``).

Uploads are ``multipart/form-data`` with one ``file`` field, read from the request
stream as it arrives (see ``files.upload``); the request body is not declared as a
FastAPI parameter, so FastAPI never buffers or spools it.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status

from practice_api.core.errors import problem_responses
from practice_api.core.etag import IfMatchHeader, check_if_match, set_etag
from practice_api.core.http import INT32_MAX, created
from practice_api.core.pagination import PageParams, page_params
from practice_api.db import SessionDep, writes_on_get
from practice_api.files import service
from practice_api.files.policy import (
    CanChangeFile,
    CanDeleteFile,
    CanListFiles,
    CanUploadFiles,
    CanViewFile,
)
from practice_api.files.repository import (
    FILE_ORDERING,
    VERSION_ORDERING,
    FileFilters,
    FileRepository,
)
from practice_api.files.schemas import (
    FilePage,
    FileRead,
    FileUpdate,
    FileVersionPage,
    FileVersionRead,
    UploaderKind,
)
from practice_api.files.transfer import (
    DOWNLOAD_RESPONSES,
    StorageDep,
    receive_upload,
    send_file,
    upload_body,
    upload_new_file,
)
from practice_api.files.upload import UploadPolicy
from practice_api.runtime import RuntimeDep

router = APIRouter(tags=["files"])


SHARED_FIELD: dict[str, Any] = {
    "type": "boolean",
    "default": False,
    "description": "Share the file with the entity's portal contacts (`true`/`false`).",
}


@router.post(
    "/v1/entities/{entity_id}/files",
    operation_id="files_upload",
    summary="Upload a file to an entity",
    description="`multipart/form-data` with one `file` field and, optionally, "
    "`shared_with_contacts=true` to show it to the entity's portal contacts. The content "
    "type is sniffed from the bytes and must be on the allow-list (415); files past the "
    "size limit answer 413; nothing is stored on failure.",
    status_code=status.HTTP_201_CREATED,
    response_model=FileRead,
    openapi_extra=upload_body(shared_with_contacts=SHARED_FIELD),
    responses=problem_responses(400, 401, 403, 404, 413, 415, 422),
)
async def upload_file(
    entity_id: uuid.UUID,
    request: Request,
    response: Response,
    session: SessionDep,
    context: CanUploadFiles,
    storage: StorageDep,
    runtime: RuntimeDep,
) -> FileRead:
    document, version = await upload_new_file(
        request,
        session,
        storage,
        UploadPolicy.from_settings(runtime.settings),
        principal=context.principal,
        entity_id=entity_id,
        sharing_field="shared_with_contacts",
    )
    created(response, f"/v1/files/{document.id}", document.version)
    return FileRead.of(document, version)


@router.get(
    "/v1/entities/{entity_id}/files",
    operation_id="files_list",
    summary="List an entity's files",
    response_model=FilePage,
    responses=problem_responses(400, 401, 403, 404, 422),
)
async def list_files(
    entity_id: uuid.UUID,
    session: SessionDep,
    context: CanListFiles,
    page: Annotated[PageParams, Depends(page_params)],
    q: Annotated[str | None, Query(max_length=200, description="Part of the name.")] = None,
    content_type: Annotated[str | None, Query(max_length=255)] = None,
    uploaded_by_kind: Annotated[UploaderKind | None, Query()] = None,
    order_by: str = FILE_ORDERING.param(),
) -> FilePage:
    files = FileRepository(session, context.principal.firm_id)
    statement = files.of_entity(
        entity_id,
        FileFilters(q=q, content_type=content_type, uploaded_by_kind=uploaded_by_kind),
    )
    rows, cursor = await files.page(statement, page, FILE_ORDERING, order_by)
    return FilePage(items=[FileRead.of(d, d.current) for d in rows], next_cursor=cursor)


@router.get(
    "/v1/files/{file_id}",
    operation_id="files_get",
    summary="Get a file's metadata",
    response_model=FileRead,
    responses=problem_responses(304, 401, 403, 404, 422),
)
async def get_file(
    file_id: uuid.UUID,
    request: Request,
    response: Response,
    session: SessionDep,
    context: CanViewFile,
) -> FileRead:
    document = context.document
    set_etag(request, response, document.version)
    return FileRead.of(document, document.current)


@router.get(
    "/v1/files/{file_id}/content",
    operation_id="files_download",
    summary="Download a file (the newest version, or `version=N`)",
    description="Streams the bytes with their sniffed `Content-Type`, `Content-Length`, "
    "`Content-Disposition` and a strong `ETag` (the SHA-256). Supports `Range` (206, one "
    "range; 416 outside the file), `If-Range` and `If-None-Match` (304). Every download "
    "is recorded in the activity log.",
    response_class=Response,
    responses=DOWNLOAD_RESPONSES,
)
@writes_on_get
async def download_file(
    file_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    context: CanViewFile,
    storage: StorageDep,
    version: Annotated[
        int | None, Query(ge=1, le=INT32_MAX, description="A version number.")
    ] = None,
    disposition: Annotated[
        Literal["attachment", "inline"],
        Query(description="`inline` lets a browser show PDFs, images and plain text."),
    ] = "attachment",
) -> Response:
    document, principal = context.document, context.principal
    stored = await FileRepository(session, principal.firm_id).version(document, version)
    return await send_file(
        request,
        session,
        storage,
        document=document,
        stored=stored,
        actor=principal.actor,
        disposition=disposition,
    )


@router.patch(
    "/v1/files/{file_id}",
    operation_id="files_update",
    summary="Share a file with the entity's portal contacts, or stop sharing it",
    description="Those who may upload may change it. Files a contact uploaded stay visible "
    "to the entity's contacts whatever `shared_with_contacts` says.",
    response_model=FileRead,
    responses=problem_responses(401, 403, 404, 412, 422),
)
async def update_file(
    file_id: uuid.UUID,
    body: FileUpdate,
    request: Request,
    response: Response,
    session: SessionDep,
    context: CanChangeFile,
    if_match: IfMatchHeader = None,
) -> FileRead:
    document, principal = context.document, context.principal
    if body.shared_with_contacts is not None:
        await service.set_sharing(
            session,
            document=document,
            actor=principal.actor,
            shared_with_contacts=body.shared_with_contacts,
            if_match=if_match,
        )
    else:
        check_if_match(if_match, document.version)
    set_etag(request, response, document.version)
    return FileRead.of(document, document.current)


@router.get(
    "/v1/files/{file_id}/versions",
    operation_id="files_versions_list",
    summary="List a file's versions",
    response_model=FileVersionPage,
    responses=problem_responses(400, 401, 403, 404, 422),
)
async def list_versions(
    file_id: uuid.UUID,
    session: SessionDep,
    context: CanViewFile,
    page: Annotated[PageParams, Depends(page_params)],
    order_by: str = VERSION_ORDERING.param(),
) -> FileVersionPage:
    document, principal = context.document, context.principal
    rows, cursor = await FileRepository(session, principal.firm_id).versions(
        document, page, order_by
    )
    return FileVersionPage(items=[FileVersionRead.of(v) for v in rows], next_cursor=cursor)


@router.get(
    "/v1/files/{file_id}/versions/{number}",
    operation_id="files_versions_get",
    summary="Get one version of a file",
    response_model=FileVersionRead,
    responses=problem_responses(401, 403, 404, 422),
)
async def get_version(
    file_id: uuid.UUID,
    number: Annotated[int, Path(ge=1, le=INT32_MAX)],
    session: SessionDep,
    context: CanViewFile,
) -> FileVersionRead:
    document, principal = context.document, context.principal
    stored = await FileRepository(session, principal.firm_id).version(document, number)
    return FileVersionRead.of(stored)


@router.post(
    "/v1/files/{file_id}/versions",
    operation_id="files_versions_create",
    summary="Upload a new version of a file",
    description="Same body and limits as the upload. The older versions stay downloadable "
    "with `GET /v1/files/{id}/content?version=N`. Send `If-Match` with the file's ETag to "
    "refuse (412) when someone else added a version first.",
    status_code=status.HTTP_201_CREATED,
    response_model=FileVersionRead,
    openapi_extra=upload_body(),
    responses=problem_responses(400, 401, 403, 404, 409, 412, 413, 415, 422),
)
async def create_version(
    file_id: uuid.UUID,
    request: Request,
    response: Response,
    session: SessionDep,
    context: CanChangeFile,
    storage: StorageDep,
    runtime: RuntimeDep,
    if_match: IfMatchHeader = None,
) -> FileVersionRead:
    document, principal = context.document, context.principal
    check_if_match(if_match, document.version)  # fail before reading the body
    received = await receive_upload(
        request, session, storage, UploadPolicy.from_settings(runtime.settings)
    )
    document, stored = await service.add_version(
        session,
        firm_id=principal.firm_id,
        file_id=file_id,
        actor=principal.actor,
        received=received,
        if_match=if_match,
    )
    created(response, f"/v1/files/{document.id}/versions/{stored.number}", document.version)
    return FileVersionRead.of(stored)


@router.delete(
    "/v1/files/{file_id}",
    operation_id="files_delete",
    summary="Delete a file (all its versions)",
    description="A soft delete: the file disappears from every read at once; its bytes "
    "are kept for the retention period (`PRACTICE_FILE_RETENTION_DAYS`), then purged.",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 412, 422),
)
async def delete_file(
    file_id: uuid.UUID,
    session: SessionDep,
    context: CanDeleteFile,
    if_match: IfMatchHeader = None,
) -> Response:
    document, principal = context.document, context.principal
    await service.delete_file(session, document=document, actor=principal.actor, if_match=if_match)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
