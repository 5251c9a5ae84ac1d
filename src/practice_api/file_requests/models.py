"""File requests: a request to an entity's contributor contacts, its items and uploads.

A request holds one or more items, each reviewed on its own: ``open`` -> ``submitted`` (a
contact uploaded) -> ``accepted``, or ``returned`` with a reason and submitted again. An
item with an ``attachment_file_id`` asks for an update of that file (an upload adds its
next version); without one, the first upload creates a file of the entity
(``result_file_id``). The request's ``status`` follows its items (see ``service``).
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from practice_api.core.time import utcnow
from practice_api.db import Base, IdMixin, TimestampMixin, VersionedMixin

REQUEST_STATUSES = ("open", "in_progress", "submitted", "completed", "cancelled")
ITEM_STATUSES = ("open", "submitted", "accepted", "returned")


class FileRequest(IdMixin, TimestampMixin, VersionedMixin, Base):
    __tablename__ = "file_requests"
    __table_args__ = (
        Index("ix_file_requests_firm_id_created_at", "firm_id", "created_at"),
        Index("ix_file_requests_entity_id_created_at", "entity_id", "created_at"),
        Index("ix_file_requests_firm_id_status_due_date", "firm_id", "status", "due_date"),
    )

    firm_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"))
    entity_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("entities.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")  # plain text, never rendered
    additional_message: Mapped[str | None] = mapped_column(Text)
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="open")
    # Some item waits for the contacts (open or returned) and the request is not closed.
    waiting: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_by_name: Mapped[str] = mapped_column(String(200))
    completed_at: Mapped[dt.datetime | None]
    cancelled_at: Mapped[dt.datetime | None]


class FileRequestRecipient(Base):
    __tablename__ = "file_request_recipients"

    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("file_requests.id", ondelete="CASCADE"), primary_key=True
    )
    contact_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class FileRequestItem(IdMixin, Base):
    __tablename__ = "file_request_items"
    __table_args__ = (Index("ix_file_request_items_request_id_position", "request_id", "position"),)

    firm_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"))
    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("file_requests.id", ondelete="CASCADE")
    )
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    attachment_file_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("file_documents.id", ondelete="SET NULL"), index=True
    )
    result_file_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("file_documents.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(20), default="open")
    return_reason: Mapped[str | None] = mapped_column(Text)
    uploads: Mapped[int] = mapped_column(default=0)
    submitted_at: Mapped[dt.datetime | None]
    accepted_at: Mapped[dt.datetime | None]
    returned_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class FileRequestUpload(IdMixin, Base):
    """One upload into an item: which file and version it produced, and who sent it."""

    __tablename__ = "file_request_uploads"
    __table_args__ = (Index("ix_file_request_uploads_item_id_created_at", "item_id", "created_at"),)

    firm_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"))
    item_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("file_request_items.id", ondelete="CASCADE")
    )
    file_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("file_documents.id", ondelete="CASCADE"), index=True
    )
    file_version: Mapped[int]
    uploaded_by_kind: Mapped[str] = mapped_column(String(20))
    uploaded_by_id: Mapped[uuid.UUID | None]
    uploaded_by_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
