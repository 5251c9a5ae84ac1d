from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from practice_api.core.time import utcnow
from practice_api.db import Base, IdMixin


class AuthSession(IdMixin, Base):
    """One sign-in: the family of refresh tokens and every access token issued from them."""

    __tablename__ = "auth_sessions"
    __table_args__ = (Index("ix_auth_sessions_principal", "principal_kind", "principal_id"),)

    firm_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("firms.id", ondelete="CASCADE"), index=True
    )
    principal_kind: Mapped[str] = mapped_column(String(20))
    principal_id: Mapped[uuid.UUID]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(String(50))


class RefreshToken(IdMixin, Base):
    __tablename__ = "refresh_tokens"

    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_sessions.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
