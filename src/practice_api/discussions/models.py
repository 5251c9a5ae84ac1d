"""Discussions on an entity, shared with contact groups, and their comments."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from practice_api.core.time import utcnow
from practice_api.db import Base, IdMixin, TimestampMixin, VersionedMixin


class Discussion(IdMixin, TimestampMixin, VersionedMixin, Base):
    __tablename__ = "discussions"
    __table_args__ = (Index("ix_discussions_entity_id_created_at", "entity_id", "created_at"),)

    firm_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("firms.id", ondelete="CASCADE"), index=True
    )
    entity_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("entities.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)  # plain text, never rendered as markup
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_by_name: Mapped[str] = mapped_column(String(200))
    last_comment_at: Mapped[dt.datetime | None]


class DiscussionGroup(Base):
    """A discussion shared with a contact group: its members may read and comment."""

    __tablename__ = "discussion_groups"

    discussion_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("discussions.id", ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("contact_groups.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class DiscussionComment(IdMixin, Base):
    __tablename__ = "discussion_comments"
    __table_args__ = (
        Index("ix_discussion_comments_discussion_id_created_at", "discussion_id", "created_at"),
    )

    firm_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("firms.id", ondelete="CASCADE"), index=True
    )
    discussion_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("discussions.id", ondelete="CASCADE")
    )
    author_kind: Mapped[str] = mapped_column(String(20))  # staff | contact
    author_id: Mapped[uuid.UUID | None]
    author_name: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class DiscussionAttachment(IdMixin, Base):
    """A file of the discussion's entity attached to the discussion (``comment_id`` null)
    or to one of its comments. Contacts who can read the discussion may download it."""

    __tablename__ = "discussion_attachments"
    __table_args__ = (
        Index("ix_discussion_attachments_discussion_id_created_at", "discussion_id", "created_at"),
    )

    firm_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("firms.id", ondelete="CASCADE"), index=True
    )
    discussion_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("discussions.id", ondelete="CASCADE")
    )
    comment_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("discussion_comments.id", ondelete="CASCADE"), index=True
    )
    file_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("file_documents.id", ondelete="CASCADE"), index=True
    )
    attached_by_kind: Mapped[str] = mapped_column(String(20))  # staff | contact
    attached_by_id: Mapped[uuid.UUID | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
