"""Discussions on an entity: staff start them and share them with contact groups; staff
and the contacts of those groups comment. Staff attach files of the entity to a
discussion or a comment; contacts attach the files they uploaded to the entity to their
comments (``_check_attachments``). The portal offers attached files to every contact who
can read the discussion (``repository.attached_for_contact``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.contacts.models import ContactGroup
from practice_api.core.errors import ValidationFailed, ValidationIssue
from practice_api.core.etag import check_if_match
from practice_api.core.principals import Principal
from practice_api.core.time import utcnow
from practice_api.discussions.models import (
    Discussion,
    DiscussionAttachment,
    DiscussionComment,
    DiscussionGroup,
)
from practice_api.discussions.repository import DiscussionRepository
from practice_api.discussions.schemas import CommentCreate, DiscussionCreate, DiscussionUpdate
from practice_api.entities.policy import EntityContext
from practice_api.events.service import EventSubject, apply_changes
from practice_api.files.models import FileDocument, StoredFile


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


async def _check_attachments(
    session: AsyncSession, principal: Principal, entity_id: uuid.UUID, ids: list[uuid.UUID]
) -> list[uuid.UUID]:
    """The files may be attached: live files of the same entity and firm; for a contact,
    only the files it uploaded (the first version is its upload). Otherwise 422."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return []
    statement = select(FileDocument.id).where(
        FileDocument.firm_id == principal.firm_id,
        FileDocument.entity_id == entity_id,
        FileDocument.deleted_at.is_(None),
        FileDocument.id.in_(wanted),
    )
    if principal.kind == "contact":
        statement = statement.where(
            exists(
                select(StoredFile.id).where(
                    StoredFile.document_id == FileDocument.id,
                    StoredFile.number == 1,
                    StoredFile.uploaded_by_kind == "contact",
                    StoredFile.uploaded_by_id == principal.id,
                )
            )
        )
    found = set((await session.scalars(statement)).all())
    missing = [i for i in wanted if i not in found]
    if missing:
        detail = (
            "Contacts can attach only files they uploaded to the discussion's entity."
            if principal.kind == "contact"
            else "Only files of the discussion's entity can be attached."
        )
        raise ValidationFailed(
            detail,
            code="attachment_not_allowed",
            errors=[
                ValidationIssue(loc=["body", "attachments"], msg=f"{i}: not allowed", type="file")
                for i in missing
            ],
        )
    return wanted


def _attach(
    session: AsyncSession,
    principal: Principal,
    discussion: Discussion,
    file_ids: list[uuid.UUID],
    comment_id: uuid.UUID | None = None,
) -> None:
    session.add_all(
        [
            DiscussionAttachment(
                firm_id=discussion.firm_id,
                discussion_id=discussion.id,
                comment_id=comment_id,
                file_id=file_id,
                attached_by_kind=principal.kind,
                attached_by_id=principal.id,
            )
            for file_id in file_ids
        ]
    )


DISCUSSION: EventSubject[Discussion] = EventSubject(
    "discussion",
    lambda discussion: {"discussion_id": discussion.id, "subject": discussion.subject},
    entity=lambda discussion: discussion.entity_id,
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
    files = await _check_attachments(session, principal, entity.id, data.attachments)
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
    _attach(session, principal, discussion, files)
    await session.flush()
    await DISCUSSION.record(
        session, "discussion.created", principal.actor, discussion, group_ids=groups
    )
    return discussion


async def update_discussion(
    session: AsyncSession, context: DiscussionContext, data: DiscussionUpdate, if_match: str | None
) -> Discussion:
    discussion, principal = context.discussion, context.entity.principal
    check_if_match(if_match, discussion.version)
    changes = data.changes()
    new_groups = changes.pop("group_ids", None)
    diff = apply_changes(discussion, changes)
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
        await DISCUSSION.record(
            session,
            "discussion.updated",
            principal.actor,
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
    await DISCUSSION.record(
        session, "discussion.deleted", context.entity.principal.actor, discussion
    )
    await session.delete(discussion)
    await session.flush()


async def add_comment(
    session: AsyncSession, principal: Principal, discussion: Discussion, data: CommentCreate
) -> DiscussionComment:
    """A comment by staff or by a contact; the other side is notified."""
    files = await _check_attachments(session, principal, discussion.entity_id, data.attachments)
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
    if files:
        _attach(session, principal, discussion, files, comment.id)
        await session.flush()
    await DISCUSSION.record(
        session,
        "discussion.comment_created",
        principal.actor,
        discussion,
        comment_id=comment.id,
        author_kind=principal.kind,
        excerpt=data.body[:200],
    )
    return comment
