"""Portal policies: contact tokens only, built from the ``portal.*`` rows of
``access.matrix`` with the factories of ``access.policy``.

A staff token is 403 (``current_contact``); an entity the contact has no access to, a
discussion not shared with one of its groups, or a file not shared with it is 404: each is
loaded through its repository's ``readable_by(principal)``. Only
``contributor`` contacts upload (row ``portal.files.upload``: a ``viewer`` gets its 403).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.access.matrix import Level
from practice_api.access.policy import object_policy, principal_policy
from practice_api.access.principals import current_contact
from practice_api.contacts.repository import ContactRole, GrantRepository
from practice_api.core.errors import NotFound
from practice_api.core.principals import Principal
from practice_api.discussions.models import Discussion
from practice_api.discussions.repository import DiscussionRepository
from practice_api.entities.models import Entity
from practice_api.entities.repository import EntityRepository, entity_not_found
from practice_api.files.models import FileDocument
from practice_api.files.repository import FileRepository


@dataclass(frozen=True)
class PortalEntityContext:
    entity: Entity
    principal: Principal
    role: ContactRole


@dataclass(frozen=True)
class PortalDiscussionContext:
    discussion: Discussion
    principal: Principal


@dataclass(frozen=True)
class PortalFileContext:
    document: FileDocument
    principal: Principal


async def contact_level(_session: AsyncSession, _principal: Principal, _found: object) -> Level:
    """Whatever a contact's readable set holds, it reaches as the ``contact`` column."""
    return "contact"


async def _entity(
    session: AsyncSession, principal: Principal, entity_id: uuid.UUID
) -> PortalEntityContext | None:
    entity = await EntityRepository(session, principal).get(entity_id)
    if entity is None:
        return None
    role = await GrantRepository(session, principal.firm_id).role_of(principal.id, entity.id)
    return None if role is None else PortalEntityContext(entity, principal, role)


async def _discussion(
    session: AsyncSession, principal: Principal, discussion_id: uuid.UUID
) -> Discussion | None:
    return await DiscussionRepository(session, principal.firm_id).get_readable_by(
        principal, discussion_id
    )


async def _file(
    session: AsyncSession, principal: Principal, file_id: uuid.UUID
) -> FileDocument | None:
    return await FileRepository(session, principal.firm_id).get_readable_by(principal, file_id)


def _no_discussion() -> NotFound:
    return NotFound("No discussion with that id.", code="discussion_not_found")


def _same(found: PortalEntityContext, _principal: Principal, _level: Level) -> PortalEntityContext:
    return found


def _discussion_context(
    discussion: Discussion, principal: Principal, _level: Level
) -> PortalDiscussionContext:
    return PortalDiscussionContext(discussion=discussion, principal=principal)


def _file_context(document: FileDocument, principal: Principal, _level: Level) -> PortalFileContext:
    return PortalFileContext(document=document, principal=principal)


def portal_entity_policy(action: str) -> Callable[..., Awaitable[PortalEntityContext]]:
    return object_policy(
        action,
        "portal",
        param="entity_id",
        load=_entity,
        level=contact_level,
        build=_same,
        not_found=entity_not_found,
        principal=current_contact,
        allowed=(lambda context: context.role == "contributor")
        if action == "portal.files.upload"
        else None,
    )


portal_me = principal_policy("portal.self")
portal_entity = portal_entity_policy("portal.entity")
portal_entity_upload = portal_entity_policy("portal.files.upload")
portal_discussion = object_policy(
    "portal.discussion",
    "portal",
    param="discussion_id",
    load=_discussion,
    level=contact_level,
    build=_discussion_context,
    not_found=_no_discussion,
    principal=current_contact,
)
portal_file = object_policy(
    "portal.file",
    "portal",
    param="file_id",
    load=_file,
    level=contact_level,
    build=_file_context,
    not_found=FileRepository.not_found,
    principal=current_contact,
)

PortalContact = Annotated[Principal, Depends(portal_me)]
CanSeePortalEntity = Annotated[PortalEntityContext, Depends(portal_entity)]
CanUploadToPortalEntity = Annotated[PortalEntityContext, Depends(portal_entity_upload)]
CanSeePortalDiscussion = Annotated[PortalDiscussionContext, Depends(portal_discussion)]
CanSeePortalFile = Annotated[PortalFileContext, Depends(portal_file)]
