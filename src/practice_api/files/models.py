"""A file of an entity (``FileDocument``) and its versions (``StoredFile``, one per upload).

Versions are immutable: a new upload adds a version and the older ones stay readable.
Deleting a file is a soft delete of the whole document (``deleted_at``): it disappears
from every read at once, and its versions and bytes are kept for
``PRACTICE_FILE_RETENTION_DAYS`` (ten years by default, the longest bookkeeping retention
among the firms' jurisdictions) before ``purge_deleted_files`` removes them for good.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from practice_api.core.time import utcnow
from practice_api.db import Base, IdMixin, TimestampMixin, VersionedMixin


class FileDocument(IdMixin, TimestampMixin, VersionedMixin, Base):
    """What a user calls "a file": a name on an entity, with one or more versions.

    ``version`` (from VersionedMixin) is the row version behind the ETag; the number of
    the newest upload is ``current_version``.
    """

    __tablename__ = "file_documents"
    __table_args__ = (
        Index("ix_file_documents_entity_id_created_at", "entity_id", "created_at"),
        Index("ix_file_documents_deleted_at", "deleted_at"),
    )

    firm_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("firms.id", ondelete="CASCADE"), index=True
    )
    # RESTRICT: an entity with files (deleted ones in retention too) is archived, never
    # deleted (see entities.dependents); the files go only through purge_deleted_files.
    entity_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("entities.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(String(255))  # the current version's name
    current_version: Mapped[int] = mapped_column(default=1)
    # Staff share a file with the entity's portal contacts; files a contact uploaded are
    # visible to the entity's contacts whatever this says (see ``files.visibility``).
    shared_with_contacts: Mapped[bool] = mapped_column(default=False)
    deleted_at: Mapped[dt.datetime | None]

    current: Mapped[StoredFile] = relationship(
        primaryjoin="and_(StoredFile.document_id == FileDocument.id, "
        "StoredFile.number == FileDocument.current_version)",
        viewonly=True,
        lazy="joined",
        innerjoin=True,
        uselist=False,
    )


class StoredFile(IdMixin, Base):
    """One uploaded version: its bytes live in storage under ``storage_key``."""

    __tablename__ = "stored_files"
    __table_args__ = (UniqueConstraint("document_id", "number"),)

    firm_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("firms.id", ondelete="CASCADE"), index=True
    )
    document_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("file_documents.id", ondelete="CASCADE")
    )
    entity_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("entities.id", ondelete="RESTRICT"), index=True
    )
    number: Mapped[int]
    name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(64), unique=True)
    uploaded_by_kind: Mapped[str] = mapped_column(String(20))  # staff | contact | guest
    uploaded_by_id: Mapped[uuid.UUID | None]
    uploaded_by_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
