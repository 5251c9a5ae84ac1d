"""Webhook endpoints registered by a firm's admins for integrators."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from practice_api.db import Base, IdMixin, JSONType, TimestampMixin, VersionedMixin


class WebhookEndpoint(IdMixin, TimestampMixin, VersionedMixin, Base):
    __tablename__ = "webhook_endpoints"

    firm_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("firms.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(500), default="")
    # Event type names, or ["*"] for every type.
    event_types: Mapped[list[str]] = mapped_column(JSONType, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    # Kept to sign deliveries (never shown again after creation or rotation).
    secret: Mapped[str] = mapped_column(String(200))
    # After a rotation the old secret also signs, for a grace period, so receivers can switch.
    previous_secret: Mapped[str | None] = mapped_column(String(200))
    previous_secret_expires_at: Mapped[dt.datetime | None]
    created_by: Mapped[uuid.UUID | None]
