"""File use cases: add a file to an entity, add a version, download, delete, purge.

Callers have already authorized the principal for the entity (``files.policy``) and put
the bytes in storage (``files.upload``); these functions write the rows and the activity
events in the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.core.etag import check_if_match
from practice_api.core.principals import Actor
from practice_api.core.storage import ObjectStorage
from practice_api.core.time import utcnow
from practice_api.events.service import EventSubject
from practice_api.files.models import FileDocument, StoredFile
from practice_api.files.repository import FileRepository, expired_deleted_files
from practice_api.files.upload import ReceivedFile

log = logging.getLogger("practice_api.files")


def _version(
    document: FileDocument, number: int, actor: Actor, received: ReceivedFile
) -> StoredFile:
    return StoredFile(
        firm_id=document.firm_id,
        document_id=document.id,
        entity_id=document.entity_id,
        number=number,
        name=received.name,
        content_type=received.content_type,
        size=received.size,
        sha256=received.sha256,
        storage_key=received.key,
        uploaded_by_kind=actor.kind,
        uploaded_by_id=actor.id,
        uploaded_by_name=actor.name,
    )


FILE: EventSubject[FileDocument] = EventSubject(
    "file", lambda document: {"file_name": document.name}, entity=lambda d: d.entity_id
)


def _payload(version: StoredFile) -> dict[str, object]:
    return {
        "file_name": version.name,
        "version": version.number,
        "size": version.size,
        "content_type": version.content_type,
        "sha256": version.sha256,
    }


async def add_file(
    session: AsyncSession,
    *,
    firm_id: uuid.UUID,
    entity_id: uuid.UUID,
    actor: Actor,
    received: ReceivedFile,
    shared_with_contacts: bool = False,
) -> tuple[FileDocument, StoredFile]:
    """A new file on ``entity_id`` whose first version is ``received``."""
    document = FileDocument(
        firm_id=firm_id,
        entity_id=entity_id,
        name=received.name,
        current_version=1,
        shared_with_contacts=shared_with_contacts,
    )
    session.add(document)
    await session.flush()
    version = _version(document, 1, actor, received)
    session.add(version)
    await session.flush()
    await FILE.record(session, "file.uploaded", actor, document, **_payload(version))
    return document, version


async def add_version(
    session: AsyncSession,
    *,
    firm_id: uuid.UUID,
    file_id: uuid.UUID,
    actor: Actor,
    received: ReceivedFile,
    if_match: str | None = None,
) -> tuple[FileDocument, StoredFile]:
    """A new current version of a file; the older versions stay downloadable."""
    files = FileRepository(session, firm_id)
    # Read again: the file may have changed or been deleted while the bytes streamed in.
    document = await files.get_or_404(file_id)
    await session.refresh(document)
    check_if_match(if_match, document.version)
    number = document.current_version + 1
    version = _version(document, number, actor, received)
    session.add(version)
    document.current_version = number
    document.name = received.name
    await session.flush()  # a concurrent new version fails here (row version, unique number)
    await FILE.record(session, "file.version_added", actor, document, **_payload(version))
    return document, version


async def record_download(
    session: AsyncSession, *, document: FileDocument, version: StoredFile, actor: Actor
) -> None:
    await FILE.record(session, "file.downloaded", actor, document, **_payload(version))


async def set_sharing(
    session: AsyncSession,
    *,
    document: FileDocument,
    actor: Actor,
    shared_with_contacts: bool,
    if_match: str | None = None,
) -> None:
    """Share the file with the entity's portal contacts, or stop sharing it."""
    check_if_match(if_match, document.version)
    if document.shared_with_contacts == shared_with_contacts:
        return
    document.shared_with_contacts = shared_with_contacts
    await session.flush()
    await FILE.record(
        session, "file.sharing_changed", actor, document, shared_with_contacts=shared_with_contacts
    )


async def delete_file(
    session: AsyncSession, *, document: FileDocument, actor: Actor, if_match: str | None = None
) -> None:
    """Soft delete: hidden at once, kept for the retention period, then purged."""
    check_if_match(if_match, document.version)
    document.deleted_at = utcnow()
    await session.flush()
    await FILE.record(session, "file.deleted", actor, document, versions=document.current_version)


async def purge_deleted_files(
    session: AsyncSession,
    storage: ObjectStorage,
    *,
    retention_days: int,
    now: dt.datetime | None = None,
    limit: int = 500,
) -> int:
    """Remove for good the files deleted more than ``retention_days`` ago; returns how many.

    A periodic job (the worker's schedule) calls this. Bytes go first, rows second: a
    failure in between leaves rows whose bytes are gone, which the next run removes
    (deleting a missing object is not an error); never bytes without a row.
    """
    cutoff = (now or utcnow()) - dt.timedelta(days=retention_days)
    expired = await expired_deleted_files(session, cutoff, limit)
    for document, versions in expired:
        for version in versions:
            await storage.delete(version.storage_key)
        await FILE.record(session, "file.purged", Actor.system(), document, versions=len(versions))
        await session.delete(document)
    await session.flush()
    if expired:
        log.info(
            "purged %d deleted file(s) past %d days of retention", len(expired), retention_days
        )
    return len(expired)
