"""Staff access to file requests, from the matrix rows ``requests.initiate``,
``file_requests.view``, ``file_requests.manage`` and ``file_requests.list``.

A request is found through ``readable_by(principal)`` (404 when not visible, other firms
included); the caller's access on its entity then decides (403 per the matrix).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, cast

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.access.matrix import Level
from practice_api.access.policy import firm_policy, object_policy
from practice_api.core.principals import Principal
from practice_api.db import SessionDep
from practice_api.entities.models import Entity
from practice_api.entities.policy import EntityContext, entity_policy
from practice_api.entities.repository import FirmEntities, entity_not_found
from practice_api.entities.visibility import AccessLevel, entity_access
from practice_api.file_requests.models import FileRequest, FileRequestItem
from practice_api.file_requests.repository import get_item, get_readable, request_not_found


@dataclass(frozen=True)
class RequestContext:
    request: FileRequest
    entity: Entity
    principal: Principal
    access: AccessLevel


@dataclass(frozen=True)
class ItemContext:
    context: RequestContext
    item: FileRequestItem


async def _readable(
    session: AsyncSession, principal: Principal, request_id: uuid.UUID
) -> tuple[FileRequest, Entity] | None:
    request = await get_readable(session, principal, request_id)  # 404 when not visible
    entity = await FirmEntities(session, principal.firm_id).get(request.entity_id)
    return (request, entity) if entity is not None else None


async def _level(
    session: AsyncSession, principal: Principal, found: tuple[FileRequest, Entity]
) -> Level | None:
    access = await entity_access(session, principal, found[1])
    if access is None:
        raise entity_not_found()
    return access


def _context(
    found: tuple[FileRequest, Entity], principal: Principal, level: Level
) -> RequestContext:
    request, entity = found
    return RequestContext(
        request=request, entity=entity, principal=principal, access=cast(AccessLevel, level)
    )


def request_policy(action: str) -> Callable[..., Awaitable[RequestContext]]:
    """A request's access is its entity's (row ``action``, an entity row)."""
    return object_policy(
        action,
        "entity",
        param="request_id",
        load=_readable,
        level=_level,
        build=_context,
        not_found=request_not_found,
    )


can_view_request = request_policy("file_requests.view")
can_manage_request = request_policy("file_requests.manage")


async def can_view_item(
    item_id: uuid.UUID,
    session: SessionDep,
    context: Annotated[RequestContext, Depends(can_view_request)],
) -> ItemContext:
    return ItemContext(context, await get_item(session, context.request, item_id))


async def can_manage_item(
    item_id: uuid.UUID,
    session: SessionDep,
    context: Annotated[RequestContext, Depends(can_manage_request)],
) -> ItemContext:
    return ItemContext(context, await get_item(session, context.request, item_id))


CanInitiate = Annotated[EntityContext, Depends(entity_policy("requests.initiate"))]
CanViewEntityRequests = Annotated[EntityContext, Depends(entity_policy("file_requests.view"))]
CanListRequests = Annotated[Principal, Depends(firm_policy("file_requests.list"))]
CanViewRequest = Annotated[RequestContext, Depends(can_view_request)]
CanManageRequest = Annotated[RequestContext, Depends(can_manage_request)]
CanViewItem = Annotated[ItemContext, Depends(can_view_item)]
CanManageItem = Annotated[ItemContext, Depends(can_manage_item)]
