"""Who may do what with entities: each action's rule is a row of ``access.matrix``.

``entity_policy(action)`` loads the entity named by the path's ``entity_id`` through the
caller's readable set (404 when not visible), computes the caller's access level
(``entities.visibility``) and checks the row (403 when not allowed); every domain whose
objects belong to an entity (shares, contacts, files, discussions, ...) builds its policies
from it. ``require`` is the same check for code that finds its entity elsewhere.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.access.policy import check, firm_policy, rule_for
from practice_api.access.principals import current_staff
from practice_api.core.principals import Principal
from practice_api.db import SessionDep
from practice_api.entities.models import Entity
from practice_api.entities.repository import EntityRepository, entity_not_found
from practice_api.entities.visibility import AccessLevel, entity_access


@dataclass(frozen=True)
class EntityContext:
    """What an entity policy hands the route: the entity, the caller and its access."""

    entity: Entity
    principal: Principal
    access: AccessLevel


def ensure_allowed(action: str, access: AccessLevel | None) -> AccessLevel:
    """Raise 404 when ``access`` is None, 403 when the matrix refuses ``action``."""
    return check(rule_for(action, "entity"), access, entity_not_found)


async def require(
    session: AsyncSession, principal: Principal, entity: Entity, action: str
) -> AccessLevel:
    """Check ``action`` on an already loaded entity; returns the caller's access level."""
    return ensure_allowed(action, await entity_access(session, principal, entity))


EntityPolicy = Callable[..., Awaitable[EntityContext]]


def entity_policy(action: str) -> EntityPolicy:
    rule_for(action, "entity")

    async def policy(
        entity_id: uuid.UUID,
        session: SessionDep,
        principal: Annotated[Principal, Depends(current_staff)],
    ) -> EntityContext:
        entity = await EntityRepository(session, principal).get_or_404(entity_id)
        access = await require(session, principal, entity, action)
        return EntityContext(entity=entity, principal=principal, access=access)

    policy.__name__ = "can_" + action.replace(".", "_")
    return policy


can_list_entities = firm_policy("entities.list")
can_create_entity = firm_policy("entities.create")
can_view_entity = entity_policy("entity.view")
can_update_entity = entity_policy("entity.update")
can_delete_entity = entity_policy("entity.delete")
can_change_entity_owner = entity_policy("entity.change_owner")

# What a shared viewer may not do. The contacts and requests routes take these as their
# policies (path parameter ``entity_id``); code that finds the entity elsewhere (a request
# body) calls ``access.policy.require(session, principal, entity, "requests.initiate")``.
can_manage_contacts = entity_policy("contacts.manage")
can_authorize_contacts = entity_policy("contacts.authorize")
can_initiate_requests = entity_policy("requests.initiate")

CanListEntities = Annotated[Principal, Depends(can_list_entities)]
CanCreateEntity = Annotated[Principal, Depends(can_create_entity)]
CanViewEntity = Annotated[EntityContext, Depends(can_view_entity)]
CanUpdateEntity = Annotated[EntityContext, Depends(can_update_entity)]
CanDeleteEntity = Annotated[EntityContext, Depends(can_delete_entity)]
CanChangeEntityOwner = Annotated[EntityContext, Depends(can_change_entity_owner)]
CanManageContacts = Annotated[EntityContext, Depends(can_manage_contacts)]
CanAuthorizeContacts = Annotated[EntityContext, Depends(can_authorize_contacts)]
CanInitiateRequests = Annotated[EntityContext, Depends(can_initiate_requests)]
