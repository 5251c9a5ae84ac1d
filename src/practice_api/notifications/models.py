"""In-app notifications and per-recipient channel preferences."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from practice_api.core.time import utcnow
from practice_api.db import Base, IdMixin


class Notification(IdMixin, Base):
    """One in-app notification, written by the dispatcher from an ``in_app`` delivery."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index(
            "ix_notifications_recipient_created_at",
            "recipient_kind",
            "recipient_id",
            "created_at",
        ),
    )

    firm_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"))
    recipient_kind: Mapped[str] = mapped_column(String(20))  # staff | contact
    recipient_id: Mapped[uuid.UUID]
    # Unique: a delivery that is retried after a crash never makes a second notification.
    delivery_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text, default="")
    entity_id: Mapped[uuid.UUID | None]
    # What it concerns (a file, a request, ...) and the frontend page that shows it.
    subject_type: Mapped[str | None] = mapped_column(String(50))
    subject_id: Mapped[uuid.UUID | None]
    link: Mapped[str | None] = mapped_column(String(2000))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    read_at: Mapped[dt.datetime | None]


class NotificationPreference(IdMixin, Base):
    """A recipient's choice for one event type and channel (absent: the type's default)."""

    __tablename__ = "notification_preferences"
    __table_args__ = (
        UniqueConstraint(
            "recipient_kind",
            "recipient_id",
            "event_type",
            "channel",
            name="uq_notification_preferences_recipient_type_channel",
        ),
    )

    firm_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"))
    recipient_kind: Mapped[str] = mapped_column(String(20))
    recipient_id: Mapped[uuid.UUID]
    event_type: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(20))  # in_app | email
    enabled: Mapped[bool]
    # E-mail only: immediately | daily_digest (absent: immediately).
    frequency: Mapped[str | None] = mapped_column(String(20))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
