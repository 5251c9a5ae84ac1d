from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from practice_api.db import Base, IdMixin, TimestampMixin, VersionedMixin
from practice_api.users.models import User


class Owner(IdMixin, TimestampMixin, VersionedMixin, Base):
    """An entry of the firm's owner list: a staff user, or a manually named person."""

    __tablename__ = "owners"
    __table_args__ = (UniqueConstraint("firm_id", "user_id"),)

    firm_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("firms.id", ondelete="CASCADE"), index=True
    )
    # At most one entry per user. The service removes the entry (with a transfer) before
    # the user goes; the cascade is only a safety net.
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    # For a linked user these hold the name and e-mail it was added with; reads show the
    # user's current ones.
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))

    user: Mapped[User | None] = relationship(lazy="joined")

    @property
    def display_name(self) -> str:
        return self.user.name if self.user is not None else self.name

    @property
    def display_email(self) -> str | None:
        return self.user.email if self.user is not None else self.email
