"""Route helpers shared by the staff file routes and the portal's: the streaming multipart
upload, the download answer (recorded in the activity log) and their OpenAPI pieces."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import Depends, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.core.errors import ValidationFailed, ValidationIssue, problem_responses
from practice_api.core.principals import Actor, Principal
from practice_api.core.storage import ObjectStorage
from practice_api.db import after_rollback
from practice_api.files import service
from practice_api.files.download import Download, file_response
from practice_api.files.models import FileDocument, StoredFile
from practice_api.files.upload import ReceivedFile, UploadPolicy, receive_multipart_upload
from practice_api.runtime import RuntimeDep


def get_storage(runtime: RuntimeDep) -> ObjectStorage:
    """The app's storage backend (``Runtime.storage``, built once from the settings)."""
    return runtime.storage


StorageDep = Annotated[ObjectStorage, Depends(get_storage)]

FILE_PROPERTY: dict[str, Any] = {
    "type": "string",
    "format": "binary",
    "description": "The file. Its type is sniffed from its bytes.",
}


def upload_body(**fields: dict[str, Any]) -> dict[str, Any]:
    """``openapi_extra`` for a multipart upload: a ``file`` plus optional text ``fields``."""
    return {
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {"file": FILE_PROPERTY, **fields},
                    }
                }
            },
        }
    }


UPLOAD_BODY = upload_body()

# Served with the type sniffed from the bytes at upload (any of the allowed types): the spec
# says so with */* (octet-stream stays first, for the generated clients' binary handling).
_BINARY = {"schema": {"type": "string", "format": "binary"}}
_ANY_BYTES = {"application/octet-stream": _BINARY, "*/*": _BINARY}
DOWNLOAD_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The file (its sniffed content type)", "content": _ANY_BYTES},
    206: {"description": "The requested byte range", "content": _ANY_BYTES},
    **problem_responses(304, 401, 403, 404, 422),
    416: {**problem_responses(404)[404], "description": "Range not satisfiable"},
}


async def receive_upload(
    request: Request, session: AsyncSession, storage: ObjectStorage, policy: UploadPolicy
) -> ReceivedFile:
    """Stream the request's file into storage, outside any database transaction.

    The authorization reads are committed first, so a slow upload holds neither a
    pooled connection nor SQLite's write lock. If the request's transaction later does
    not commit, the stored object is deleted again.
    """
    await session.commit()
    length = request.headers.get("content-length")
    received = await receive_multipart_upload(
        request.stream(),
        request.headers.get("content-type"),
        storage=storage,
        policy=policy,
        content_length=int(length) if length and length.isdigit() else None,
    )

    async def forget() -> None:
        await storage.delete(received.key)

    after_rollback(session, forget)
    return received


_TRUE = {"true", "1", "on", "yes"}
_FALSE = {"false", "0", "off", "no", ""}


def form_flag(received: ReceivedFile, name: str, default: bool = False) -> bool:
    """A boolean text field of the upload form (``true``/``false``, ``1``/``0``); 422 else."""
    raw = received.form.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValidationFailed(
        f"`{name}` must be true or false.",
        errors=[ValidationIssue(loc=["body", name], msg="not a boolean", type="bool_parsing")],
    )


async def upload_new_file(
    request: Request,
    session: AsyncSession,
    storage: ObjectStorage,
    policy: UploadPolicy,
    *,
    principal: Principal,
    entity_id: uuid.UUID,
    sharing_field: str | None = None,
) -> tuple[FileDocument, StoredFile]:
    """A new file of ``entity_id`` from the request's upload (staff and portal uploads);
    ``sharing_field`` names the form field that may share it with the portal contacts."""
    received = await receive_upload(request, session, storage, policy)
    return await service.add_file(
        session,
        firm_id=principal.firm_id,
        entity_id=entity_id,
        actor=principal.actor,
        received=received,
        shared_with_contacts=form_flag(received, sharing_field) if sharing_field else False,
    )


def as_download(stored: StoredFile) -> Download:
    return Download(
        key=stored.storage_key,
        size=stored.size,
        content_type=stored.content_type,
        filename=stored.name,
        sha256=stored.sha256,
        last_modified=stored.created_at,
    )


def is_a_download(answer: Response) -> bool:
    """Whole files, and ranges from the first byte (not every chunk a player fetches)."""
    if answer.status_code == 200:
        return True
    return answer.status_code == 206 and answer.headers.get("content-range", "").startswith(
        "bytes 0-"
    )


async def send_file(
    request: Request,
    session: AsyncSession,
    storage: ObjectStorage,
    *,
    document: FileDocument,
    stored: StoredFile,
    actor: Actor,
    disposition: Literal["attachment", "inline"],
) -> Response:
    """The download answer; a download (not a 304 or a later range) goes in the activity log."""
    answer = await file_response(request, storage, as_download(stored), disposition=disposition)
    if is_a_download(answer):
        await service.record_download(session, document=document, version=stored, actor=actor)
    return answer
