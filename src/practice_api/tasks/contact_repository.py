"""What a contact sees of the tasks side (the client area, issue 18), as queries.

A document is an output document marked ``visible_to_client`` of a task that is not
cancelled, on an entity the contact has access to (either role): ``visible_documents``, the
one rule. Its status is per contact, with "today" in the firm's time zone (``status_of``).

The dashboard's statements each run on an index (migration 0020; see
``scripts/bench_dashboard.py --explain``), select only the columns shown and return plain
rows (``SHOWN`` order):

* ``documents_due_between``: the documents due in the month or the next 7 days, one range
  scan of ``ix_task_outputs_entity_due_visible`` per disjoint range;
* ``newest_overdue_unread``: the newest overdue unread documents and how many there are,
  in one pass (the unread test on ``ix_task_output_reads_contact_id_output_id``);
* ``open_task_requests``: a select of the contact's open task requests in the shape of the
  dashboard's requests in progress (``REQUEST_COLUMNS``), for a ``UNION ALL`` with the
  other domains' requests.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, literal, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.core.principals import Principal
from practice_api.entities.models import Entity
from practice_api.entities.repository import readable_entity_ids
from practice_api.files.models import FileDocument, StoredFile
from practice_api.tasks.models import (
    Task,
    TaskInput,
    TaskInputFile,
    TaskOutput,
    TaskOutputReadMark,
    TaskType,
)
from practice_api.tasks.schemas import DocumentStatus

# The columns of a request in progress, in this order (every domain's select names them so).
REQUEST_COLUMNS = ("kind", "id", "entity_id", "title", "status", "due_date", "created_at")


def contact_entities(principal: Principal) -> Select[Any]:
    """The ids of the entities the contact has access to (the entity rule)."""
    return readable_entity_ids(principal)


def visible_documents(principal: Principal) -> list[ColumnElement[bool]]:
    """The one rule: what output documents a contact sees. The cancelled tasks of the
    contact's entities are few: they are looked up once (``ix_tasks_entity_id_status``)
    rather than each document's task."""
    entities = contact_entities(principal)
    return [
        TaskOutput.entity_id.in_(entities),
        TaskOutput.firm_id == principal.firm_id,
        TaskOutput.visible_to_client.is_(True),
        TaskOutput.task_id.not_in(
            select(Task.id).where(Task.entity_id.in_(entities), Task.status == "cancelled")
        ),
    ]


def read_by(principal: Principal) -> ColumnElement[bool]:
    """The join condition of the contact's own read mark."""
    return and_(
        TaskOutputReadMark.output_id == TaskOutput.id,
        TaskOutputReadMark.contact_id == principal.id,
    )


def unread_by(principal: Principal) -> ColumnElement[bool]:
    return ~exists().where(read_by(principal))


def status_of(due: dt.date | None, read_at: dt.datetime | None, today: dt.date) -> DocumentStatus:
    if read_at is not None:
        return "read"
    if due is not None and due < today:
        return "overdue_unread"
    if due == today:
        return "due_today_unread"
    return "upcoming_unread"


def status_filter(principal: Principal, value: DocumentStatus, today: dt.date) -> Any:
    """Documents of that status for this contact."""
    if value == "read":
        return exists().where(read_by(principal))
    unread = unread_by(principal)
    if value == "overdue_unread":
        return and_(unread, TaskOutput.due_date < today)
    if value == "due_today_unread":
        return and_(unread, TaskOutput.due_date == today)
    return and_(unread, or_(TaskOutput.due_date.is_(None), TaskOutput.due_date > today))


def listed_documents(
    principal: Principal,
    today: dt.date,
    *,
    entity_id: uuid.UUID | None = None,
    task_id: uuid.UUID | None = None,
    due_after: dt.date | None = None,
    due_before: dt.date | None = None,
    status: DocumentStatus | None = None,
) -> Select[Any]:
    """The documents list's statement (paginated by the caller)."""
    statement = select(TaskOutput).where(*visible_documents(principal))
    if entity_id is not None:
        statement = statement.where(TaskOutput.entity_id == entity_id)
    if task_id is not None:
        statement = statement.where(TaskOutput.task_id == task_id)
    if due_after is not None:
        statement = statement.where(TaskOutput.due_date >= due_after)
    if due_before is not None:
        statement = statement.where(TaskOutput.due_date <= due_before)
    if status is not None:
        statement = statement.where(status_filter(principal, status, today))
    return statement


