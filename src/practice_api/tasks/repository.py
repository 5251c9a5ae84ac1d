"""Task queries. What a staff user may see is one statement (``TaskRepository.readable``):
the firm's tasks on the entities the user sees (admins: every entity of the firm)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.core.pagination import Ordering
from practice_api.core.principals import Principal
from practice_api.core.repository import FirmScopedRepository
from practice_api.entities.repository import readable_entity_ids
from practice_api.files.models import FileDocument, StoredFile
from practice_api.tasks.models import (
    Task,
    TaskInput,
    TaskInputFile,
    TaskOutput,
    TaskSubscription,
    TaskType,
)
from practice_api.tasks.schemas import InputFileRead

TASK_TYPE_ORDERING = Ordering(
    fields={"name": TaskType.name, "created_at": TaskType.created_at},
    id_column=TaskType.id,
    default="name",
)
TASK_ORDERING = Ordering(
    fields={
        "due_date": Task.due_key,  # no due date sorts last
        "created_at": Task.created_at,
        "updated_at": Task.updated_at,
        "title": Task.title,
    },
    id_column=Task.id,
    default="due_date",
)
SUBSCRIPTION_ORDERING = Ordering(
    fields={"created_at": TaskSubscription.created_at},
    id_column=TaskSubscription.id,
    default="created_at",
)


class TaskTypeRepository(FirmScopedRepository[TaskType]):
    model = TaskType
    not_found_code = "task_type_not_found"
    not_found_detail = "No task type with that id."


class SubscriptionRepository(FirmScopedRepository[TaskSubscription]):
    model = TaskSubscription
    not_found_code = "task_subscription_not_found"
    not_found_detail = "This entity is not subscribed to that task type."


@dataclass(frozen=True)
class TaskFilters:
    entity_id: uuid.UUID | None = None
    assignee_id: uuid.UUID | None = None
    unassigned: bool = False
    stage: str | None = None
    status: str | None = None
    due_after: dt.date | None = None
    due_before: dt.date | None = None
    overdue_before: dt.date | None = None  # set when ?overdue=true: "today" of the firm
    not_overdue_before: dt.date | None = None  # set when ?overdue=false
    origin: str | None = None
    task_type_id: uuid.UUID | None = None
    period: str | None = None


class TaskRepository(FirmScopedRepository[Task]):
    model = Task
    not_found_code = "task_not_found"
    not_found_detail = "No task with that id."

    def readable_by(self, principal: Principal) -> Select[Task]:
        """The tasks ``principal`` (staff) may read: on entities it sees."""
        statement = self.readable()
        if not principal.is_admin:
            statement = statement.where(Task.entity_id.in_(readable_entity_ids(principal)))
        return statement

    @staticmethod
    def filtered(statement: Select[Task], filters: TaskFilters) -> Select[Task]:
        f = filters
        if f.entity_id is not None:
            statement = statement.where(Task.entity_id == f.entity_id)
        if f.unassigned:
            statement = statement.where(Task.assignee_id.is_(None))
        elif f.assignee_id is not None:
            statement = statement.where(Task.assignee_id == f.assignee_id)
        if f.stage is not None:
            statement = statement.where(Task.stage == f.stage)
        if f.status is not None:
            statement = statement.where(Task.status == f.status)
        if f.due_after is not None:  # (a task without a due date is never in a due range)
            statement = statement.where(Task.due_date >= f.due_after)
        if f.due_before is not None:
            statement = statement.where(Task.due_date <= f.due_before)
        if f.overdue_before is not None:
            statement = statement.where(Task.status == "open", Task.due_date < f.overdue_before)
        if f.not_overdue_before is not None:
            statement = statement.where(
                (Task.status != "open")
                | Task.due_date.is_(None)
                | (Task.due_date >= f.not_overdue_before)
            )
        if f.origin is not None:
            statement = statement.where(Task.origin == f.origin)
        if f.task_type_id is not None:
            statement = statement.where(Task.task_type_id == f.task_type_id)
        if f.period is not None:
            statement = statement.where(Task.period == f.period)
        return statement

    async def input_of(self, task_id: uuid.UUID, input_id: uuid.UUID) -> TaskInput | None:
        """An input slot of the task (from the session when already loaded)."""
        slot = await self.session.get(TaskInput, input_id)
        return slot if slot is not None and slot.task_id == task_id else None

    async def output_of(self, task_id: uuid.UUID, output_id: uuid.UUID) -> TaskOutput | None:
        """An output document of the task (from the session when already loaded)."""
        output = await self.session.get(TaskOutput, output_id)
        return output if output is not None and output.task_id == task_id else None

    async def inputs_of(self, task_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[TaskInput]]:
        out: dict[uuid.UUID, list[TaskInput]] = defaultdict(list)
        if task_ids:
            rows = await self.session.scalars(
                select(TaskInput)
                .where(TaskInput.firm_id == self.firm_id, TaskInput.task_id.in_(task_ids))
                .order_by(TaskInput.position, TaskInput.id)
            )
            for row in rows:
                out[row.task_id].append(row)
        return out

    async def input_files_of(
        self, task_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, list[InputFileRead]]:
        """The live files of the tasks' input slots, keyed by slot, oldest first."""
        out: dict[uuid.UUID, list[InputFileRead]] = defaultdict(list)
        if not task_ids:
            return out
        rows = await self.session.execute(
            select(TaskInputFile, StoredFile)
            .join(FileDocument, FileDocument.id == TaskInputFile.file_id)
            .join(
                StoredFile,
                (StoredFile.document_id == FileDocument.id)
                & (StoredFile.number == FileDocument.current_version),
            )
            .where(
                TaskInputFile.firm_id == self.firm_id,
                TaskInputFile.task_id.in_(task_ids),
                FileDocument.deleted_at.is_(None),
            )
            .order_by(TaskInputFile.created_at, TaskInputFile.id)
        )
        for link, stored in rows:
            out[link.input_id].append(
                InputFileRead(
                    file_id=link.file_id,
                    name=stored.name,
                    size=stored.size,
                    content_type=stored.content_type,
                    uploaded_by_kind=link.uploaded_by_kind,
                    uploaded_by_name=link.uploaded_by_name,
                    uploaded_at=link.created_at,
                )
            )
        return out

    async def outputs_of(self, task_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[TaskOutput]]:
        out: dict[uuid.UUID, list[TaskOutput]] = defaultdict(list)
        if task_ids:
            rows = await self.session.scalars(
                select(TaskOutput)
                .where(TaskOutput.firm_id == self.firm_id, TaskOutput.task_id.in_(task_ids))
                .order_by(TaskOutput.position, TaskOutput.id)
            )
            for row in rows:
                out[row.task_id].append(row)
        return out


async def count_tasks(session: AsyncSession, entity_id: uuid.UUID) -> int:
    return int(
        await session.scalar(
            select(func.count()).select_from(Task).where(Task.entity_id == entity_id)
        )
        or 0
    )
