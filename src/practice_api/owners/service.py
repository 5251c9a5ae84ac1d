"""The owner list (address book) and moving entities between owners.

Removing an owner, deleting a user who is an owner, and the bulk transfer share one rule:
the owner's entities go to ``transfer_to``, or stay unowned with ``transfer=none`` (also
while the firm requires client ownership: only creating an entity requires an owner);
without a choice, an owner that still owns entities answers 409 with the count. A split
handover divides them among several owners. Each move is one transaction: all or nothing,
with one notification per person (``events.bulk``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.core.errors import Conflict, ValidationFailed, ValidationIssue
from practice_api.core.etag import check_if_match
from practice_api.core.principals import Principal
from practice_api.entities.models import Entity
from practice_api.entities.repository import FirmEntities
from practice_api.events import bulk
from practice_api.events.service import EventSubject, record_event
from practice_api.firms.models import Firm
from practice_api.owners.models import Owner
from practice_api.owners.notifications import TRANSFER
from practice_api.owners.repository import OwnerRepository
from practice_api.owners.schemas import (
    HandoverGroupResult,
    HandoverResult,
    OwnerCreate,
    OwnerHandover,
    OwnerTransfer,
    OwnerUpdate,
)
from practice_api.users.models import User
from practice_api.users.repository import UserRepository


def owner_ref(owner: Owner | None) -> dict[str, Any] | None:
    """How an owner appears in event payloads."""
    if owner is None:
        return None
    return {"id": str(owner.id), "name": owner.display_name, "user_id": _str(owner.user_id)}


def _str(value: uuid.UUID | None) -> str | None:
    return str(value) if value is not None else None


OWNER: EventSubject[Owner] = EventSubject("owner", lambda owner: {"owner": owner_ref(owner)})


def _owner_exists(existing: Owner) -> Conflict:
    return Conflict(
        "This user is already on the owner list.",
        code="owner_exists",
        extra={"owner_id": str(existing.id)},
    )


async def ownership_required(session: AsyncSession, firm_id: uuid.UUID) -> bool:
    firm = await session.get(Firm, firm_id)
    return bool(firm is not None and firm.client_ownership_enabled)


async def create_owner(session: AsyncSession, principal: Principal, data: OwnerCreate) -> Owner:
    owners = OwnerRepository(session, principal.firm_id)
    users = UserRepository(session, principal.firm_id)
    if data.user_id is not None:
        user = await users.get(data.user_id)
        if user is None:
            raise ValidationFailed(
                "No staff user with that id in this firm.",
                code="user_not_found",
                errors=[ValidationIssue(loc=["body", "user_id"], msg="unknown user", type="ref")],
            )
    else:
        user = (
            await session.scalar(users.readable().where(User.email == data.email.lower()))
            if data.email
            else None
        )
    if user is not None:
        existing = await owners.for_user(user.id)
        if existing is not None:
            raise _owner_exists(existing)
        owner = Owner(firm_id=principal.firm_id, user_id=user.id, name=user.name, email=user.email)
    else:
        assert data.name is not None
        owner = Owner(
            firm_id=principal.firm_id,
            name=data.name,
            email=data.email.lower() if data.email else None,
        )
    owners.add(owner)
    await session.flush()
    await session.refresh(owner, ["user"])
    await OWNER.record(session, "owner.created", principal.actor, owner)
    return owner


async def update_owner(
    session: AsyncSession,
    principal: Principal,
    owner_id: uuid.UUID,
    data: OwnerUpdate,
    if_match: str | None,
) -> Owner:
    owner = await OwnerRepository(session, principal.firm_id).get_or_404(owner_id)
    check_if_match(if_match, owner.version)
    changes = data.changes()
    if owner.user_id is not None and changes:
        raise ValidationFailed(
            "This owner is a staff user; change the user instead.", code="owner_is_user"
        )
    if changes.get("email"):
        changes["email"] = changes["email"].lower()
    diff = {
        field: {"old": getattr(owner, field), "new": value}
        for field, value in changes.items()
        if getattr(owner, field) != value
    }
    for field, value in changes.items():
        setattr(owner, field, value)
    await session.flush()
    if diff:
        await OWNER.record(session, "owner.updated", principal.actor, owner, changes=diff)
    return owner


async def _transfer_target(
    session: AsyncSession,
    principal: Principal,
    source: Owner,
    target_id: uuid.UUID,
    loc: list[str | int],
) -> Owner:
    if target_id == source.id:
        raise ValidationFailed(
            "Entities cannot be transferred to the owner they leave.",
            code="transfer_to_same_owner",
            errors=[ValidationIssue(loc=list(loc), msg="same owner", type="value")],
        )
    target = await OwnerRepository(session, principal.firm_id).get(target_id)
    if target is None:
        raise ValidationFailed(
            "No owner with that id to transfer to.",
            code="owner_not_found",
            errors=[ValidationIssue(loc=list(loc), msg="unknown owner", type="ref")],
        )
    check_active(target, loc)
    return target


def check_active(owner: Owner, loc: list[str | int]) -> None:
    """A deactivated staff user stays on the owner list but cannot be given clients."""
    if owner.user is not None and not owner.user.is_active:
        raise ValidationFailed(
            "This owner is a deactivated user and cannot be given clients.",
            code="owner_inactive",
            errors=[ValidationIssue(loc=list(loc), msg="inactive owner", type="value")],
        )


async def move_entities(
    session: AsyncSession,
    principal: Principal,
    source: Owner,
    entities: Sequence[Entity],
    target: Owner | None,
    reason: str,
) -> int:
    """Give ``entities`` to ``target`` (None: unowned): one event per entity, one in all,
    and one notification per person (the old owner, the new one) listing the clients."""
    async with bulk.one_summary_per_recipient(
        session, action=TRANSFER, firm_id=principal.firm_id, actor=principal.actor
    ):
        for entity in sorted(entities, key=lambda e: (e.name.lower(), e.id)):  # summaries list
            entity.owner = target
            await session.flush()
            await record_event(
                session,
                type="entity.owner_changed",
                firm_id=principal.firm_id,
                actor=principal.actor,
                entity_id=entity.id,
                subject=("entity", entity.id),
                payload={"old": owner_ref(source), "new": owner_ref(target), "reason": reason},
            )
    await record_event(
        session,
        type="owners.transferred",
        firm_id=principal.firm_id,
        actor=principal.actor,
        subject=("owner", source.id),
        payload={
            "from": owner_ref(source),
            "to": owner_ref(target),
            "count": len(entities),
            "reason": reason,
        },
    )
    return len(entities)


async def transfer(
    session: AsyncSession, principal: Principal, owner_id: uuid.UUID, data: OwnerTransfer
) -> tuple[Owner, Owner, int]:
    owner = await OwnerRepository(session, principal.firm_id).get_or_404(owner_id)
    target = await _transfer_target(
        session, principal, owner, data.to_owner_id, ["body", "to_owner_id"]
    )
    wanted = list(dict.fromkeys(data.entity_ids)) if data.entity_ids is not None else None
    entities = await FirmEntities(session, principal.firm_id).owned_by(owner.id, wanted)
    if wanted is not None and len(entities) != len(wanted):
        found = {e.id for e in entities}
        missing = [str(i) for i in wanted if i not in found]
        raise ValidationFailed(
            f"{len(missing)} of the entities are not owned by this owner; nothing moved.",
            code="entities_not_owned",
            errors=[ValidationIssue(loc=["body", "entity_ids"], msg="not owned", type="ref")],
            extra={"entity_ids": missing},
        )
    moved = await move_entities(session, principal, owner, entities, target, "transfer")
    return owner, target, moved


async def handover(
    session: AsyncSession, principal: Principal, owner_id: uuid.UUID, data: OwnerHandover
) -> HandoverResult:
    """Divide an owner's entities among several owners (or none), all or nothing."""
    owner = await OwnerRepository(session, principal.firm_id).get_or_404(owner_id)
    targets: list[Owner | None] = []
    seen: dict[uuid.UUID, int] = {}
    issues: list[ValidationIssue] = []
    for index, group in enumerate(data.groups):
        for entity_id in group.entity_ids:
            if entity_id in seen and seen[entity_id] != index:
                issues.append(
                    ValidationIssue(
                        loc=["body", "groups", index, "entity_ids"],
                        msg=f"entity {entity_id} is also in group {seen[entity_id]}",
                        type="duplicate",
                    )
                )
            seen.setdefault(entity_id, index)
    if issues:
        raise ValidationFailed(
            "An entity may be in one group only; nothing moved.",
            code="handover_duplicate_entity",
            errors=issues[:50],
        )
    if len(seen) > 10_000:
        raise ValidationFailed("At most 10,000 entities per handover.", code="bulk_too_large")
    for index, group in enumerate(data.groups):
        targets.append(
            await _transfer_target(
                session,
                principal,
                owner,
                group.to_owner_id,
                ["body", "groups", index, "to_owner_id"],
            )
            if group.to_owner_id is not None
            else None
        )
    wanted = list(seen)
    entities = await FirmEntities(session, principal.firm_id).owned_by(owner.id, wanted)
    if len(entities) != len(wanted):
        found = {e.id for e in entities}
        missing = [str(i) for i in wanted if i not in found]
        raise ValidationFailed(
            f"{len(missing)} of the entities are not owned by this owner; nothing moved.",
            code="entities_not_owned",
            errors=[ValidationIssue(loc=["body", "groups"], msg="not owned", type="ref")],
            extra={"entity_ids": missing},
        )
    by_id = {e.id: e for e in entities}
    results: list[HandoverGroupResult] = []
    async with bulk.one_summary_per_recipient(
        session, action=TRANSFER, firm_id=principal.firm_id, actor=principal.actor
    ):
        for group, target in zip(data.groups, targets, strict=True):
            chosen = [by_id[i] for i in dict.fromkeys(group.entity_ids)]
            moved = await move_entities(session, principal, owner, chosen, target, "handover")
            results.append(HandoverGroupResult(to_owner_id=group.to_owner_id, moved=moved))
    return HandoverResult(
        from_owner_id=owner.id, moved=sum(r.moved for r in results), groups=results
    )