def _document_rows(principal: Principal) -> Any:
    return (
        select(TaskOutput, Task.title, Entity.name, TaskOutputReadMark.read_at)
        .join(Task, Task.id == TaskOutput.task_id)
        .join(Entity, Entity.id == TaskOutput.entity_id)
        .outerjoin(TaskOutputReadMark, read_by(principal))
        .where(*visible_documents(principal))
    )


async def document_rows(
    session: AsyncSession, principal: Principal, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Any]:
    """id -> (output, task title, entity name, this contact's read_at) for the visible ones."""
    if not ids:
        return {}
    rows = await session.execute(_document_rows(principal).where(TaskOutput.id.in_(ids)))
    return {row[0].id: row for row in rows}


async def document_row(session: AsyncSession, principal: Principal, document_id: uuid.UUID) -> Any:
    """(output, task title, entity name, read_at) when the contact sees it, else None."""
    statement = _document_rows(principal).where(TaskOutput.id == document_id)
    return (await session.execute(statement)).first()


# --- the dashboard ----------------------------------------------------------------------

# id, entity_id, entity_name, task_id, task_title, name, description, due_date, uploaded
SHOWN = (
    TaskOutput.id,
    TaskOutput.entity_id,
    Entity.name.label("entity_name"),
    TaskOutput.task_id,
    Task.title,
    TaskOutput.name,
    TaskOutput.description,
    TaskOutput.due_date,
    TaskOutput.file_id.is_not(None).label("uploaded"),
)


def _shown(*extra: Any) -> Any:
    return (
        select(*SHOWN, *extra)
        .join(Task, Task.id == TaskOutput.task_id)
        .join(Entity, Entity.id == TaskOutput.entity_id)
    )


def disjoint(ranges: list[tuple[dt.date, dt.date]]) -> list[tuple[dt.date, dt.date]]:
    """The (inclusive) date ranges merged where they overlap or touch, in order."""
    out: list[tuple[dt.date, dt.date]] = []
    for low, high in sorted(ranges):
        if out and low <= out[-1][1] + dt.timedelta(days=1):
            out[-1] = (out[-1][0], max(out[-1][1], high))
        else:
            out.append((low, high))
    return out


async def documents_due_between(
    session: AsyncSession, principal: Principal, ranges: list[tuple[dt.date, dt.date]]
) -> list[Any]:
    """The documents due in any of the (inclusive) ranges, ordered by due date then their
    place in the task: ``SHOWN`` + this contact's ``read_at``. One statement, one range scan
    of the documents' index per disjoint range (``UNION ALL``: an ``OR`` of ranges would read
    every document of each entity)."""
    branches: list[Any] = [
        _shown(TaskOutputReadMark.read_at, TaskOutput.position)
        .outerjoin(TaskOutputReadMark, read_by(principal))
        .where(*visible_documents(principal), TaskOutput.due_date.between(low, high))
        for low, high in disjoint(ranges)
    ]
    statement: Any = branches[0]
    if len(branches) > 1:
        statement = union_all(*branches)
    connection = await session.connection()  # Core rows: no ORM loading
    rows = await connection.execute(statement)
    return sorted(rows, key=lambda row: (row[7], row[10], row[0]))


