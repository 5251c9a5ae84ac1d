"""File request queries. ``readable_by(principal)`` is the one visibility rule: admins see
the firm's requests, staff those on entities they see, contacts those addressed to them."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, false, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.contacts.models import Contact
from practice_api.core.errors import NotFound
from practice_api.core.pagination import Ordering, PageParams, decode_cursor, encode_cursor
from practice_api.core.principals import Principal
from practice_api.core.time import local_today
from practice_api.entities.repository import readable_entity_ids
from practice_api.file_requests.models import (
    FileRequest,
    FileRequestItem,
    FileRequestRecipient,
    FileRequestUpload,
)
from practice_api.file_requests.schemas import Counts, FileRef, RecipientRead
from practice_api.files.models import FileDocument, StoredFile
from practice_api.firms.models import Firm

REQUEST_ORDERING = Ordering(
    fields={
        "created_at": FileRequest.created_at,
        "updated_at": FileRequest.updated_at,
        "subject": FileRequest.subject,
    },
    id_column=FileRequest.id,
    default="-created_at",
)

CLOSED = ("submitted", "completed", "cancelled")


def request_not_found() -> NotFound:
    return NotFound("No file request with that id.", code="file_request_not_found")


def item_not_found() -> NotFound:
    return NotFound(
        "No item with that id in this file request.", code="file_request_item_not_found"
    )


def readable_by(principal: Principal) -> Select[FileRequest]:
    """The requests ``principal`` may read, as one statement."""
    statement = select(FileRequest).where(FileRequest.firm_id == principal.firm_id)
    if principal.kind == "contact":  # addressed to it, on an entity it still has access to
        return statement.where(
            FileRequest.id.in_(
                select(FileRequestRecipient.request_id).where(
                    FileRequestRecipient.contact_id == principal.id
                )
            ),
            FileRequest.entity_id.in_(readable_entity_ids(principal)),
        )
    if principal.kind != "staff":
        return statement.where(false())
    if principal.is_admin:
        return statement
    return statement.where(FileRequest.entity_id.in_(readable_entity_ids(principal)))


def open_for_contact(principal: Principal) -> Any:
    """The requests a contact reads (``readable_by``) until completed or cancelled (a
    submitted one is still under review), in the shape of the client area's requests in
    progress: kind, id, entity_id, title, status, due_date, created_at."""
    return (
        readable_by(principal)
        .with_only_columns(
            literal("file_request").label("kind"),
            FileRequest.id,
            FileRequest.entity_id,
            FileRequest.subject.label("title"),
            FileRequest.status,
            FileRequest.due_date,
            FileRequest.created_at,
        )
        .where(FileRequest.status.not_in(("completed", "cancelled")))
    )


@dataclass(frozen=True)
class RequestFilters:
    status: str | None = None
    overdue: bool | None = None
    recipient_id: uuid.UUID | None = None
    created_by: uuid.UUID | None = None
    due_before: dt.date | None = None
    due_after: dt.date | None = None
    entity_id: uuid.UUID | None = None


def filtered(
    statement: Select[FileRequest], filters: RequestFilters, today: dt.date
) -> Select[FileRequest]:
    if filters.status:
        statement = statement.where(FileRequest.status == filters.status)
    if filters.overdue is not None:
        overdue = (
            FileRequest.due_date.is_not(None)
            & (FileRequest.due_date < today)
            & FileRequest.status.not_in(CLOSED)
        )
        statement = statement.where(overdue if filters.overdue else ~overdue)
    if filters.recipient_id:
        statement = statement.where(
            FileRequest.id.in_(
                select(FileRequestRecipient.request_id).where(
                    FileRequestRecipient.contact_id == filters.recipient_id
                )
            )
        )
    if filters.created_by:
        statement = statement.where(FileRequest.created_by_id == filters.created_by)
    if filters.due_before:
        statement = statement.where(FileRequest.due_date <= filters.due_before)
    if filters.due_after:
        statement = statement.where(FileRequest.due_date >= filters.due_after)
    if filters.entity_id:
        statement = statement.where(FileRequest.entity_id == filters.entity_id)
    return statement


async def firm_today(session: AsyncSession, firm_id: uuid.UUID) -> dt.date:
    """Today in the firm's time zone (overdue and due-date filters read it)."""
    zone = await session.scalar(select(Firm.time_zone).where(Firm.id == firm_id))
    return local_today(zone or "UTC")


