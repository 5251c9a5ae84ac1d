"""Domain events: one append-only row per thing that happened, written with the change."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

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


class Delivery(IdMixin, Base):
    """The outbox: one row per (event, recipient, channel) or (event, webhook endpoint).

    Written in the transaction of the change. The id is the stable delivery id that
    receivers use to drop duplicates (at-least-once). ``next_attempt_at`` is also the lease:
    a dispatcher that claims a row pushes it ``lease`` seconds ahead, so the row comes back
    by itself if that dispatcher dies before recording the outcome.
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        Index("ix_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_deliveries_endpoint_id_created_at", "endpoint_id", "created_at"),
        Index("ix_deliveries_digest_id", "digest_id"),
        # One daily digest per recipient and day, whatever the number of workers.
        UniqueConstraint(
            "recipient_kind", "recipient_id", "digest_date", name="uq_deliveries_digest_day"
        ),
    )

    firm_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"))
    event_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(20))  # in_app | email | webhook | digest
    recipient_kind: Mapped[str | None] = mapped_column(String(20))  # staff | contact
    recipient_id: Mapped[uuid.UUID | None]
    endpoint_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE")
    )
    # Why a person gets it when not by their preferences: "share" (a share's own choices).
    via: Mapped[str | None] = mapped_column(String(20))
    # pending (incl. waiting for a retry) | delivered | dead | cancelled; e-mail only:
    # held (waits for the recipient's daily digest) | digested (went out in ``digest_id``)
    # | sending (being handed to the SMTP server; see repository.mark_sending)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(default=utcnow)
    claim_token: Mapped[uuid.UUID | None]
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    last_error: Mapped[str | None] = mapped_column(String(1000))
    response_status: Mapped[int | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[dt.datetime | None]
    # A held e-mail: the digest delivery that carries it. A digest (channel ``digest``):
    # the recipient's local day it covers.
    digest_id: Mapped[uuid.UUID | None]
    digest_date: Mapped[dt.date | None]

    event: Mapped[Event] = relationship(lazy="raise")
