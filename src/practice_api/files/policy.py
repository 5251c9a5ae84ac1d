"""Who may do what with the files of an entity.

The rule (issue 7), implemented in ``check_entity_file_access`` when entities, shares and
contacts land:

| principal                                        | view / download | upload, version | delete |
| ------------------------------------------------ | --------------- | --------------- | ------ |
| firm admin                                       | yes             | yes             | yes    |
| staff who owns / is responsible for / created it | yes             | yes             | yes    |
| staff it is shared with (viewer)                 | yes             | 403             | 403    |
| contact granted the entity as `contributor`      | yes (shared)    | yes             | 403    |
| contact granted the entity as `viewer`           | yes (shared)    | 403             | 403    |
| anyone else (other staff, other contacts, guest) | 404             | 404             | 404    |

A file's access is its entity's: the file routes load the file (firm-scoped, not
deleted), then ask about ``file.entity_id``. Routes take the check as a dependency
(``EntityFileAccessDep``) so tests, and the merge, can supply it.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Literal

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.auth.principals import Principal
from practice_api.core.errors import NotFound

FileAction = Literal["view", "upload", "delete"]
EntityFileAccess = Callable[[AsyncSession, Principal, uuid.UUID, FileAction], Awaitable[None]]


async def check_entity_file_access(
    session: AsyncSession, principal: Principal, entity_id: uuid.UUID, action: FileAction
) -> None:
    """Raise NotFound (entity not visible) or Forbidden (visible, action not allowed).

    Entities do not exist yet on this branch: everything is refused as not found until
    the table above is wired to the entities, shares and contacts policies.
    """
    raise NotFound("No entity with that id.", code="entity_not_found")


def entity_file_access() -> EntityFileAccess:
    return check_entity_file_access


EntityFileAccessDep = Annotated[EntityFileAccess, Depends(entity_file_access)]
