from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import BaseModel, Field

from practice_api.core.pagination import Page
from practice_api.core.schemas import InputModel, PatchModel
from practice_api.reminders.schemas import ReminderOverride, ReminderState

MAX_ITEMS = 500
TEXT_DESCRIPTION = (
    "Plain text, kept exactly as written; never rendered as HTML or Markdown (line breaks "
    "reach the e-mail as they are)."
)
RequestStatus = Literal["open", "in_progress", "submitted", "completed", "cancelled"]
ItemStatus = Literal["open", "submitted", "accepted", "returned"]


class ItemCreate(InputModel):
    title: str = Field(min_length=1, max_length=300, examples=["Signed engagement letter"])
    description: str = Field(default="", max_length=5000, description=TEXT_DESCRIPTION)
    due_date: dt.date | None = Field(default=None, description="The item's own due date.")
    attachment: uuid.UUID | None = Field(
        default=None,
        description="For an update of an existing file: a file of the same entity (e.g. "
        "uploaded just before with `POST /v1/entities/{entity_id}/files`). The contact "
        "downloads it and sends it back as its next version.",
    )


class ItemUpdate(PatchModel):
    nullable_fields = frozenset({"due_date", "attachment"})

    title: str | None = Field(default=None, min_length=1, max_length=300)
    description: str | None = Field(default=None, max_length=5000)
    due_date: dt.date | None = None
    attachment: uuid.UUID | None = None


class FileRequestCreate(InputModel):
    subject: str = Field(min_length=1, max_length=300, examples=["Year-end 2026"])
    description: str = Field(default="", max_length=20_000, description=TEXT_DESCRIPTION)
    recipients: list[uuid.UUID] = Field(
        min_length=1,
        max_length=50,
        description="Contact ids; each must have the `contributor` role on the entity (422 "
        "`recipient_not_contributor` otherwise).",
    )
    due_date: dt.date | None = Field(default=None, description="In the firm's time zone.")
    additional_message: str | None = Field(
        default=None,
        max_length=5000,
        description="Only when the firm's `detailed_notifications_enabled` is on (422 "
        "`additional_message_disabled` otherwise). " + TEXT_DESCRIPTION,
    )
    items: list[ItemCreate] = Field(min_length=1, max_length=MAX_ITEMS)
    reminders: ReminderOverride | None = Field(
        default=None, description="This request's own reminder schedule; default: the firm's."
    )


class FileRequestUpdate(PatchModel):
    """Subject, description, due date, recipients and additional message change only while
    no item has been submitted (409 `request_item_locked`); reminders any time."""

    nullable_fields = frozenset({"due_date", "additional_message", "reminders"})

    subject: str | None = Field(default=None, min_length=1, max_length=300)
    description: str | None = Field(default=None, max_length=20_000)
    due_date: dt.date | None = None
    recipients: list[uuid.UUID] | None = Field(default=None, min_length=1, max_length=50)
    additional_message: str | None = Field(default=None, max_length=5000)
    reminders: ReminderOverride | None = None


class ReturnBody(InputModel):
    reason: str = Field(min_length=1, max_length=5000, description=TEXT_DESCRIPTION)


class BulkAccept(InputModel):
    item_ids: list[uuid.UUID] | None = Field(
        default=None, max_length=MAX_ITEMS, description="Default: every submitted item."
    )


class BulkReturn(InputModel):
    item_ids: list[uuid.UUID] = Field(min_length=1, max_length=MAX_ITEMS)
    reason: str = Field(min_length=1, max_length=5000, description=TEXT_DESCRIPTION)


class CancelBody(InputModel):
    reason: str | None = Field(default=None, max_length=5000)


class Counts(BaseModel):
    """Items per status."""

    total: int = 0
    open: int = 0
    submitted: int = 0
    accepted: int = 0
    returned: int = 0


class RecipientRead(BaseModel):
    id: uuid.UUID
    name: str
    email: str


class FileRef(BaseModel):
    id: uuid.UUID
    name: str
    version: int
    content_type: str
    size: int


class ItemRead(BaseModel):
    id: uuid.UUID
    position: int
    title: str
    description: str = Field(description=TEXT_DESCRIPTION)
    due_date: dt.date | None
    status: ItemStatus
    return_reason: str | None = Field(description="Why it was returned (while `returned`).")
    attachment: FileRef | None = Field(description="The file to update, for an update item.")
    file: FileRef | None = Field(description="What the contacts sent: the latest upload.")
    uploads: int = Field(description="How many uploads the item received.")
    content_url: str | None = Field(description="Download of the latest upload.")
    submitted_at: dt.datetime | None
    accepted_at: dt.datetime | None
    returned_at: dt.datetime | None


class FileRequestRead(BaseModel):
    id: uuid.UUID
    entity_id: uuid.UUID
    subject: str
    description: str = Field(description=TEXT_DESCRIPTION)
    additional_message: str | None
    due_date: dt.date | None
    status: RequestStatus
    overdue: bool = Field(description="Past its due date (firm time zone) and still waiting.")
    recipients: list[RecipientRead]
    counts: Counts
    items: list[ItemRead] | None = Field(
        default=None, description="On single reads; lists carry only `counts`."
    )
    reminders: ReminderState | None = None
    created_by_id: uuid.UUID | None
    created_by_name: str
    completed_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class FileRequestPage(Page[FileRequestRead]):
    pass


class RemindResult(BaseModel):
    sent: int = Field(description="Reminder e-mails queued (recipients with open items).")


# --- portal ---------------------------------------------------------------------------------


class PortalItem(BaseModel):
    id: uuid.UUID
    position: int
    title: str
    description: str
    due_date: dt.date | None
    status: ItemStatus
    return_reason: str | None
    waiting: bool = Field(description="Waits for an upload (open or returned).")
    attachment_url: str | None = Field(description="The file to update, for an update item.")
    attachment_name: str | None
    upload_url: str = Field(description="Where to upload (multipart, field `file`).")
    uploads: int


class PortalFileRequest(BaseModel):
    id: uuid.UUID
    entity_id: uuid.UUID
    entity_name: str
    subject: str
    description: str = Field(description=TEXT_DESCRIPTION)
    additional_message: str | None
    due_date: dt.date | None
    status: RequestStatus
    overdue: bool
    waiting: bool = Field(description="Some item waits for an upload.")
    counts: Counts
    items: list[PortalItem] | None = None
    created_by_name: str
    created_at: dt.datetime


class PortalFileRequestPage(Page[PortalFileRequest]):
    waiting: int = Field(description="How many of the contact's requests wait for it.")
