"""Domain events: one append-only row per thing that happened, written with the change."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from practice_api.core.time import utcnow
from practice_api.db import Base, IdMixin, JSONType


class Event(IdMixin, Base):
    """The source of the activity log and of every notification, e-mail and webhook."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_firm_id_occurred_at", "firm_id", "occurred_at"),
        Index("ix_events_entity_id_occurred_at", "entity_id", "occurred_at"),
    )

    firm_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(100), index=True)
    # No foreign key: the log outlives what it talks about.
    entity_id: Mapped[uuid.UUID | None]
    actor_kind: Mapped[str] = mapped_column(String(20))  # staff | contact | guest | system
    actor_id: Mapped[uuid.UUID | None]
    actor_name: Mapped[str] = mapped_column(String(200))
    subject_type: Mapped[str | None] = mapped_column(String(50))
    subject_id: Mapped[uuid.UUID | None]
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    occurred_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