async def newest_overdue_unread(
    session: AsyncSession, principal: Principal, today: dt.date, limit: int
) -> tuple[list[Any], int]:
    """The ``limit`` most recently due overdue documents this contact has not read (newest
    first; ``SHOWN`` rows), and how many there are in all: one statement, one pass. The
    newest are chosen (and counted, by a window over all of them) on the indexes alone, then
    joined to their task and entity. No row means a count of zero."""
    newest = (
        select(TaskOutput.id, func.count().over().label("total"))
        .where(*visible_documents(principal), TaskOutput.due_date < today, unread_by(principal))
        .order_by(TaskOutput.due_date.desc(), TaskOutput.id.desc())
        .limit(limit)
        .subquery()
    )
    connection = await session.connection()
    rows = (
        await connection.execute(
            _shown(newest.c.total)
            .join(newest, newest.c.id == TaskOutput.id)
            .order_by(TaskOutput.due_date.desc(), TaskOutput.id.desc())
        )
    ).all()
    return list(rows), (rows[0][9] if rows else 0)


def open_task_requests(principal: Principal) -> Any:
    """The contact's own task requests until done (``REQUEST_COLUMNS``)."""
    return select(
        literal("task_request").label("kind"),
        Task.id,
        Task.entity_id,
        Task.title,
        Task.stage.label("status"),
        Task.due_date,
        Task.created_at,
    ).where(
        Task.firm_id == principal.firm_id,
        Task.requested_by_contact_id == principal.id,
        Task.origin == "client",
        Task.status == "open",
    )


# --- the input slots of existing tasks, and the task types clients may request ----------


def open_inputs(
    principal: Principal, *, entity_id: uuid.UUID | None = None, task_id: uuid.UUID | None = None
) -> Select[TaskInput]:
    """The input slots of the open tasks on the contact's entities (filled ones too)."""
    statement = (
        select(TaskInput)
        .join(Task, Task.id == TaskInput.task_id)
        .where(
            TaskInput.firm_id == principal.firm_id,
            Task.status == "open",
            Task.entity_id.in_(contact_entities(principal)),
        )
    )
    if entity_id is not None:
        statement = statement.where(Task.entity_id == entity_id)
    if task_id is not None:
        statement = statement.where(Task.id == task_id)
    return statement


async def input_slot(
    session: AsyncSession, principal: Principal, input_id: uuid.UUID
) -> tuple[TaskInput, Task] | None:
    """A slot and its task, on an entity the contact has access to (any task status)."""
    slot = await session.get(TaskInput, input_id)
    task = await session.get(Task, slot.task_id) if slot else None
    if slot is None or task is None or task.firm_id != principal.firm_id:
        return None
    return slot, task


async def slot_details(
    session: AsyncSession, slots: Sequence[TaskInput]
) -> tuple[dict[uuid.UUID, Task], list[tuple[TaskInputFile, str]]]:
    """The slots' tasks by id, and their live files with each one's current name (two
    statements)."""
    task_ids = list({s.task_id for s in slots})
    tasks = {t.id: t for t in await session.scalars(select(Task).where(Task.id.in_(task_ids)))}
    rows = await session.execute(
        select(TaskInputFile, StoredFile.name)
        .join(FileDocument, FileDocument.id == TaskInputFile.file_id)
        .join(
            StoredFile,
            (StoredFile.document_id == FileDocument.id)
            & (StoredFile.number == FileDocument.current_version),
        )
        .where(
            TaskInputFile.input_id.in_([s.id for s in slots]),
            FileDocument.deleted_at.is_(None),
        )
        .order_by(TaskInputFile.created_at, TaskInputFile.id)
    )
    return tasks, [(link, name) for link, name in rows]


def requestable_types(principal: Principal) -> Select[TaskType]:
    """The task types the firm lets clients request (not archived)."""
    return select(TaskType).where(
        TaskType.firm_id == principal.firm_id,
        TaskType.client_requestable.is_(True),
        TaskType.archived_at.is_(None),
    )


async def requestable_type(
    session: AsyncSession, principal: Principal, task_type_id: uuid.UUID
) -> TaskType | None:
    task_type = await session.get(TaskType, task_type_id)
    if (
        task_type is None
        or task_type.firm_id != principal.firm_id
        or task_type.archived_at is not None
        or not task_type.client_requestable
    ):
        return None
    return task_type