def is_overdue(request: FileRequest, today: dt.date) -> bool:
    return (
        request.due_date is not None and request.due_date < today and request.status not in CLOSED
    )


async def find_readable(
    session: AsyncSession, principal: Principal, request_id: uuid.UUID
) -> FileRequest | None:
    found: FileRequest | None = await session.scalar(
        readable_by(principal).where(FileRequest.id == request_id)
    )
    return found


async def get_readable(
    session: AsyncSession, principal: Principal, request_id: uuid.UUID
) -> FileRequest:
    found = await find_readable(session, principal, request_id)
    if found is None:
        raise request_not_found()
    return found


WAITING_FIRST = "waiting_first"


async def waiting_first_page(
    session: AsyncSession, principal: Principal, params: PageParams
) -> tuple[list[FileRequest], str | None]:
    """A page of ``readable_by(principal)``: requests waiting for an upload first, then
    newest first (a keyset cursor over both)."""
    statement = readable_by(principal)
    if params.cursor:
        key, last_id = decode_cursor(params.cursor, WAITING_FIRST, str)
        waiting_text, _, created_text = str(key).partition("|")
        waiting, created_at = waiting_text == "1", dt.datetime.fromisoformat(created_text)
        after_same = or_(
            FileRequest.created_at < created_at,
            and_(FileRequest.created_at == created_at, FileRequest.id < last_id),
        )
        condition = (
            or_(FileRequest.waiting.is_(False), and_(FileRequest.waiting.is_(True), after_same))
            if waiting
            else and_(FileRequest.waiting.is_(False), after_same)
        )
        statement = statement.where(condition)
    rows = list(
        (
            await session.scalars(
                statement.order_by(
                    FileRequest.waiting.desc(), FileRequest.created_at.desc(), FileRequest.id.desc()
                ).limit(params.limit + 1)
            )
        ).all()
    )
    cursor = None
    if len(rows) > params.limit:
        rows = rows[: params.limit]
        last = rows[-1]
        key = f"{int(last.waiting)}|{last.created_at.isoformat()}"
        cursor = encode_cursor(WAITING_FIRST, key, last.id)
    return rows, cursor


async def count_waiting(session: AsyncSession, principal: Principal) -> int:
    """How many of ``readable_by(principal)`` wait for an upload."""
    total = await session.scalar(
        select(func.count()).select_from(
            readable_by(principal).where(FileRequest.waiting.is_(True)).subquery()
        )
    )
    return int(total or 0)


async def counts_of(
    session: AsyncSession, request_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Counts]:
    """Items per status of many requests in one statement."""
    out: dict[uuid.UUID, Counts] = {rid: Counts() for rid in request_ids}
    if not request_ids:
        return out
    rows = await session.execute(
        select(FileRequestItem.request_id, FileRequestItem.status, func.count())
        .where(FileRequestItem.request_id.in_(request_ids))
        .group_by(FileRequestItem.request_id, FileRequestItem.status)
    )
    for request_id, status, count in rows:
        counts = out[request_id]
        setattr(counts, status, count)
        counts.total += count
    return out


async def recipients_of(
    session: AsyncSession, request_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[RecipientRead]]:
    out: dict[uuid.UUID, list[RecipientRead]] = defaultdict(list)
    if not request_ids:
        return out
    rows = await session.execute(
        select(FileRequestRecipient.request_id, Contact.id, Contact.name, Contact.email)
        .join(Contact, Contact.id == FileRequestRecipient.contact_id)
        .where(FileRequestRecipient.request_id.in_(request_ids))
        .order_by(Contact.name, Contact.id)
    )
    for request_id, contact_id, name, email in rows:
        out[request_id].append(RecipientRead(id=contact_id, name=name, email=email))
    return out


