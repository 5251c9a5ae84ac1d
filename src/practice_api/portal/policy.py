"""Portal policies: contact tokens only (rows ``portal.*`` of ``access.matrix``).

A staff token is 403 (``current_contact``); an entity the contact has no access to, or a
discussion not shared with one of its groups, is 404.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from practice_api.access.principals import current_contact
from practice_api.contacts.access import ContactRole, contact_role
from practice_api.core.errors import NotFound
from practice_api.core.principals import Principal
from practice_api.db import SessionDep
from practice_api.discussions.models import Discussion
from practice_api.discussions.repository import DiscussionRepository
from practice_api.entities.models import Entity
from practice_api.entities.repository import entity_not_found


@dataclass(frozen=True)
class PortalEntityContext:
    entity: Entity
    principal: Principal
    role: ContactRole


@dataclass(frozen=True)
class PortalDiscussionContext:
    discussion: Discussion
    principal: Principal


async def portal_entity(
    entity_id: uuid.UUID,
    session: SessionDep,
    principal: Annotated[Principal, Depends(current_contact)],
) -> PortalEntityContext:
    role = await contact_role(session, principal, entity_id)
    entity = await session.get(Entity, entity_id) if role else None
    if entity is None or role is None or entity.firm_id != principal.firm_id:
        raise entity_not_found()
    return PortalEntityContext(entity=entity, principal=principal, role=role)


async def portal_discussion(
    discussion_id: uuid.UUID,
    session: SessionDep,
    principal: Annotated[Principal, Depends(current_contact)],
) -> PortalDiscussionContext:
    repository = DiscussionRepository(session, principal.firm_id)
    discussion = await session.scalar(
        repository.for_contact(principal.id).where(Discussion.id == discussion_id)
    )
    if discussion is None:
        raise NotFound("No discussion with that id.", code="discussion_not_found")
    return PortalDiscussionContext(discussion=discussion, principal=principal)


PortalContact = Annotated[Principal, Depends(current_contact)]
CanSeePortalEntity = Annotated[PortalEntityContext, Depends(portal_entity)]
CanSeePortalDiscussion = Annotated[PortalDiscussionContext, Depends(portal_discussion)]
