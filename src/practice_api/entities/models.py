from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from practice_api.db import Base, IdMixin, TimestampMixin, VersionedMixin
from practice_api.owners.models import Owner


class Entity(IdMixin, TimestampMixin, VersionedMixin, Base):
    """A client profile of the firm (a person or a company)."""

    __tablename__ = "entities"
    __table_args__ = (
        UniqueConstraint("firm_id", "external_ref"),
        Index("ix_entities_firm_id_name", "firm_id", "name"),
    )

    firm_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # individual | company
    tax_id: Mapped[str | None] = mapped_column(String(50))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(50))
    address: Mapped[str | None] = mapped_column(String(500))
    office_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("offices.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(20), default="active")  # active | archived
    archived_at: Mapped[dt.datetime | None]
    external_ref: Mapped[str | None] = mapped_column(String(100))
    notes: Mapped[str | None] = mapped_column(Text)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("owners.id", ondelete="SET NULL"), index=True
    )
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )

    # Joined, so a list of entities with their owners is one statement.
    owner: Mapped[Owner | None] = relationship(lazy="joined")
