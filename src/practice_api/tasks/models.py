"""Task types (the firm's catalogue), the entities subscribed to recurring ones, tasks, and
the documents a task receives (input slots with their uploads) and delivers (outputs).

Recurring generation is idempotent by a unique key: one task per (entity, type, period).
Ad hoc and one-off tasks have no period (NULLs never collide in a unique constraint).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from practice_api.core.time import utcnow
from practice_api.db import Base, IdMixin, JSONType, TimestampMixin, VersionedMixin

NO_DUE_DATE = dt.date(9999, 12, 31)


class TaskType(IdMixin, TimestampMixin, VersionedMixin, Base):
    __tablename__ = "task_types"
    __table_args__ = (Index("ix_task_types_firm_id_name", "firm_id", "name"),)

    firm_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    # Ordered stage names; the last one means done.
    stages: Mapped[list[str]] = mapped_column(JSONType)
    # [{"name", "description", "required"}]
    input_documents: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    # [{"name", "description", "due_rule": {...}, "visible_to_client"}]
    output_documents: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    client_requestable: Mapped[bool] = mapped_column(default=False)
    # {"frequency": monthly|quarterly|yearly, "day": 1-31, "months_after": 0-12} or null
    recurrence: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    archived_at: Mapped[dt.datetime | None]


class TaskSubscription(IdMixin, Base):
    """An entity subscribed to a recurring task type: each period generates its task."""

    __tablename__ = "task_subscriptions"
    __table_args__ = (UniqueConstraint("entity_id", "task_type_id"),)

    firm_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("firms.id", ondelete="CASCADE"), index=True
    )
    entity_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("entities.id", ondelete="CASCADE"))
    task_type_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("task_types.id", ondelete="CASCADE"), index=True
    )
    # The first period generated is the one holding this date (firm-local).
    starts_on: Mapped[dt.date]
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Task(IdMixin, TimestampMixin, VersionedMixin, Base):
    __tablename__ = "tasks"
    __table_args__ = (
        UniqueConstraint("entity_id", "task_type_id", "period"),
        Index("ix_tasks_firm_id_due_key", "firm_id", "due_key"),
        Index("ix_tasks_entity_id_due_key", "entity_id", "due_key"),
        Index("ix_tasks_assignee_id_status", "assignee_id", "status"),
        # The cancelled tasks of a contact's entities (the client area hides their documents).
        Index("ix_tasks_entity_id_status", "entity_id", "status"),
    )

    firm_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"))
    # RESTRICT: an entity with tasks is archived, never deleted (entities.dependents).
    entity_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("entities.id", ondelete="RESTRICT"))
    task_type_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("task_types.id", ondelete="RESTRICT"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    due_date: Mapped[dt.date | None]
    # The sort key of ``due_date`` (keyset pagination needs a non-null key): no due date
    # sorts last. Kept in step by ``_due_key`` below and by the generation's insert.
    due_key: Mapped[dt.date] = mapped_column(default=NO_DUE_DATE)
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    stages: Mapped[list[str]] = mapped_column(JSONType)
    stage: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | done | cancelled
    origin: Mapped[str] = mapped_column(String(20))  # staff | client | recurrence
    period: Mapped[str | None] = mapped_column(String(10))  # 2026-01 | 2026-Q1 | 2026
    requested_by_contact_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    created_by_kind: Mapped[str] = mapped_column(String(20))  # staff | contact | system
    created_by_id: Mapped[uuid.UUID | None]
    created_by_name: Mapped[str] = mapped_column(String(200))
    completed_at: Mapped[dt.datetime | None]


@event.listens_for(Task, "before_insert")
@event.listens_for(Task, "before_update")
def _due_key(_mapper: Any, _connection: Any, task: Task) -> None:
    task.due_key = task.due_date or NO_DUE_DATE


class TaskInput(IdMixin, Base):
    """An input slot: a document the client supplies. Several files may fill it."""

    __tablename__ = "task_inputs"
    __table_args__ = (Index("ix_task_inputs_task_id_position", "task_id", "position"),)

    firm_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("firms.id", ondelete="CASCADE"), index=True
    )
    task_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    required: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class TaskInputFile(IdMixin, Base):
    """One file put into an input slot: who uploaded it and when."""

    __tablename__ = "task_input_files"
    __table_args__ = (Index("ix_task_input_files_input_id_created_at", "input_id", "created_at"),)

    firm_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("firms.id", ondelete="CASCADE"), index=True
    )
    task_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tasks.id", ondelete="CASCADE"), index=True
    )
    input_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("task_inputs.id", ondelete="CASCADE"))
    file_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("file_documents.id", ondelete="CASCADE"), index=True
    )
    uploaded_by_kind: Mapped[str] = mapped_column(String(20))  # staff | contact
    uploaded_by_id: Mapped[uuid.UUID | None]
    uploaded_by_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class TaskOutput(IdMixin, TimestampMixin, VersionedMixin, Base):
    """A document the firm delivers: due on ``due_date``, delivered when a file is attached,
    shown to the entity's contacts only when ``visible_to_client``."""

    __tablename__ = "task_outputs"
    __table_args__ = (
        Index("ix_task_outputs_task_id_position", "task_id", "position"),
        # The client area's scans by entity and due date, answered from the index alone.
        Index(
            "ix_task_outputs_entity_due_visible",
            "entity_id",
            "due_date",
            "visible_to_client",
            "firm_id",
            "task_id",
        ),
    )

    firm_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("firms.id", ondelete="CASCADE"), index=True
    )
    task_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    entity_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("entities.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    due_date: Mapped[dt.date | None]
    visible_to_client: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)
    file_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("file_documents.id", ondelete="SET NULL"), index=True
    )
    delivered_at: Mapped[dt.datetime | None]
    delivered_by_id: Mapped[uuid.UUID | None]
    delivered_by_name: Mapped[str | None] = mapped_column(String(200))


class TaskOutputReadMark(Base):
    """A contact read (or downloaded) an output document: reading is per contact."""

    __tablename__ = "task_output_reads"
    # A contact's reads, answered from the index alone (the dashboard's unread test).
    __table_args__ = (
        Index("ix_task_output_reads_contact_id_output_id", "contact_id", "output_id"),
    )

    output_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("task_outputs.id", ondelete="CASCADE"), primary_key=True
    )
    contact_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    firm_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("firms.id", ondelete="CASCADE"), index=True
    )
    read_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
