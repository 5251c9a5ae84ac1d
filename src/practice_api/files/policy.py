"""Who may do what with the files of an entity: rows ``files.view``, ``files.upload`` and
``files.delete`` of ``access.matrix``, on the file's entity.

Routes under an entity (``/v1/entities/{entity_id}/files``) take ``entity_policy``; routes
on one file (``/v1/files/{file_id}``) take ``file_policy``: the file is loaded among the
firm's files that are not deleted (404 ``file_not_found``), then its entity decides (404
``entity_not_found`` when the caller may not see it, 403 when its row refuses). Contacts
reach files through the portal (``portal.policy``).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, cast

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.access.matrix import Level
from practice_api.access.policy import object_policy
from practice_api.core.principals import Principal
from practice_api.entities.policy import EntityContext, entity_policy
from practice_api.entities.repository import EntityRepository, entity_not_found
from practice_api.entities.visibility import AccessLevel, entity_access
from practice_api.files.models import FileDocument
from practice_api.files.repository import FileRepository


@dataclass(frozen=True)
class FileContext:
    """What a file policy hands the route: the file, the caller and its entity access."""

    document: FileDocument
    principal: Principal
    access: AccessLevel


async def _file(
    session: AsyncSession, principal: Principal, file_id: uuid.UUID
) -> FileDocument | None:
    return await FileRepository(session, principal.firm_id).get(file_id)


async def _level(
    session: AsyncSession, principal: Principal, document: FileDocument
) -> Level | None:
    """The caller's level on the file's entity; an entity it may not see answers as such."""
    entity = await EntityRepository(session, principal).get(document.entity_id)
    if entity is None:
        raise entity_not_found()
    return await entity_access(session, principal, entity)


def _context(document: FileDocument, principal: Principal, level: Level) -> FileContext:
    return FileContext(document=document, principal=principal, access=cast(AccessLevel, level))


def file_policy(action: str) -> Callable[..., Awaitable[FileContext]]:
    return object_policy(
        action,
        "entity",
        param="file_id",
        load=_file,
        level=_level,
        build=_context,
        not_found=FileRepository.not_found,
    )


CanListFiles = Annotated[EntityContext, Depends(entity_policy("files.view"))]
CanUploadFiles = Annotated[EntityContext, Depends(entity_policy("files.upload"))]
CanViewFile = Annotated[FileContext, Depends(file_policy("files.view"))]
CanChangeFile = Annotated[FileContext, Depends(file_policy("files.upload"))]
CanDeleteFile = Annotated[FileContext, Depends(file_policy("files.delete"))]
