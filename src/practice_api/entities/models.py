from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from practice_api.db import Base, IdMixin, TimestampMixin, VersionedMixin
from practice_api.owners.models import Owner


class Entity(IdMixin, TimestampMixin, VersionedMixin, Base):
    """A client profile of the firm (a person or a company)."""

    __tablename__ = "entities"
    __table_args__ = (
        UniqueConstraint("firm_id", "external_ref"),
        # One index per allowed ordering (and filter + default ordering), each ending in the
        # id that breaks ties, so every list page is an index range scan (migration 0011).
        Index("ix_entities_firm_name_id", "firm_id", "name", "id"),
        Index("ix_entities_firm_created_id", "firm_id", "created_at", "id"),
        Index("ix_entities_firm_updated_id", "firm_id", "updated_at", "id"),
        Index("ix_entities_firm_owner_name_id", "firm_id", "owner_id", "name", "id"),
        Index("ix_entities_firm_status_name_id", "firm_id", "status", "name", "id"),
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


# Search (``q=``, a case-folded substring of name, tax id or e-mail): trigram indexes on
# PostgreSQL (pg_trgm, migration 0011); SQLite keeps a plain scan.
for _name, _column in (("name", Entity.name), ("tax_id", Entity.tax_id), ("email", Entity.email)):
    Index(
        f"ix_entities_{_name}_trgm",
        func.lower(_column).label(f"lower_{_name}"),
        postgresql_using="gin",
        postgresql_ops={f"lower_{_name}": "gin_trgm_ops"},
    ).ddl_if(dialect="postgresql")
