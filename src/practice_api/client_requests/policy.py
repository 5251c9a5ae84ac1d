"""Staff access to client requests, from the matrix rows ``requests.initiate`` (send),
``client_requests.list`` (the firm-wide list), ``client_requests.view`` and
``client_requests.manage``.

A request is found firm-scoped (another firm's: 404); the caller's access level on its
entity is the column of the row (no access: 404 ``client_request_not_found``; a shared
viewer changing it: 403).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, cast

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.access.matrix import Level
from practice_api.access.policy import child_policy, firm_policy, object_policy
from practice_api.client_requests.models import ClientRequest, ClientRequestRecipient
from practice_api.client_requests.repository import (
    get_readable,
    get_recipient,
    recipient_not_found,
    request_not_found,
)
from practice_api.core.principals import Principal
from practice_api.entities.models import Entity
from practice_api.entities.policy import EntityContext, entity_policy
from practice_api.entities.visibility import AccessLevel, entity_access


@dataclass(frozen=True)
class RequestContext:
    request: ClientRequest
    entity: Entity
    principal: Principal
    access: AccessLevel


@dataclass(frozen=True)
class RecipientContext:
    context: RequestContext
    recipient: ClientRequestRecipient


async def _level(
    session: AsyncSession, principal: Principal, found: tuple[ClientRequest, Entity]
) -> Level | None:
    return await entity_access(session, principal, found[1])


def _context(
    found: tuple[ClientRequest, Entity], principal: Principal, level: Level
) -> RequestContext:
    request, entity = found
    return RequestContext(request, entity, principal, cast(AccessLevel, level))


def _request_policy(action: str) -> Callable[..., Awaitable[RequestContext]]:
    return object_policy(
        action,
        "entity",
        param="request_id",
        load=get_readable,
        level=_level,
        build=_context,
        not_found=request_not_found,
    )


can_view_request = _request_policy("client_requests.view")
can_manage_request = _request_policy("client_requests.manage")


async def _recipient(
    session: AsyncSession, context: RequestContext, recipient_id: uuid.UUID
) -> ClientRequestRecipient | None:
    return await get_recipient(session, context.request, recipient_id)


def _recipient_context(
    context: RequestContext, recipient: ClientRequestRecipient
) -> RecipientContext:
    return RecipientContext(context, recipient)


can_manage_recipient = child_policy(
    can_manage_request,
    param="recipient_id",
    load=_recipient,
    build=_recipient_context,
    not_found=recipient_not_found,
)

CanInitiate = Annotated[EntityContext, Depends(entity_policy("requests.initiate"))]
CanViewEntityRequests = Annotated[EntityContext, Depends(entity_policy("client_requests.view"))]
CanListRequests = Annotated[Principal, Depends(firm_policy("client_requests.list"))]
CanViewRequest = Annotated[RequestContext, Depends(can_view_request)]
CanManageRequest = Annotated[RequestContext, Depends(can_manage_request)]
CanManageRecipient = Annotated[RecipientContext, Depends(can_manage_recipient)]
