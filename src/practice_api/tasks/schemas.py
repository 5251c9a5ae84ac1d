from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, Field, model_validator

from practice_api.core.pagination import Page
from practice_api.core.schemas import InputModel, PatchModel, ReadModel
from practice_api.tasks.periods import parse_period

# A document's status for one contact (the client area), with today in the firm's time zone.
DocumentStatus = Literal["overdue_unread", "due_today_unread", "upcoming_unread", "read"]

TaskStatus = Literal["open", "done", "cancelled"]
TaskOrigin = Literal["staff", "client", "recurrence"]
DEFAULT_STAGES = ["To do", "In progress", "Done"]


def _unique_stages(stages: list[str]) -> list[str]:
    if len(set(stages)) != len(stages):
        raise ValueError("stage names must be unique")
    return stages


StageName = Annotated[str, Field(min_length=1, max_length=100)]
Stages = Annotated[
    list[StageName],
    Field(
        min_length=1,
        max_length=20,
        description="Ordered stage names; advancing past the last-but-one marks a task done.",
        examples=[["To do", "Waiting for client", "In review", "Done"]],
    ),
    AfterValidator(_unique_stages),
]


def _period_key(value: str) -> str:
    if parse_period(value) is None:
        raise ValueError("must be a month (2026-01), a quarter (2026-Q1) or a year (2026)")
    return value


PeriodKey = Annotated[str, Field(max_length=10, examples=["2026-01"]), AfterValidator(_period_key)]


class DayOfMonthAfterPeriod(InputModel):
    """Day `day` of the month `months_after` months after the period's last month (a task
    without a period uses the month of its due date). Clamped to the month's last day."""

    kind: Literal["day_of_month_after_period"]
    day: int = Field(ge=1, le=31, examples=[20])
    months_after: int = Field(default=1, ge=0, le=24)


class DaysAfterTaskDue(InputModel):
    """The task's due date plus `days` (negative: before it)."""

    kind: Literal["days_after_task_due"]
    days: int = Field(ge=-366, le=366, examples=[5])


DueRule = Annotated[DayOfMonthAfterPeriod | DaysAfterTaskDue, Field(discriminator="kind")]


class Recurrence(InputModel):
    """Tasks for each period of the subscribed entities, due on `day` of the month
    `months_after` months after the period's last month (monthly close: day 15, 1)."""

    frequency: Literal["monthly", "quarterly", "yearly"]
    day: int = Field(ge=1, le=31, examples=[15])
    months_after: int = Field(default=1, ge=0, le=24)


class InputDocumentSpec(InputModel):
    name: str = Field(min_length=1, max_length=200, examples=["Bank statements"])
    description: str | None = Field(default=None, max_length=2000)
    required: bool = True


class OutputDocumentSpec(InputModel):
    name: str = Field(min_length=1, max_length=200, examples=["Payroll report"])
    description: str | None = Field(default=None, max_length=2000)
    due_rule: DueRule | None = Field(
        default=None, description="How the due date is computed; none: the task's due date."
    )
    visible_to_client: bool = True


class TaskTypeCreate(InputModel):
    name: str = Field(min_length=1, max_length=200, examples=["Monthly close"])
    description: str | None = Field(default=None, max_length=5000)
    stages: Stages = Field(default_factory=lambda: list(DEFAULT_STAGES))
    input_documents: list[InputDocumentSpec] = Field(default_factory=list, max_length=50)
    output_documents: list[OutputDocumentSpec] = Field(default_factory=list, max_length=50)
    client_requestable: bool = False
    recurrence: Recurrence | None = None


class TaskTypeUpdate(PatchModel):
    nullable_fields: ClassVar[frozenset[str]] = frozenset({"description", "recurrence"})

    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    stages: Stages | None = None
    input_documents: list[InputDocumentSpec] | None = Field(default=None, max_length=50)
    output_documents: list[OutputDocumentSpec] | None = Field(default=None, max_length=50)
    client_requestable: bool | None = None
    recurrence: Recurrence | None = None


