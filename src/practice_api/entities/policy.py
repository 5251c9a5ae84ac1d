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
from typing import Annotated, TypeVar, cast

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.access.matrix import Level
from practice_api.access.policy import check, child_policy, firm_policy, object_policy, rule_for
from practice_api.core.principals import Principal
from practice_api.core.repository import FirmScopedRepository
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


async def _readable_entity(
    session: AsyncSession, principal: Principal, entity_id: uuid.UUID
) -> Entity | None:
    return await EntityRepository(session, principal).get(entity_id)


async def _level(session: AsyncSession, principal: Principal, entity: Entity) -> Level | None:
    return await entity_access(session, principal, entity)


def _context(entity: Entity, principal: Principal, level: Level) -> EntityContext:
    return EntityContext(entity=entity, principal=principal, access=cast(AccessLevel, level))


def entity_policy(action: str) -> EntityPolicy:
    """The dependency for an ``entity`` row, on the path's ``entity_id``."""
    return object_policy(
        action,
        "entity",
        param="entity_id",
        load=_readable_entity,
        level=_level,
        build=_context,
        not_found=entity_not_found,
    )


Child = TypeVar("Child")
Ctx = TypeVar("Ctx")


def entity_child_policy(
    parent: EntityPolicy,
    repository: type[FirmScopedRepository[Child]],
    *,
    param: str,
    build: Callable[[EntityContext, Child], Ctx],
) -> Callable[..., Awaitable[Ctx]]:
    """The dependency for a row that belongs to an entity (a share, a contact's grant, a
    group, a discussion): ``parent`` (an ``entity_policy``) decides who may; the row is found
    under that entity by ``repository`` (404 with the repository's code otherwise)."""

    async def load(
        session: AsyncSession, context: EntityContext, child_id: uuid.UUID
    ) -> Child | None:
        return await repository(session, context.principal.firm_id).get_under(
            context.entity.id, child_id
        )

    return child_policy(parent, param=param, load=load, build=build, not_found=repository.not_found)


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
