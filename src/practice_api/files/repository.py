from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, and_, exists, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.core.errors import NotFound
from practice_api.core.pagination import Ordering, PageParams, paginate
from practice_api.core.principals import Principal
from practice_api.core.repository import FirmScopedRepository, like_pattern
from practice_api.entities.repository import readable_entity_ids
from practice_api.files.models import FileDocument, StoredFile

FILE_ORDERING = Ordering(
    fields={
        "name": FileDocument.name,
        "created_at": FileDocument.created_at,
        "updated_at": FileDocument.updated_at,
    },
    id_column=FileDocument.id,
    default="-updated_at",
)
VERSION_ORDERING = Ordering(
    fields={"number": StoredFile.number}, id_column=StoredFile.id, default="-number"
)


def visible_to_contacts() -> ColumnElement[bool]:
    """What is shared with an entity's portal contacts: the files staff marked
    ``shared_with_contacts``, and the files a contact uploaded (their first version's
    uploader is a contact), whoever added later versions."""
    return or_(
        FileDocument.shared_with_contacts.is_(True),
        exists(
            select(StoredFile.id).where(
                StoredFile.document_id == FileDocument.id,
                StoredFile.number == 1,
                StoredFile.uploaded_by_kind == "contact",
            )
        ),
    )


FileGrant = Callable[[Principal], Select[uuid.UUID]]


class FileGrants:
    """Files a portal contact reaches through another domain, beyond what is shared on its
    entities (discussions: the files attached to a discussion it reads); filled by
    ``register_all()``."""

    def __init__(self) -> None:
        self.contact_grants: list[FileGrant] = []

    def add_contact_grant(self, file_ids: FileGrant) -> None:
        if file_ids not in self.contact_grants:
            self.contact_grants.append(file_ids)


FILE_GRANTS = FileGrants()


@dataclass(frozen=True)
class FileFilters:
    q: str | None = None
    content_type: str | None = None
    uploaded_by_kind: str | None = None


class FileRepository(FirmScopedRepository[FileDocument]):
    """Files of the principal's firm; deleted files are not found by any read."""

    model = FileDocument
    not_found_code = "file_not_found"
    not_found_detail = "No file with that id."

    def readable(self) -> Select[FileDocument]:
        return super().readable().where(FileDocument.deleted_at.is_(None))

    def readable_by(self, principal: Principal) -> Select[FileDocument]:
        """The files ``principal`` may read, as one statement (deleted files never).

        A portal contact: on every entity it has access to (either role), the files staff
        shared with contacts and the files contacts uploaded (``visible_to_contacts``),
        plus the files other domains grant it (``FILE_GRANTS``: attached to a discussion it
        reads), shared or not. Staff: the files of the entities they may read (admins: the
        firm's); a staff route on one file finds it in ``readable()`` and lets its entity's
        row decide (``files.policy``), so that an entity it may not see answers as such.
        """
        statement = self.readable()
        if principal.kind == "contact":
            return statement.where(
                or_(
                    and_(
                        FileDocument.entity_id.in_(readable_entity_ids(principal)),
                        visible_to_contacts(),
                    ),
                    *(
                        FileDocument.id.in_(file_ids(principal))
                        for file_ids in FILE_GRANTS.contact_grants
                    ),
                )
            )
        if principal.kind != "staff":
            return statement.where(false())
        if principal.is_admin:
            return statement
        return statement.where(FileDocument.entity_id.in_(readable_entity_ids(principal)))

    def of_entity(self, entity_id: uuid.UUID, filters: FileFilters) -> Select[FileDocument]:
        statement = self.readable().where(FileDocument.entity_id == entity_id)
        if filters.q:
            statement = statement.where(
                func.lower(FileDocument.name).like(like_pattern(filters.q), escape="\\")
            )
        if filters.content_type:
            statement = statement.where(
                FileDocument.current.has(StoredFile.content_type == filters.content_type)
            )
        if filters.uploaded_by_kind:
            statement = statement.where(
                FileDocument.current.has(StoredFile.uploaded_by_kind == filters.uploaded_by_kind)
            )
        return statement

    async def version(self, document: FileDocument, number: int | None = None) -> StoredFile:
        wanted = document.current_version if number is None else number
        found = await self.session.scalar(
            select(StoredFile).where(
                StoredFile.document_id == document.id,
                StoredFile.firm_id == self.firm_id,
                StoredFile.number == wanted,
            )
        )
        if found is None:
            raise NotFound(f"The file has no version {wanted}.", code="file_version_not_found")
        return found

    async def live_version(
        self, file_id: uuid.UUID, number: int
    ) -> tuple[FileDocument, StoredFile] | None:
        """A file that is not deleted and its version ``number``, in one statement."""
        found = (
            await self.session.execute(
                select(FileDocument, StoredFile)
                .join(StoredFile, StoredFile.document_id == FileDocument.id)
                .where(
                    FileDocument.firm_id == self.firm_id,
                    FileDocument.id == file_id,
                    FileDocument.deleted_at.is_(None),
                    StoredFile.number == number,
                )
            )
        ).first()
        return None if found is None else (found[0], found[1])

    async def versions(
        self, document: FileDocument, params: PageParams, order_by: str | None
    ) -> tuple[Sequence[StoredFile], str | None]:
        statement = select(StoredFile).where(
            StoredFile.document_id == document.id, StoredFile.firm_id == self.firm_id
        )
        return await paginate(self.session, statement, params, VERSION_ORDERING, order_by)


async def expired_deleted_files(
    session: AsyncSession, deleted_before: dt.datetime, limit: int
) -> list[tuple[FileDocument, list[StoredFile]]]:
    """Deleted files of every firm past their retention, with all their versions."""
    documents = (
        await session.scalars(
            select(FileDocument)
            .where(FileDocument.deleted_at.is_not(None), FileDocument.deleted_at < deleted_before)
            .order_by(FileDocument.deleted_at, FileDocument.id)
            .limit(limit)
            # Several workers on PostgreSQL purge different files (SQLite ignores this).
            .with_for_update(skip_locked=True, of=FileDocument)
        )
    ).all()
    if not documents:
        return []
    versions = (
        await session.scalars(
            select(StoredFile).where(StoredFile.document_id.in_([d.id for d in documents]))
        )
    ).all()
    by_document: dict[uuid.UUID, list[StoredFile]] = {d.id: [] for d in documents}
    for version in versions:
        by_document[version.document_id].append(version)
    return [(d, by_document[d.id]) for d in documents]


async def count_files_of_entity(session: AsyncSession, entity_id: uuid.UUID) -> int:
    """Files that keep an entity from being destroyed, deleted ones in retention included
    (for ``entities.dependents.register_dependent("files", ...)``)."""
    count = await session.scalar(
        select(func.count()).select_from(FileDocument).where(FileDocument.entity_id == entity_id)
    )
    return int(count or 0)
