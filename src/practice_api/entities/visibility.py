"""The caller's access level on an entity, and the matching visibility filter.

``entity_access`` is the one answer to "what may this principal do with this entity?";
every entity policy (``entities.policy.entity_policy``) asks it.
``staff_visibility`` is the same rule as a SQL filter: the staff branch of
``entities.repository.readable_entities`` (what a principal may read, the one statement
every list and every other domain's readable set starts from). The two must agree: an
entity is visible exactly when its access level is not ``None``.

Levels, strongest first:

* ``admin``: a firm admin, on every entity of the firm.
* ``owner``: the responsible: the staff user linked to the entity's owner entry, or the
  creator of an entity that has no owner.
* ``editor`` / ``viewer``: a staff user granted access by another domain (the shares
  domain registers its grants, ``shares.access``). The creator of an entity owned by
  someone else keeps ``viewer``.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, false, func, null, or_, select, union, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.core.principals import Principal
from practice_api.core.repository import in_ids
from practice_api.entities.models import Entity
from practice_api.owners.models import Owner

AccessLevel = Literal["admin", "owner", "editor", "viewer"]
GrantedLevel = Literal["editor", "viewer"]


@dataclass(frozen=True)
class Grant:
    """Access to entities granted by another domain's table (e.g. shares).

    ``entity_ids(principal)``: SQL, the ids of the entities granted to the principal;
    ``levels(session, principal, entity_ids)``: the level granted on each of those;
    ``row_role(principal)``: SQL, the role granted on the row's entity (``editor`` or
    another role, read as ``viewer``), correlated to ``Entity`` for list selects.
    """

    entity_ids: Callable[[Principal], Select[uuid.UUID]]
    levels: Callable[
        [AsyncSession, Principal, Sequence[uuid.UUID]], Awaitable[dict[uuid.UUID, GrantedLevel]]
    ]
    row_role: Callable[[Principal], ColumnElement[str | None]]


ContactGrant = Callable[[Principal], Select[uuid.UUID]]


class GrantRegistry:
    """The grants every entity access decision consults (filled by ``register_all()``):
    ``grants`` give staff users access (shares); ``contact_grants`` answer the ids of the
    entities a portal contact has access to (the contacts domain's entity access)."""

    def __init__(self) -> None:
        self.grants: list[Grant] = []
        self.contact_grants: list[ContactGrant] = []

    def add(self, grant: Grant) -> None:
        if grant not in self.grants:
            self.grants.append(grant)

    def add_contact_grant(self, entity_ids: ContactGrant) -> None:
        if entity_ids not in self.contact_grants:
            self.contact_grants.append(entity_ids)


GRANTS = GrantRegistry()


def staff_visibility(principal: Principal, *, few: bool = True) -> ColumnElement[bool]:
    """The entities a non-admin staff user may see (firm scoping is applied separately).

    ``few`` (the user sees few entities): driven from the small side, the ids the user
    owns, created or was granted, each found through its own index, then sorted. Otherwise
    the same rule as a filter (hashed subplans), so a list walks its ordering's index and
    stops after a page. ``EntityRepository.list_page`` picks by counting (bounded).
    """
    if few:
        return in_ids(Entity.id, union(*visible_entity_ids(principal)))
    return or_(
        Entity.owner_id.in_(select(Owner.id).where(Owner.user_id == principal.id)),
        Entity.created_by_id == principal.id,
        *(Entity.id.in_(ids) for ids in _grant_ids(principal)),
    )


def visible_entity_ids(principal: Principal) -> list[Select[uuid.UUID]]:
    """One id query per way a staff user comes to see an entity."""
    return [
        select(Entity.id)
        .join(Owner, Owner.id == Entity.owner_id)
        .where(Owner.user_id == principal.id),
        select(Entity.id).where(Entity.created_by_id == principal.id),
        *_grant_ids(principal),
    ]


def few_visible_entities(principal: Principal, threshold: int) -> Select[Any]:
    """Whether the user sees fewer than ``threshold`` entities (counting stops there)."""
    sample = union_all(*visible_entity_ids(principal)).limit(threshold).subquery()
    return select(func.count() < threshold).select_from(sample)


def contact_entity_ids(principal: Principal) -> Select[uuid.UUID] | None:
    """The ids of the entities a contact has access to (``None``: nothing grants any)."""
    found = [entity_ids(principal) for entity_ids in GRANTS.contact_grants]
    if not found:
        return None
    return found[0] if len(found) == 1 else select(union(*found).subquery().c[0])


def _grant_ids(principal: Principal) -> list[Select[uuid.UUID]]:
    """Visibility granted by other tables (the registered grants)."""
    return [grant.entity_ids(principal) for grant in GRANTS.grants]


def granted_role(principal: Principal) -> ColumnElement[str | None]:
    """The role granted to the principal on the row's entity (a correlated subquery for
    list selects, so access levels come with the page in one statement)."""
    roles = [grant.row_role(principal) for grant in GRANTS.grants]
    if not roles:
        return null()  # type: ignore[return-value]
    return roles[0] if len(roles) == 1 else func.coalesce(*roles)


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


def _grant_clauses(principal: Principal) -> list[ColumnElement[bool]]:
    """Visibility granted by other tables (the registered grants)."""
    return [Entity.id.in_(grant.entity_ids(principal)) for grant in GRANTS.grants]


def granted_to(principal: Principal) -> ColumnElement[bool]:
    """The entities another table grants the principal (e.g. shared with them)."""
    clauses = _grant_clauses(principal)
    return or_(*clauses) if clauses else false()


async def _granted_roles(
    session: AsyncSession, principal: Principal, entity_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, AccessLevel]:
    """Levels granted to the principal on these entities by other tables (one statement
    per grant; the strongest wins)."""
    found: dict[uuid.UUID, AccessLevel] = {}
    for grant in GRANTS.grants:
        for entity_id, level in (await grant.levels(session, principal, entity_ids)).items():
            if found.get(entity_id) != "editor":
                found[entity_id] = level
    return found


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
