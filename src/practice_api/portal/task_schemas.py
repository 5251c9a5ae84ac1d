"""Contact-facing shapes of the client area: documents, the dashboard, task inputs, requests."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import BaseModel, Field

from practice_api.core.pagination import Page
from practice_api.core.schemas import InputModel
from practice_api.tasks.schemas import DocumentStatus

# How many overdue unread documents the dashboard lists (the count has them all).
OVERDUE_SHOWN = 50


class PortalDocument(BaseModel):
    """An output document the firm delivers, as a contact sees it."""

    id: uuid.UUID
    entity_id: uuid.UUID
    entity_name: str
    task_id: uuid.UUID
    task_title: str
    name: str
    description: str | None
    due_date: dt.date | None
    status: DocumentStatus = Field(
        description="For this contact, with today in the firm's time zone: `overdue_unread` "
        "(past due, not read), `due_today_unread`, `upcoming_unread` (not yet due, or no due "
        "date), `read`."
    )
    uploaded: bool = Field(description="false: not uploaded yet (no download link).")
    read_at: dt.datetime | None
    content_url: str | None = Field(
        description="Download address (marks the document read); null until uploaded."
    )


PortalDocumentPage = Page[PortalDocument]


class CalendarDay(BaseModel):
    date: dt.date
    documents: list[PortalDocument]


class RequestInProgress(BaseModel):
    kind: Literal["task_request", "file_request", "client_request"] = Field(
        description="`task_request`: the contact's own request, until done; `file_request`: "
        "addressed to it, until completed or cancelled; `client_request`: a questionnaire "
        "addressed to it, until submitted."
    )
    id: uuid.UUID
    entity_id: uuid.UUID
    title: str
    status: str
    due_date: dt.date | None
    created_at: dt.datetime


class DashboardCounts(BaseModel):
    calendar: int = Field(description="Documents due in the month.")
    due_next_7_days: int
    overdue_unread: int = Field(
        description="Every overdue document this contact has not read (the list shows the "
        f"newest {OVERDUE_SHOWN} of them)."
    )
    requests_in_progress: int


class Dashboard(BaseModel):
    month: str = Field(examples=["2026-03"])
    today: dt.date = Field(description="Today in the firm's time zone.")
    calendar: list[CalendarDay] = Field(description="Every day of the month, in order.")
    due_next_7_days: list[PortalDocument] = Field(description="Due from today to today + 7.")
    overdue_unread: list[PortalDocument] = Field(
        description=f"The newest (most recently due) {OVERDUE_SHOWN} overdue documents this "
        "contact has not read, newest first; `counts.overdue_unread` has how many there are "
        "in all and `overdue_unread_url` lists every one of them."
    )
    overdue_unread_url: str = Field(
        description="The documents list filtered on this contact's overdue unread documents "
        "(paged): the rest of `overdue_unread`.",
        examples=["/v1/portal/documents?status=overdue_unread"],
    )
    requests_in_progress: list[RequestInProgress]
    counts: DashboardCounts


class PortalTaskInputFile(BaseModel):
    name: str
    uploaded_by_name: str
    uploaded_at: dt.datetime
    mine: bool


class PortalTaskInput(BaseModel):
    """An input slot of an open task: a document the client may supply."""

    id: uuid.UUID
    task_id: uuid.UUID
    task_title: str
    entity_id: uuid.UUID
    name: str
    description: str | None
    required: bool
    filled: bool
    due_date: dt.date | None = Field(description="The task's due date.")
    files: list[PortalTaskInputFile]
    upload_url: str


PortalTaskInputPage = Page[PortalTaskInput]


class PortalTaskType(BaseModel):
    id: uuid.UUID
    name: str
    description: str | None
    input_documents: list[str] = Field(description="What the client will be asked to supply.")


PortalTaskTypePage = Page[PortalTaskType]


class TaskRequestCreate(InputModel):
    task_type_id: uuid.UUID
    note: str | None = Field(
        default=None, max_length=5000, description="What the client asks for, in plain text."
    )
    due_date: dt.date | None = Field(default=None, description="When the client needs it.")


class PortalTaskRequest(BaseModel):
    id: uuid.UUID
    entity_id: uuid.UUID
    task_type_id: uuid.UUID | None
    title: str
    status: str
    stage: str
    due_date: dt.date | None
    created_at: dt.datetime
