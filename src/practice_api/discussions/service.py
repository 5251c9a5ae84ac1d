"""Discussions on an entity: staff start them and share them with contact groups; staff
and the contacts of those groups comment. Attachments arrive with the files API (see
``attach_files`` below)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.access.policy import EntityContext
from practice_api.auth.principals import Principal
from practice_api.contacts.models import ContactGroup
from practice_api.core.errors import ValidationFailed, ValidationIssue
from practice_api.core.etag import check_if_match
from practice_api.core.time import utcnow
from practice_api.discussions import events as _events  # noqa: F401  (registers the types)
from practice_api.discussions.models import Discussion, DiscussionComment, DiscussionGroup
from practice_api.discussions.repository import DiscussionRepository, count_discussions
from practice_api.discussions.schemas import CommentCreate, DiscussionCreate, DiscussionUpdate
from practice_api.entities.dependents import register_dependent
from practice_api.events.service import changes_between, record_event

# Client history: an entity with discussions is archived, not deleted.
register_dependent("discussions", count_discussions)


@dataclass(frozen=True)
class DiscussionContext:
    entity: EntityContext
    discussion: Discussion


async def _check_groups(
    session: AsyncSession, entity_id: uuid.UUID, ids: list[uuid.UUID]
) -> list[uuid.UUID]:
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return []
    found = set(
        (
            await session.scalars(
                select(ContactGroup.id).where(
                    ContactGroup.entity_id == entity_id, ContactGroup.id.in_(wanted)
                )
            )
        ).all()
    )
    missing = [i for i in wanted if i not in found]
    if missing:
        raise ValidationFailed(
            "Discussions can be shared only with contact groups of the same entity.",
            code="contact_group_not_found",
            errors=[
                ValidationIssue(loc=["body", "group_ids"], msg=f"{i}: unknown", type="group")
                for i in missing
            ],
        )
    return wanted


async def _event(
    session: AsyncSession, type: str, principal: Principal, discussion: Discussion, **extra: Any
) -> None:
    await record_event(
        session,
        type=type,
        firm_id=discussion.firm_id,
        actor=principal.actor,
        entity_id=discussion.entity_id,
        subject=("discussion", discussion.id),
        payload={"discussion_id": discussion.id, "subject": discussion.subject, **extra},
    )


async def group_ids(session: AsyncSession, discussion_id: uuid.UUID) -> list[uuid.UUID]:
    rows = await session.scalars(
        select(DiscussionGroup.group_id).where(DiscussionGroup.discussion_id == discussion_id)
    )
    return list(rows.all())


async def create_discussion(
    session: AsyncSession, context: EntityContext, data: DiscussionCreate
) -> Discussion:
    principal, entity = context.principal, context.entity
    groups = await _check_groups(session, entity.id, data.group_ids)
    discussion = DiscussionRepository(session, principal.firm_id).add(
        Discussion(
            firm_id=principal.firm_id,
            entity_id=entity.id,
            subject=data.subject,
            body=data.body,
            created_by_id=principal.id,
            created_by_name=principal.name,
        )
    )
    await session.flush()
    session.add_all([DiscussionGroup(discussion_id=discussion.id, group_id=g) for g in groups])
    await session.flush()
    await _event(session, "discussion.created", principal, discussion, group_ids=groups)
    return discussion


async def update_discussion(
    session: AsyncSession, context: DiscussionContext, data: DiscussionUpdate, if_match: str | None
) -> Discussion:
    discussion, principal = context.discussion, context.entity.principal
    check_if_match(if_match, discussion.version)
    changes = data.changes()
    new_groups = changes.pop("group_ids", None)
    diff = changes_between({k: getattr(discussion, k) for k in changes}, changes)
    for name, value in changes.items():
        setattr(discussion, name, value)
    added: list[uuid.UUID] = []
    current = await group_ids(session, discussion.id)
    if new_groups is not None:
        wanted = await _check_groups(session, discussion.entity_id, new_groups)
        added = [g for g in wanted if g not in current]
        removed = [g for g in current if g not in wanted]
        if removed:
            await session.execute(
                delete(DiscussionGroup).where(
                    DiscussionGroup.discussion_id == discussion.id,
                    DiscussionGroup.group_id.in_(removed),
                )
            )
        session.add_all([DiscussionGroup(discussion_id=discussion.id, group_id=g) for g in added])
        if added or removed:
            diff["group_ids"] = {"old": [str(g) for g in current], "new": [str(g) for g in wanted]}
            current = wanted
            discussion.updated_at = utcnow()
    if diff:
        await session.flush()
        await _event(
            session,
            "discussion.updated",
            principal,
            discussion,
            changes=diff,
            group_ids=current,
            added_group_ids=added,
        )
    return discussion


async def delete_discussion(
    session: AsyncSession, context: DiscussionContext, if_match: str | None
) -> None:
    discussion = context.discussion
    check_if_match(if_match, discussion.version)
    await _event(session, "discussion.deleted", context.entity.principal, discussion)
    await session.delete(discussion)
    await session.flush()


async def add_comment(
    session: AsyncSession, principal: Principal, discussion: Discussion, data: CommentCreate
) -> DiscussionComment:
    """A comment by staff or by a contact; the other side is notified."""
    comment = DiscussionComment(
        firm_id=discussion.firm_id,
        discussion_id=discussion.id,
        author_kind=principal.kind,
        author_id=principal.id,
        author_name=principal.name,
        body=data.body,
    )
    session.add(comment)
    discussion.last_comment_at = comment.created_at = utcnow()
    await session.flush()
    await record_event(
        session,
        type="discussion.comment_created",
        firm_id=discussion.firm_id,
        actor=principal.actor,
        entity_id=discussion.entity_id,
        subject=("discussion", discussion.id),
        payload={
            "discussion_id": discussion.id,
            "comment_id": comment.id,
            "subject": discussion.subject,
            "author_kind": principal.kind,
            "excerpt": data.body[:200],
        },
    )
    return comment


# Hook for the files API (issue 7): attachments on discussions and comments. Files will
# store ``discussion_id`` / ``comment_id`` on the file row; the portal may download a file
# attached to a discussion when ``contacts.access.contact_can_read_discussion`` is true.