class TaskTypeRead(ReadModel):
    id: uuid.UUID
    name: str
    description: str | None
    stages: list[str]
    input_documents: list[InputDocumentSpec]
    output_documents: list[OutputDocumentSpec]
    client_requestable: bool
    recurrence: Recurrence | None
    archived: bool = Field(description="Archived types make no new tasks; old ones stay.")
    archived_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @model_validator(mode="before")
    @classmethod
    def _from_row(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return data
        return {
            **{name: getattr(data, name) for name in cls.model_fields if name != "archived"},
            "archived": data.archived_at is not None,
        }


TaskTypePage = Page[TaskTypeRead]


class SubscriptionPut(InputModel):
    starts_on: dt.date | None = Field(
        default=None,
        description="The first period generated is the one holding this date; default today "
        "in the firm's time zone.",
    )
    assignee_id: uuid.UUID | None = Field(
        default=None, description="Assign the generated tasks to this staff user."
    )


class SubscriptionRead(ReadModel):
    id: uuid.UUID
    entity_id: uuid.UUID
    task_type_id: uuid.UUID
    starts_on: dt.date
    assignee_id: uuid.UUID | None
    created_at: dt.datetime


SubscriptionPage = Page[SubscriptionRead]


class TaskOutputCreate(InputModel):
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    due_date: dt.date | None = Field(default=None, description="Wins over `due_rule`.")
    due_rule: DueRule | None = None
    visible_to_client: bool = True


class TaskOutputUpdate(PatchModel):
    nullable_fields: ClassVar[frozenset[str]] = frozenset({"description", "due_date"})

    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    due_date: dt.date | None = None
    visible_to_client: bool | None = None


class TaskCreate(InputModel):
    task_type_id: uuid.UUID | None = Field(
        default=None, description="From a type (its stages and documents); none: ad hoc."
    )
    title: str | None = Field(
        default=None, min_length=1, max_length=300, description="Default: the type's name."
    )
    description: str | None = Field(default=None, max_length=10000)
    due_date: dt.date | None = Field(
        default=None,
        description="Default for a recurring type with a `period`: its recurrence rule.",
    )
    assignee_id: uuid.UUID | None = None
    stage: str | None = Field(default=None, max_length=100, description="Default: the first.")
    period: PeriodKey | None = Field(
        default=None, description="One task per entity, type and period (409 otherwise)."
    )
    stages: Stages | None = Field(default=None, description="Ad hoc tasks only.")
    input_documents: list[InputDocumentSpec] = Field(
        default_factory=list, max_length=50, description="Added to the type's."
    )
    output_documents: list[TaskOutputCreate] = Field(
        default_factory=list, max_length=50, description="Added to the type's."
    )


class TaskUpdate(PatchModel):
    nullable_fields: ClassVar[frozenset[str]] = frozenset(
        {"description", "due_date", "assignee_id"}
    )

    title: str | None = Field(default=None, min_length=1, max_length=300)
    description: str | None = Field(default=None, max_length=10000)
    due_date: dt.date | None = None
    assignee_id: uuid.UUID | None = None
    stage: str | None = Field(
        default=None, max_length=100, description="One of the task's stages; the last: done."
    )
    status: TaskStatus | None = None


class TaskAdvance(InputModel):
    note: str | None = Field(
        default=None, max_length=2000, description="Kept in the activity log entry."
    )


class TaskInputCreate(InputDocumentSpec):
    pass


class InputFileRead(BaseModel):
    file_id: uuid.UUID
    name: str
    size: int
    content_type: str
    uploaded_by_kind: str
    uploaded_by_name: str
    uploaded_at: dt.datetime


class TaskInputRead(BaseModel):
    id: uuid.UUID
    name: str
    description: str | None
    required: bool
    filled: bool = Field(description="At least one file was put into the slot.")
    files: list[InputFileRead]


class TaskOutputRead(BaseModel):
    id: uuid.UUID
    task_id: uuid.UUID
    name: str
    description: str | None
    due_date: dt.date | None
    visible_to_client: bool
    delivered: bool = Field(description="A file is attached.")
    file_id: uuid.UUID | None
    delivered_at: dt.datetime | None
    delivered_by_name: str | None
    version: int


class TaskRead(BaseModel):
    id: uuid.UUID
    entity_id: uuid.UUID
    task_type_id: uuid.UUID | None
    title: str
    description: str | None
    due_date: dt.date | None
    overdue: bool = Field(description="Open and due before today in the firm's time zone.")
    assignee_id: uuid.UUID | None
    stages: list[str]
    stage: str
    status: TaskStatus
    origin: TaskOrigin
    period: str | None
    requested_by_contact_id: uuid.UUID | None
    created_by_kind: str
    created_by_name: str
    completed_at: dt.datetime | None
    inputs: list[TaskInputRead]
    outputs: list[TaskOutputRead]
    missing_inputs: list[uuid.UUID] = Field(description="Required input slots with no file yet.")
    undelivered_outputs: list[uuid.UUID] = Field(description="Output documents with no file.")
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


TaskPage = Page[TaskRead]


class GenerationResult(BaseModel):
    created: int
