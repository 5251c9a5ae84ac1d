"""Policy dependencies built from the permission matrix (``access.matrix.RULES``).

``entity_policy(action)`` loads the entity named by the path's ``entity_id`` through the
caller's readable set (404 when not visible), computes the caller's access level and checks
the matrix (403 when not allowed). ``firm_policy(action)`` checks firm-wide actions.
``require`` is the same check for code that finds its entity elsewhere (a request body).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.access.firm import firm_policy
from practice_api.access.levels import AccessLevel, entity_access
from practice_api.access.matrix import RULES, Rule
from practice_api.auth.principals import Principal, current_staff
from practice_api.core.errors import Forbidden
from practice_api.db import SessionDep
from practice_api.entities.models import Entity
from practice_api.entities.repository import EntityRepository, entity_not_found


@dataclass(frozen=True)
class EntityContext:
    """What an entity policy hands the route: the entity, the caller and its access."""

    entity: Entity
    principal: Principal
    access: AccessLevel


def _rule(action: str, scope: str) -> Rule:
    rule = RULES[action]  # an unknown action fails at import time
    if rule.scope != scope:
        raise ValueError(f"{action} is a {rule.scope} action, not {scope}")
    return rule


def ensure_allowed(action: str, access: AccessLevel | None) -> AccessLevel:
    """Raise 404 when ``access`` is None, 403 when the matrix refuses ``action``."""
    rule = _rule(action, "entity")
    if access is None:
        raise entity_not_found()
    if not rule.allows(access):
        raise Forbidden(rule.forbidden_detail, code=rule.forbidden_code)
    return access


async def require(
    session: AsyncSession, principal: Principal, entity: Entity, action: str
) -> AccessLevel:
    """Check ``action`` on an already loaded entity; returns the caller's access level."""
    return ensure_allowed(action, await entity_access(session, principal, entity))


EntityPolicy = Callable[..., Awaitable[EntityContext]]


def entity_policy(action: str) -> EntityPolicy:
    _rule(action, "entity")

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


__all__ = ["EntityContext", "ensure_allowed", "entity_policy", "firm_policy", "require"]
