from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from practice_api.db import Base, IdMixin, TimestampMixin, VersionedMixin


class Firm(IdMixin, TimestampMixin, VersionedMixin, Base):
    __tablename__ = "firms"

    name: Mapped[str] = mapped_column(String(200))
    client_ownership_enabled: Mapped[bool] = mapped_column(default=False)
    detailed_notifications_enabled: Mapped[bool] = mapped_column(default=False)
    # IANA name; every date-only rule of the firm (due dates, "today") is read in it.
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    # The local hour (0-23, in ``time_zone``) daily digests go out.
    digest_hour: Mapped[int] = mapped_column(default=8)
    # Recurring tasks are generated this many days before their period starts.
    task_days_ahead: Mapped[int] = mapped_column(default=7)
