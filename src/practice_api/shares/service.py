"""Sharing an entity with colleagues: one at a time, or many with many (admins)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.core.errors import Conflict, NotFound, ValidationFailed
from practice_api.core.etag import check_if_match
from practice_api.core.principals import Principal
from practice_api.entities.models import Entity
from practice_api.entities.policy import EntityContext
from practice_api.entities.visibility import is_responsible
from practice_api.events import bulk
from practice_api.events.service import EventSubject
from practice_api.shares.audience import BULK_SHARE
from practice_api.shares.models import Share
from practice_api.shares.repository import ShareRepository
from practice_api.shares.schemas import BulkShare, BulkShareResult, ShareCreate, ShareUpdate
from practice_api.users.models import User
from practice_api.users.repository import UserRepository


@dataclass(frozen=True)
class ShareContext:
    """A share the caller reached through its entity, with the caller's entity access."""

    entity: EntityContext
    share: Share


def _user_not_found(ids: Sequence[uuid.UUID] = ()) -> NotFound:
    return NotFound(
        "No staff user with that id in this firm.",
        code="user_not_found",
        extra={"user_ids": [str(i) for i in ids]} if ids else None,
    )


# The shared user is told (in-app, and by e-mail if they asked) from these events.
SHARE: EventSubject[Share] = EventSubject(
    "share",
    lambda share: {
        "share_id": str(share.id),
        "user_id": str(share.user_id),
        "user_name": share.user.name,
        "role": share.role,
        "notifications": list(share.notifications),
        "recipient_user_id": str(share.user_id),
    },
    entity=lambda share: share.entity_id,
)


async def create_share(session: AsyncSession, context: EntityContext, data: ShareCreate) -> Share:
    entity, principal = context.entity, context.principal
    user = await UserRepository(session, principal.firm_id).get(data.user_id)
    if user is None:
        raise _user_not_found()
    if is_responsible(user.id, entity):
        raise Conflict(
            "This user is the entity's responsible and already has full access.",
            code="share_with_responsible",
        )
    shares = ShareRepository(session, principal.firm_id)
    if await shares.taken(entity_id=entity.id, user_id=user.id):
        raise Conflict("The entity is already shared with this user.", code="share_exists")
    share = shares.add(
        Share(
            firm_id=principal.firm_id,
            entity_id=entity.id,
            user=user,
            role=data.role,
            notifications=list(dict.fromkeys(data.notifications)),
            shared_by_id=principal.id,
        )
    )
    await session.flush()
    await SHARE.record(session, "share.created", principal.actor, share)
    return share


async def update_share(
    session: AsyncSession, context: ShareContext, data: ShareUpdate, if_match: str | None
) -> Share:
    share, principal = context.share, context.entity.principal
    check_if_match(if_match, share.version)
    changes = data.changes()
    if "notifications" in changes:
        changes["notifications"] = list(dict.fromkeys(changes["notifications"]))
    diff = {
        field: {"old": getattr(share, field), "new": value}
        for field, value in changes.items()
        if getattr(share, field) != value
    }
    if diff:
        for field, value in changes.items():
            setattr(share, field, value)
        await session.flush()
        await SHARE.record(session, "share.updated", principal.actor, share, changes=diff)
    return share


async def delete_share(session: AsyncSession, context: ShareContext, if_match: str | None) -> None:
    share, principal = context.share, context.entity.principal
    check_if_match(if_match, share.version)
    await SHARE.record(session, "share.deleted", principal.actor, share)
    await session.delete(share)
    await session.flush()


async def bulk_share(
    session: AsyncSession, principal: Principal, data: BulkShare
) -> BulkShareResult:
    """Share every listed entity with every listed user, all or nothing.

    Repeating the call changes nothing (existing shares already as asked count as
    ``unchanged``); a share with another role or notifications is brought to the asked one.
    """
    entity_ids = list(dict.fromkeys(data.entity_ids))
    user_ids = list(dict.fromkeys(data.user_ids))
    if len(entity_ids) * len(user_ids) > 10_000:
        raise ValidationFailed("At most 10,000 entity-user pairs per call.", code="bulk_too_large")
    entities = (
        (
            await session.execute(
                select(Entity).where(Entity.firm_id == principal.firm_id, Entity.id.in_(entity_ids))
            )
        )
        .unique()
        .scalars()
        .all()
    )
    if len(entities) != len(entity_ids):
        found = {e.id for e in entities}
        raise NotFound(
            "Some entities do not exist in this firm; nothing was shared.",
            code="entity_not_found",
            extra={"entity_ids": [str(i) for i in entity_ids if i not in found]},
        )
    users = (
        await session.scalars(
            select(User).where(User.firm_id == principal.firm_id, User.id.in_(user_ids))
        )
    ).all()
    if len(users) != len(user_ids):
        found = {u.id for u in users}
        raise _user_not_found([i for i in user_ids if i not in found])

    result = BulkShareResult(created=0, updated=0, unchanged=0, skipped_responsible=0)
    async with bulk.one_summary_per_recipient(
        session, action=BULK_SHARE, firm_id=principal.firm_id, actor=principal.actor
    ):
        await _share_pairs(session, principal, data, entities, users, result)
    return result


async def _share_pairs(
    session: AsyncSession,
    principal: Principal,
    data: BulkShare,
    entities: Sequence[Entity],
    users: Sequence[User],
    result: BulkShareResult,
) -> None:
    shares = ShareRepository(session, principal.firm_id)
    entity_ids, user_ids = [e.id for e in entities], [u.id for u in users]
    existing = await shares.for_pairs(entity_ids, user_ids)
    notifications: list[str] = list(dict.fromkeys(data.notifications))
    for entity in sorted(entities, key=lambda e: (e.name.lower(), e.id)):  # as summaries list
        for user in sorted(users, key=lambda u: u.id):
            if is_responsible(user.id, entity):
                result.skipped_responsible += 1
                continue
            share = existing.get((entity.id, user.id))
            if share is None:
                share = shares.add(
                    Share(
                        firm_id=principal.firm_id,
                        entity_id=entity.id,
                        user=user,
                        role=data.role,
                        notifications=notifications,
                        shared_by_id=principal.id,
                    )
                )
                await session.flush()
                await SHARE.record(session, "share.created", principal.actor, share)
                result.created += 1
                continue
            diff = {
                field: {"old": getattr(share, field), "new": value}
                for field, value in (("role", data.role), ("notifications", notifications))
                if getattr(share, field) != value
            }
            if not diff:
                result.unchanged += 1
                continue
            share.role, share.notifications = data.role, notifications
            await session.flush()
            await SHARE.record(session, "share.updated", principal.actor, share, changes=diff)
            result.updated += 1
