"""Tables behind the shared HTTP mechanisms (idempotency keys, rate-limit counters)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from practice_api.core.orm import Base, IdMixin, JSONType
from practice_api.core.time import utcnow


class IdempotencyRecord(IdMixin, Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("scope", "key"),)

    scope: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None]
    response_headers: Mapped[list[list[str]] | None] = mapped_column(JSONType)
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)


class RateCounter(Base):
    """One rate-limit bucket (see core/ratelimit.py): hits in the current window and, for
    growing delays, when the next attempt may come."""

    __tablename__ = "rate_counters"

    bucket: Mapped[str] = mapped_column(String(300), primary_key=True)
    window_started_at: Mapped[dt.datetime]
    hits: Mapped[int]
    blocked_until: Mapped[dt.datetime | None]