async def recipient_ids(session: AsyncSession, request_id: uuid.UUID) -> list[uuid.UUID]:
    rows = await session.scalars(
        select(FileRequestRecipient.contact_id).where(FileRequestRecipient.request_id == request_id)
    )
    return list(rows.all())


async def items_of(session: AsyncSession, request_id: uuid.UUID) -> list[FileRequestItem]:
    rows = await session.scalars(
        select(FileRequestItem)
        .where(FileRequestItem.request_id == request_id)
        .order_by(FileRequestItem.position, FileRequestItem.id)
    )
    return list(rows.all())


async def find_item(
    session: AsyncSession, request: FileRequest, item_id: uuid.UUID
) -> FileRequestItem | None:
    item: FileRequestItem | None = await session.scalar(
        select(FileRequestItem).where(
            FileRequestItem.id == item_id, FileRequestItem.request_id == request.id
        )
    )
    return item


async def get_item(
    session: AsyncSession, request: FileRequest, item_id: uuid.UUID
) -> FileRequestItem:
    item = await find_item(session, request, item_id)
    if item is None:
        raise item_not_found()
    return item


async def file_refs(
    session: AsyncSession, file_ids: Sequence[uuid.UUID | None]
) -> dict[uuid.UUID, FileRef]:
    """The current version of live files, in one statement."""
    wanted = [i for i in dict.fromkeys(file_ids) if i is not None]
    if not wanted:
        return {}
    rows = await session.execute(
        select(
            FileDocument.id,
            StoredFile.name,
            StoredFile.number,
            StoredFile.content_type,
            StoredFile.size,
        )
        .join(
            StoredFile,
            (StoredFile.document_id == FileDocument.id)
            & (StoredFile.number == FileDocument.current_version),
        )
        .where(FileDocument.id.in_(wanted), FileDocument.deleted_at.is_(None))
    )
    return {
        row[0]: FileRef(id=row[0], name=row[1], version=row[2], content_type=row[3], size=row[4])
        for row in rows
    }


async def latest_uploads(
    session: AsyncSession, item_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, FileRequestUpload]:
    """Each item's latest upload (one statement)."""
    if not item_ids:
        return {}
    rows = await session.scalars(
        select(FileRequestUpload)
        .where(FileRequestUpload.item_id.in_(item_ids))
        .order_by(FileRequestUpload.created_at, FileRequestUpload.id)
    )
    return {row.item_id: row for row in rows}


async def upload_versions(
    session: AsyncSession, uploads: Sequence[FileRequestUpload]
) -> dict[uuid.UUID, FileRef]:
    """The exact file version each upload produced, keyed by upload id."""
    if not uploads:
        return {}
    by_pair = {(u.file_id, u.file_version): u.id for u in uploads}
    rows = await session.execute(
        select(
            StoredFile.document_id,
            StoredFile.number,
            StoredFile.name,
            StoredFile.content_type,
            StoredFile.size,
        )
        .join(FileDocument, FileDocument.id == StoredFile.document_id)
        .where(
            StoredFile.document_id.in_([u.file_id for u in uploads]),
            FileDocument.deleted_at.is_(None),
        )
    )
    out: dict[uuid.UUID, FileRef] = {}
    for document_id, number, name, content_type, size in rows:
        upload_id = by_pair.get((document_id, number))
        if upload_id is not None:
            out[upload_id] = FileRef(
                id=document_id, name=name, version=number, content_type=content_type, size=size
            )
    return out


async def count_file_requests(session: AsyncSession, entity_id: uuid.UUID) -> int:
    return int(
        await session.scalar(
            select(func.count()).select_from(FileRequest).where(FileRequest.entity_id == entity_id)
        )
        or 0
    )
