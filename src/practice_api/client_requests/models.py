"""Client requests: a questionnaire sent to portal contacts or to guests by a secret link.

A request holds its questions (a JSON list, each with a stable ``id``), its recipients
(portal contacts, or guests with a hashed link token) and the answers, one row per
question. ``status``: ``pending`` (sent, nobody answered) -> ``in_progress`` (first answer
saved) -> ``submitted`` -> ``completed`` by staff; ``cancelled`` from any open state; a
submitted request reopens to ``in_progress`` with a note.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from practice_api.core.time import utcnow
from practice_api.db import Base, IdMixin, JSONType, TimestampMixin, VersionedMixin

STATUSES = ("pending", "in_progress", "submitted", "completed", "cancelled")
OPEN_STATUSES = ("pending", "in_progress")
AUDIENCES = ("portal", "guest")
RECIPIENT_KINDS = ("contact", "guest")
DEFAULT_LINK_LIFETIME_DAYS = 30


class ClientRequest(IdMixin, TimestampMixin, VersionedMixin, Base):
    __tablename__ = "client_requests"
    __table_args__ = (
        Index("ix_client_requests_firm_id_created_at", "firm_id", "created_at"),
        Index("ix_client_requests_entity_id_created_at", "entity_id", "created_at"),
        Index("ix_client_requests_firm_id_status_due_date", "firm_id", "status", "due_date"),
    )

    firm_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"))
    entity_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("entities.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(300))
    message: Mapped[str] = mapped_column(Text, default="")  # plain text, never rendered
    status: Mapped[str] = mapped_column(String(20), default="pending")
    audience: Mapped[str] = mapped_column(String(10))
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    # The template it was made from (``template_models``): its answers join that template's CSV.
    template_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("client_request_templates.id", ondelete="SET NULL"), index=True
    )
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_by_name: Mapped[str] = mapped_column(String(200))
    # The staff user answering for the request; None: the entity's responsible.
    responsible_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    task_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("tasks.id", ondelete="SET NULL"), index=True
    )
    auto_advance: Mapped[bool] = mapped_column(default=False)
    # Guests: how long an issued link opens the questionnaire; a one-time code first.
    link_lifetime_days: Mapped[int] = mapped_column(default=DEFAULT_LINK_LIFETIME_DAYS)
    one_time_code: Mapped[bool] = mapped_column(default=False)
    reopen_note: Mapped[str | None] = mapped_column(Text)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    submitted_by_name: Mapped[str | None] = mapped_column(String(200))
    started_at: Mapped[dt.datetime | None]
    submitted_at: Mapped[dt.datetime | None]
    completed_at: Mapped[dt.datetime | None]
    cancelled_at: Mapped[dt.datetime | None]
    reopened_at: Mapped[dt.datetime | None]


class ClientRequestRecipient(IdMixin, Base):
    """A portal contact or a guest the request is addressed to. A guest's link token is
    stored only as its hash (``tokens.hash_token``)."""

    __tablename__ = "client_request_recipients"
    __table_args__ = (
        UniqueConstraint("request_id", "contact_id"),
        Index("ix_client_request_recipients_request_id_kind", "request_id", "kind"),
    )

    firm_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"))
    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("client_requests.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(10))  # contact | guest
    contact_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))  # lower-cased
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    token_expires_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]
    # The one-time code e-mailed to a guest before the questionnaire opens.
    code_hash: Mapped[str | None] = mapped_column(String(64))
    code_expires_at: Mapped[dt.datetime | None]
    code_sent_at: Mapped[dt.datetime | None]
    code_attempts: Mapped[int] = mapped_column(default=0)
    # What a verified code grants (a short-lived secret of its own), stored as its hash.
    session_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    session_expires_at: Mapped[dt.datetime | None]
    last_opened_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ClientRequestAnswer(IdMixin, Base):
    """The saved answer to one question (autosaved; kept until the request is deleted)."""

    __tablename__ = "client_request_answers"
    __table_args__ = (UniqueConstraint("request_id", "question_id"),)

    firm_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"))
    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("client_requests.id", ondelete="CASCADE")
    )
    question_id: Mapped[str] = mapped_column(String(40))
    value: Mapped[Any] = mapped_column(JSONType)
    answered_by_recipient_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("client_request_recipients.id", ondelete="SET NULL"), index=True
    )
    answered_by_kind: Mapped[str] = mapped_column(String(20))  # contact | guest | staff
    answered_by_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
