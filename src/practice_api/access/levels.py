"""The caller's access level on an entity, and the matching visibility filter.

``entity_access`` is the one answer to "what may this principal do with this entity?";
every policy (entities, owners, shares, and later contacts, files, requests) asks it.
``staff_visibility`` is the same rule as a SQL filter for lists. The two must agree: an
entity is visible exactly when its access level is not ``None``.

Levels, strongest first:

* ``admin``: a firm admin, on every entity of the firm.
* ``owner``: the responsible: the staff user linked to the entity's owner entry, or the
  creator of an entity that has no owner.
* ``editor`` / ``viewer``: a staff user the entity is shared with, by the share's role.
  The creator of an entity owned by someone else keeps ``viewer``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Literal

from sqlalchemy import ColumnElement, Select, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.auth.principals import Principal
from practice_api.entities.models import Entity
from practice_api.owners.models import Owner
from practice_api.shares.models import Share

AccessLevel = Literal["admin", "owner", "editor", "viewer"]


def staff_visibility(principal: Principal) -> ColumnElement[bool]:
    """The entities a non-admin staff user may see (firm scoping is applied separately).

    Driven from the small side: the ids of the entities the user owns, created or was
    granted, each found through its own index, rather than a test of every row of the firm.
    """
    return Entity.id.in_(union(*visible_entity_ids(principal)))


def visible_entity_ids(principal: Principal) -> list[Select[uuid.UUID]]:
    """One id query per way a staff user comes to see an entity."""
    return [
        select(Entity.id)
        .join(Owner, Owner.id == Entity.owner_id)
        .where(Owner.user_id == principal.id),
        select(Entity.id).where(Entity.created_by_id == principal.id),
        *_grant_ids(principal),
    ]


def _grant_ids(principal: Principal) -> list[Select[uuid.UUID]]:
    """Visibility granted by other tables (shares)."""
    return [select(Share.entity_id).where(Share.user_id == principal.id)]


def granted_role(principal: Principal) -> ColumnElement[str | None]:
    """The role granted to the principal on the row's entity (a correlated subquery for
    list selects, so access levels come with the page in one statement)."""
    return (
        select(Share.role)
        .where(Share.entity_id == Entity.id, Share.user_id == principal.id)
        .limit(1)
        .scalar_subquery()
    )


def row_access(
    principal: Principal,
    owner_id: uuid.UUID | None,
    owner_user_id: uuid.UUID | None,
    created_by_id: uuid.UUID | None,
    role: str | None,
) -> AccessLevel:
    """``entity_access`` for a visible list row, from the columns a list selects."""
    if principal.is_admin:
        return "admin"
    me = principal.id
    if (owner_user_id == me) if owner_id is not None else (created_by_id == me):
        return "owner"
    if role is not None:
        return "editor" if role == "editor" else "viewer"
    return "viewer"


async def _granted_roles(
    session: AsyncSession, principal: Principal, entity_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, AccessLevel]:
    """Roles granted to the principal on these entities by other tables (one statement)."""
    rows = await session.execute(
        select(Share.entity_id, Share.role).where(
            Share.user_id == principal.id, Share.entity_id.in_(entity_ids)
        )
    )
    return {entity_id: "editor" if role == "editor" else "viewer" for entity_id, role in rows}


def is_responsible(user_id: uuid.UUID, entity: Entity) -> bool:
    """The entity's owner user, or its creator while it has no owner."""
    owner = entity.owner
    if owner is not None:
        return owner.user_id == user_id
    return entity.created_by_id == user_id


async def entity_access_many(
    session: AsyncSession, principal: Principal, entities: Sequence[Entity]
) -> dict[uuid.UUID, AccessLevel | None]:
    """Access levels for many entities at a fixed cost (at most one statement)."""
    levels: dict[uuid.UUID, AccessLevel | None] = {e.id: None for e in entities}
    if principal.kind != "staff":
        return levels
    mine = [e for e in entities if e.firm_id == principal.firm_id]
    if principal.is_admin:
        levels.update({e.id: "admin" for e in mine})
        return levels
    undecided = []
    for entity in mine:
        if is_responsible(principal.id, entity):
            levels[entity.id] = "owner"
        else:
            undecided.append(entity)
    granted = (
        await _granted_roles(session, principal, [e.id for e in undecided]) if undecided else {}
    )
    for entity in undecided:
        if entity.id in granted:
            levels[entity.id] = granted[entity.id]
        elif entity.created_by_id == principal.id:
            levels[entity.id] = "viewer"
    return levels


async def entity_access(
    session: AsyncSession, principal: Principal, entity: Entity
) -> AccessLevel | None:
    """The principal's access level on ``entity``, or ``None`` when it may not see it."""
    return (await entity_access_many(session, principal, [entity]))[entity.id]
