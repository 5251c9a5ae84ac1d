"""Who may do what with the files of an entity.

The rule (issue 7), by the caller's access level on the file's entity (the levels of
``entities.visibility``: admin, owner = the responsible, editor / viewer = shared with):

| caller                                   | view / download | upload, version | delete |
| ---------------------------------------- | --------------- | --------------- | ------ |
| admin, owner (responsible), editor       | yes             | yes             | yes    |
| viewer (shared read-only)                | yes             | 403             | 403    |
| contact with `contributor` on the entity | yes (shared)    | yes             | 403    |
| contact with `viewer` on the entity      | yes (shared)    | 403             | 403    |
| no access, other firm, guest             | 404             | 404             | 404    |

A file's access is its entity's: the file routes load the file (firm-scoped, not
deleted), then ask about ``file.entity_id``. The staff rows are the permission matrix's
``files.view``, ``files.upload`` and ``files.delete`` (``access.matrix``); routes take the
check as a dependency (``EntityFileAccessDep``). The contact rows belong to the portal
routes (issue 6), which reuse the same service functions.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Literal

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.core.principals import Principal
from practice_api.entities.policy import require
from practice_api.entities.repository import EntityRepository

FileAction = Literal["view", "upload", "delete"]
EntityFileAccess = Callable[[AsyncSession, Principal, uuid.UUID, FileAction], Awaitable[None]]


async def check_entity_file_access(
    session: AsyncSession, principal: Principal, entity_id: uuid.UUID, action: FileAction
) -> None:
    """Raise NotFound (entity not visible) or Forbidden (visible, action not allowed)."""
    entity = await EntityRepository(session, principal).get_or_404(entity_id)
    await require(session, principal, entity, f"files.{action}")


def entity_file_access() -> EntityFileAccess:
    return check_entity_file_access


EntityFileAccessDep = Annotated[EntityFileAccess, Depends(entity_file_access)]
