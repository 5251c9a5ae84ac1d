"""Contacts (client-side people), their access to entities, portal secrets and groups."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from practice_api.core.time import utcnow
from practice_api.db import Base, IdMixin, TimestampMixin, VersionedMixin


class Contact(IdMixin, TimestampMixin, VersionedMixin, Base):
    """A person on the client side; may be granted portal access to several entities."""

    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("firm_id", "email"),)

    firm_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("firms.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), index=True)  # lower-cased
    phone: Mapped[str | None] = mapped_column(String(50))
    notes: Mapped[str | None] = mapped_column(Text)  # staff-only
    portal_status: Mapped[str] = mapped_column(String(20), default="none")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    invited_at: Mapped[dt.datetime | None]
    activated_at: Mapped[dt.datetime | None]
    last_login_at: Mapped[dt.datetime | None]


class EntityContact(IdMixin, TimestampMixin, VersionedMixin, Base):
    """A contact's access to one entity, with a role (``viewer`` | ``contributor``)."""

    __tablename__ = "entity_contacts"
    __table_args__ = (UniqueConstraint("entity_id", "contact_id"),)

    firm_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("firms.id", ondelete="CASCADE"), index=True
    )
    entity_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("entities.id", ondelete="CASCADE"))
    contact_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(20))
    granted_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )

    contact: Mapped[Contact] = relationship(lazy="joined")


class ContactSecret(IdMixin, Base):
    """A single-use, expiring secret (invitation or password reset), stored as a hash."""

    __tablename__ = "contact_secrets"
    __table_args__ = (Index("ix_contact_secrets_contact_purpose", "contact_id", "purpose"),)

    firm_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("firms.id", ondelete="CASCADE"), index=True
    )
    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(20))  # invite | reset
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]


class ContactGroup(IdMixin, TimestampMixin, VersionedMixin, Base):
    """A named group of an entity's contacts (for an engagement)."""

    __tablename__ = "contact_groups"
    __table_args__ = (UniqueConstraint("entity_id", "name"),)

    firm_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("firms.id", ondelete="CASCADE"), index=True
    )
    entity_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("entities.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)


class ContactGroupMember(Base):
    __tablename__ = "contact_group_members"

    group_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("contact_groups.id", ondelete="CASCADE"), primary_key=True
    )
    contact_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    added_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
