from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from practice_api.db import Base, IdMixin, JSONType, TimestampMixin, VersionedMixin
from practice_api.users.models import User


class Share(IdMixin, TimestampMixin, VersionedMixin, Base):
    """An entity shared with a staff user of the firm, with a role and e-mail choices."""

    __tablename__ = "shares"
    __table_args__ = (UniqueConstraint("entity_id", "user_id"),)

    firm_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("firms.id", ondelete="CASCADE"), index=True
    )
    entity_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("entities.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(20))  # viewer | editor
    # E-mail notifications the user wants for this entity (see shares.schemas.Notification).
    notifications: Mapped[list[str]] = mapped_column(JSONType, default=list)
    shared_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )

    user: Mapped[User] = relationship(lazy="joined", foreign_keys=[user_id])
