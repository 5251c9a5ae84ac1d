from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from practice_api.db import Base, IdMixin, TimestampMixin, VersionedMixin


class Office(IdMixin, TimestampMixin, VersionedMixin, Base):
    __tablename__ = "offices"
    __table_args__ = (UniqueConstraint("firm_id", "name"),)

    firm_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("firms.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(500))
