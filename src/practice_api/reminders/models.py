"""Reminders: one shared module for every "remind the client until it is done" subject.

A subject (a file request, a client request, a task document) is ``(subject_kind,
subject_id)``; it has one ``ReminderSchedule`` with its recipients. Slots are firm-local
dates: relative to a due date (``offsets`` in days, e.g. ``-3, -1, 0, 3, 7``) or, without a
due date, every ``every_days`` days after the subject was created. A slot is claimed once
(``ReminderSlot``, unique per schedule and date) and a recipient gets at most one reminder
e-mail per day (``ReminderDigest``, unique per recipient and date), listing all their open
items across subjects. Both claims are inserts that do nothing on conflict, so two workers
racing on PostgreSQL never send a slot twice.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from practice_api.core.time import utcnow
from practice_api.db import Base, IdMixin, JSONType

DEFAULT_OFFSETS = [-3, -1, 0, 3, 7]
DEFAULT_EVERY_DAYS = 7


class ReminderDefaults(Base):
    """The firm's default schedule (admins edit it at ``/v1/reminder-settings``)."""

    __tablename__ = "reminder_defaults"

    firm_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("firms.id", ondelete="CASCADE"), primary_key=True
    )
    offsets: Mapped[list[int]] = mapped_column(JSONType)
    every_days: Mapped[int]
    enabled: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ReminderSchedule(IdMixin, Base):
    __tablename__ = "reminder_schedules"
    __table_args__ = (
        UniqueConstraint("subject_kind", "subject_id"),
        Index("ix_reminder_schedules_active_next_slot", "active", "next_slot"),
    )

    firm_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("firms.id", ondelete="CASCADE"), index=True
    )
    entity_id: Mapped[uuid.UUID | None]
    subject_kind: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[uuid.UUID]
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    # The firm-local day the subject was created: no slot on or before it.
    anchor_date: Mapped[dt.date] = mapped_column(Date)
    # Per-subject override; None: the firm default.
    offsets: Mapped[list[int] | None] = mapped_column(JSONType)
    every_days: Mapped[int | None]
    enabled: Mapped[bool] = mapped_column(default=True)  # staff turned them off for it
    active: Mapped[bool] = mapped_column(default=True)  # the subject still waits (stop rules)
    last_slot: Mapped[dt.date | None] = mapped_column(Date)
    next_slot: Mapped[dt.date | None] = mapped_column(Date)
    last_manual_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ReminderRecipient(Base):
    __tablename__ = "reminder_recipients"

    schedule_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("reminder_schedules.id", ondelete="CASCADE"), primary_key=True
    )
    recipient_kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    recipient_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, index=True)


class ReminderSlot(IdMixin, Base):
    """A slot of a schedule, claimed by the worker that sends it (never twice)."""

    __tablename__ = "reminder_slots"
    __table_args__ = (UniqueConstraint("schedule_id", "slot_date"),)

    schedule_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("reminder_schedules.id", ondelete="CASCADE")
    )
    slot_date: Mapped[dt.date] = mapped_column(Date)
    claimed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ReminderDigest(IdMixin, Base):
    """The one reminder e-mail of a recipient on a (firm-local) day."""

    __tablename__ = "reminder_digests"
    __table_args__ = (UniqueConstraint("recipient_kind", "recipient_id", "day"),)

    firm_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("firms.id", ondelete="CASCADE"), index=True
    )
    recipient_kind: Mapped[str] = mapped_column(String(20))
    recipient_id: Mapped[uuid.UUID]
    day: Mapped[dt.date] = mapped_column(Date)
    event_id: Mapped[uuid.UUID | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
