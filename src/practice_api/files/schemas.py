from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import Field

from practice_api.core.pagination import Page
from practice_api.core.schemas import PatchModel, ReadModel
from practice_api.files.models import FileDocument, StoredFile

UploaderKind = Literal["staff", "contact", "guest"]


class Uploader(ReadModel):
    kind: UploaderKind
    id: uuid.UUID | None = Field(description="The staff user's or contact's id; null for guests.")
    name: str


class FileVersionRead(ReadModel):
    """One uploaded version of a file."""

    id: uuid.UUID
    file_id: uuid.UUID
    number: int = Field(description="1 for the first upload, then 2, 3, ...")
    name: str
    content_type: str = Field(description="Sniffed from the bytes, not taken from the client.")
    size: int = Field(description="Bytes.")
    sha256: str = Field(description="Hex SHA-256 of the content; also the download's ETag.")
    uploaded_by: Uploader
    created_at: dt.datetime
    content_url: str = Field(description="Where to download this version.")

    @classmethod
    def of(cls, version: StoredFile) -> FileVersionRead:
        return cls(
            id=version.id,
            file_id=version.document_id,
            number=version.number,
            name=version.name,
            content_type=version.content_type,
            size=version.size,
            sha256=version.sha256,
            uploaded_by=_uploader(version),
            created_at=version.created_at,
            content_url=f"/v1/files/{version.document_id}/content?version={version.number}",
        )


class FileRead(ReadModel):
    """A file of an entity, described by its current (newest) version."""

    id: uuid.UUID
    entity_id: uuid.UUID
    name: str
    content_type: str
    size: int
    sha256: str
    current_version: int = Field(description="Number of the newest version.")
    shared_with_contacts: bool = Field(
        description="Staff share it with the entity's portal contacts (files a contact "
        "uploaded are visible to them anyway)."
    )
    uploaded_by: Uploader = Field(description="Who uploaded the newest version.")
    created_at: dt.datetime = Field(description="When the first version was uploaded.")
    updated_at: dt.datetime = Field(description="When the newest version was uploaded.")
    content_url: str = Field(description="Where to download the newest version.")

    @classmethod
    def of(cls, document: FileDocument, current: StoredFile) -> FileRead:
        return cls(
            id=document.id,
            entity_id=document.entity_id,
            name=current.name,
            content_type=current.content_type,
            size=current.size,
            sha256=current.sha256,
            current_version=current.number,
            shared_with_contacts=document.shared_with_contacts,
            uploaded_by=_uploader(current),
            created_at=document.created_at,
            updated_at=current.created_at,
            content_url=f"/v1/files/{document.id}/content",
        )


def _uploader(version: StoredFile) -> Uploader:
    kind: UploaderKind = version.uploaded_by_kind  # type: ignore[assignment]
    return Uploader(kind=kind, id=version.uploaded_by_id, name=version.uploaded_by_name)


class FilePage(Page[FileRead]):
    pass


class FileVersionPage(Page[FileVersionRead]):
    pass


class FileUpdate(PatchModel):
    shared_with_contacts: bool | None = Field(
        default=None, description="Show the file to the entity's portal contacts, or not."
    )