async def _release(
    session: AsyncSession,
    principal: Principal,
    owner: Owner,
    transfer_to: uuid.UUID | None,
    leave_unowned: bool,
    reason: str,
) -> None:
    """Hand the owner's entities on as the caller chose, then delete the owner entry."""
    if transfer_to is not None and leave_unowned:
        raise ValidationFailed(
            "Give transfer_to or transfer=none, not both.",
            code="transfer_choice_ambiguous",
            errors=[ValidationIssue(loc=["query", "transfer"], msg="ambiguous", type="value")],
        )
    target = (
        await _transfer_target(session, principal, owner, transfer_to, ["query", "transfer_to"])
        if transfer_to is not None
        else None
    )
    entities = await FirmEntities(session, principal.firm_id).owned_by(owner.id)
    if entities:
        if target is None and not leave_unowned:
            raise Conflict(
                f"The owner still owns {len(entities)} entities. Retry with "
                "transfer_to=<owner id> to move them, or transfer=none to leave them unowned.",
                code="owner_has_entities",
                extra={"entity_count": len(entities)},
            )
        await move_entities(session, principal, owner, entities, target, reason)
    await OWNER.record(
        session, "owner.deleted", principal.actor, owner, entities_to=owner_ref(target)
    )
    await session.delete(owner)
    await session.flush()


async def delete_owner(
    session: AsyncSession,
    principal: Principal,
    owner_id: uuid.UUID,
    *,
    transfer_to: uuid.UUID | None,
    leave_unowned: bool,
    if_match: str | None,
) -> None:
    owner = await OwnerRepository(session, principal.firm_id).get_or_404(owner_id)
    check_if_match(if_match, owner.version)
    await _release(session, principal, owner, transfer_to, leave_unowned, "owner_removed")


async def release_user(
    session: AsyncSession,
    principal: Principal,
    user_id: uuid.UUID,
    *,
    transfer_to: uuid.UUID | None,
    leave_unowned: bool,
) -> None:
    """Before a user is deleted: their owner entry goes, their entities as chosen."""
    owner = await OwnerRepository(session, principal.firm_id).for_user(user_id)
    if owner is not None:
        await _release(session, principal, owner, transfer_to, leave_unowned, "user_deleted")


async def entity_counts(
    session: AsyncSession, firm_id: uuid.UUID, owners: Sequence[Owner]
) -> dict[uuid.UUID, int]:
    counts = await FirmEntities(session, firm_id).count_owned([o.id for o in owners])
    return {o.id: counts.get(o.id, 0) for o in owners}
