"""Entities (client profiles): create, change, change owner, delete or archive."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.core.errors import Conflict, ValidationFailed, ValidationIssue
from practice_api.core.etag import check_if_match
from practice_api.core.principals import Principal
from practice_api.core.time import utcnow
from practice_api.entities.dependents import count_dependents
from practice_api.entities.models import Entity
from practice_api.entities.policy import EntityContext
from practice_api.entities.repository import EntityRepository
from practice_api.entities.schemas import EntityCreate, EntityUpdate, OwnerAssignment
from practice_api.events.service import EventSubject
from practice_api.offices.repository import OfficeRepository
from practice_api.owners.models import Owner
from practice_api.owners.repository import OwnerRepository
from practice_api.owners.service import check_active, owner_ref, ownership_required

ENTITY: EventSubject[Entity] = EventSubject("entity", lambda entity: {}, entity=lambda e: e.id)


def _ref_taken() -> Conflict:
    return Conflict(
        "Another entity of the firm has this external reference.", code="external_ref_taken"
    )


def _owner_required(loc: list[str]) -> ValidationFailed:
    return ValidationFailed(
        "The firm requires a client owner on every entity; give owner_id.",
        code="owner_required",
        errors=[ValidationIssue(loc=list(loc), msg="owner required", type="missing")],
    )


async def _owner(session: AsyncSession, firm_id: uuid.UUID, owner_id: uuid.UUID) -> Owner:
    owner = await OwnerRepository(session, firm_id).get(owner_id)
    if owner is None:
        raise ValidationFailed(
            "No owner with that id in this firm.",
            code="owner_not_found",
            errors=[ValidationIssue(loc=["body", "owner_id"], msg="unknown owner", type="ref")],
        )
    check_active(owner, ["body", "owner_id"])
    return owner


async def _check_office(session: AsyncSession, firm_id: uuid.UUID, office_id: uuid.UUID) -> None:
    if await OfficeRepository(session, firm_id).get(office_id) is None:
        raise ValidationFailed(
            "The office does not exist in this firm.",
            code="office_not_found",
            errors=[ValidationIssue(loc=["body", "office_id"], msg="unknown office", type="ref")],
        )


def _json(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value


async def create_entity(session: AsyncSession, principal: Principal, data: EntityCreate) -> Entity:
    entities = EntityRepository(session, principal)
    owner = None
    if data.owner_id is not None:
        owner = await _owner(session, principal.firm_id, data.owner_id)
    elif await ownership_required(session, principal.firm_id):
        raise _owner_required(["body", "owner_id"])
    if data.office_id is not None:
        await _check_office(session, principal.firm_id, data.office_id)
    if data.external_ref is not None and await entities.taken(external_ref=data.external_ref):
        raise _ref_taken()
    values = data.model_dump(exclude={"owner_id"})
    if values.get("email"):
        values["email"] = values["email"].lower()
    entity = entities.add(
        Entity(firm_id=principal.firm_id, created_by_id=principal.id, owner=owner, **values)
    )
    await session.flush()
    await ENTITY.record(
        session,
        "entity.created",
        principal.actor,
        entity,
        name=entity.name,
        kind=entity.kind,
        owner=owner_ref(owner),
    )
    return entity


async def update_entity(
    session: AsyncSession, context: EntityContext, data: EntityUpdate, if_match: str | None
) -> Entity:
    entity, principal = context.entity, context.principal
    check_if_match(if_match, entity.version)
    changes = data.changes()
    if changes.get("email"):
        changes["email"] = changes["email"].lower()
    if changes.get("office_id") is not None:
        await _check_office(session, principal.firm_id, changes["office_id"])
    ref = changes.get("external_ref")
    if ref is not None and await EntityRepository(session, principal).taken(
        external_ref=ref, except_id=entity.id
    ):
        raise _ref_taken()
    diff = {
        field: {"old": _json(getattr(entity, field)), "new": _json(value)}
        for field, value in changes.items()
        if getattr(entity, field) != value
    }
    if not diff:
        return entity
    if "status" in diff:
        entity.archived_at = utcnow() if changes["status"] == "archived" else None
    for field, value in changes.items():
        setattr(entity, field, value)
    await session.flush()
    await ENTITY.record(session, "entity.updated", principal.actor, entity, changes=diff)
    if diff.get("status", {}).get("new") == "archived":
        await _archived_event(session, principal, entity, reason="updated")
    return entity


async def change_owner(
    session: AsyncSession, context: EntityContext, data: OwnerAssignment, if_match: str | None
) -> Entity:
    entity, principal = context.entity, context.principal
    check_if_match(if_match, entity.version)
    old = entity.owner
    new = None
    if data.owner_id is not None:  # null: unowned (only creating requires an owner)
        new = await _owner(session, principal.firm_id, data.owner_id)
    if (old.id if old else None) == (new.id if new else None):
        return entity
    entity.owner = new
    await session.flush()
    await ENTITY.record(
        session,
        "entity.owner_changed",
        principal.actor,
        entity,
        old=owner_ref(old),
        new=owner_ref(new),
        reason="changed",
    )
    return entity


async def _archived_event(
    session: AsyncSession,
    principal: Principal,
    entity: Entity,
    *,
    reason: str,
    dependents: dict[str, int] | None = None,
) -> None:
    await ENTITY.record(
        session,
        "entity.archived",
        principal.actor,
        entity,
        reason=reason,
        dependents=dependents or {},
    )


async def delete_entity(
    session: AsyncSession, context: EntityContext, if_match: str | None
) -> Entity | None:
    """Delete the entity, or archive it when it has dependents; returns it when archived."""
    entity, principal = context.entity, context.principal
    check_if_match(if_match, entity.version)
    dependents = await count_dependents(session, entity.id)
    if dependents:
        if entity.status != "archived":
            entity.status = "archived"
            entity.archived_at = utcnow()
            await session.flush()
            await _archived_event(
                session, principal, entity, reason="delete_requested", dependents=dependents
            )
        return entity
    await ENTITY.record(
        session,
        "entity.deleted",
        principal.actor,
        entity,
        name=entity.name,
        external_ref=entity.external_ref,
    )
    await session.delete(entity)
    await session.flush()
    return None
