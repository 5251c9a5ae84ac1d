from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import Select, and_, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.contacts.models import ContactGroup, ContactGroupMember, EntityContact
from practice_api.core.pagination import Ordering, PageParams, paginate
from practice_api.core.principals import Principal
from practice_api.core.repository import FirmScopedRepository
from practice_api.discussions.models import (
    Discussion,
    DiscussionAttachment,
    DiscussionComment,
    DiscussionGroup,
)
from practice_api.discussions.schemas import AttachmentRead, GroupRef
from practice_api.entities.repository import readable_entity_ids
from practice_api.files.models import FileDocument

DISCUSSION_ORDERING = Ordering(
    fields={
        "created_at": Discussion.created_at,
        "updated_at": Discussion.updated_at,
        "subject": Discussion.subject,
    },
    id_column=Discussion.id,
    default="-created_at",
)
COMMENT_ORDERING = Ordering(
    fields={"created_at": DiscussionComment.created_at},
    id_column=DiscussionComment.id,
    default="created_at",
)


def shared_with_contact(contact_id: uuid.UUID) -> Select[uuid.UUID]:
    """Ids of the discussions a contact may read: shared with one of its groups, on an
    entity it still has access to."""
    return (
        select(DiscussionGroup.discussion_id)
        .join(ContactGroupMember, ContactGroupMember.group_id == DiscussionGroup.group_id)
        .join(ContactGroup, ContactGroup.id == DiscussionGroup.group_id)
        .join(
            EntityContact,
            (EntityContact.entity_id == ContactGroup.entity_id)
            & (EntityContact.contact_id == ContactGroupMember.contact_id),
        )
        .where(ContactGroupMember.contact_id == contact_id)
    )


def attached_for_contact(principal: Principal) -> Select[uuid.UUID]:
    """Ids of the files attached to a discussion (or its comments) the contact may read:
    the portal offers them even when they are not otherwise shared (registered with
    ``files.repository.FILE_GRANTS`` by ``register_all()``)."""
    return select(DiscussionAttachment.file_id).where(
        DiscussionAttachment.discussion_id.in_(shared_with_contact(principal.id))
    )


class DiscussionRepository(FirmScopedRepository[Discussion]):
    model = Discussion
    not_found_code = "discussion_not_found"
    not_found_detail = "No discussion with that id on this entity."

    def on_entity(self, entity_id: uuid.UUID) -> Select[Discussion]:
        return self.readable().where(Discussion.entity_id == entity_id)

    def readable_by(self, principal: Principal) -> Select[Discussion]:
        """The discussions ``principal`` may read, as one statement: a contact those shared
        with one of its groups on an entity it still has access to; staff those on the
        entities they may read (admins: the firm's)."""
        statement = self.readable()
        if principal.kind == "contact":
            return statement.where(Discussion.id.in_(shared_with_contact(principal.id)))
        if principal.kind != "staff":
            return statement.where(false())
        if principal.is_admin:
            return statement
        return statement.where(Discussion.entity_id.in_(readable_entity_ids(principal)))

    async def groups_of(
        self, discussion_ids: Sequence[uuid.UUID], *, member: uuid.UUID | None = None
    ) -> dict[uuid.UUID, list[GroupRef]]:
        """The groups of many discussions in one statement (only ``member``'s groups if set)."""
        out: dict[uuid.UUID, list[GroupRef]] = defaultdict(list)
        if not discussion_ids:
            return out
        statement = (
            select(DiscussionGroup.discussion_id, ContactGroup.id, ContactGroup.name)
            .join(ContactGroup, ContactGroup.id == DiscussionGroup.group_id)
            .where(DiscussionGroup.discussion_id.in_(discussion_ids))
            .order_by(ContactGroup.name, ContactGroup.id)
        )
        if member is not None:
            statement = statement.where(
                ContactGroup.id.in_(
                    select(ContactGroupMember.group_id).where(
                        ContactGroupMember.contact_id == member
                    )
                )
            )
        for discussion_id, group_id, name in await self.session.execute(statement):
            out[discussion_id].append(GroupRef(id=group_id, name=name))
        return out

    async def attachments_of(
        self,
        *,
        discussion_ids: Sequence[uuid.UUID] = (),
        comment_ids: Sequence[uuid.UUID] = (),
        url: str = "/v1/files/{}/content",
    ) -> dict[uuid.UUID, list[AttachmentRead]]:
        """In one statement: the files attached to discussions themselves (keyed by the
        discussion id) and to comments (keyed by the comment id); deleted files are left
        out. ``url`` formats the download address with the file id."""
        out: dict[uuid.UUID, list[AttachmentRead]] = defaultdict(list)
        conditions = []
        if discussion_ids:
            conditions.append(
                and_(
                    DiscussionAttachment.discussion_id.in_(discussion_ids),
                    DiscussionAttachment.comment_id.is_(None),
                )
            )
        if comment_ids:
            conditions.append(DiscussionAttachment.comment_id.in_(comment_ids))
        if not conditions:
            return out
        rows = await self.session.execute(
            select(DiscussionAttachment, FileDocument)
            .join(FileDocument, FileDocument.id == DiscussionAttachment.file_id)
            .where(
                DiscussionAttachment.firm_id == self.firm_id,
                FileDocument.deleted_at.is_(None),
                or_(*conditions),
            )
            .order_by(DiscussionAttachment.created_at, DiscussionAttachment.id)
        )
        for attachment, document in rows.unique():
            current = document.current
            key = attachment.comment_id or attachment.discussion_id
            out[key].append(
                AttachmentRead(
                    id=document.id,
                    name=current.name,
                    size=current.size,
                    content_type=current.content_type,
                    content_url=url.format(document.id),
                )
            )
        return out

    def comments(self, discussion_id: uuid.UUID) -> Select[DiscussionComment]:
        return select(DiscussionComment).where(
            DiscussionComment.firm_id == self.firm_id,
            DiscussionComment.discussion_id == discussion_id,
        )

    async def comments_page(
        self, discussion_id: uuid.UUID, params: PageParams, order_by: str | None
    ) -> tuple[Sequence[DiscussionComment], str | None]:
        return await paginate(
            self.session, self.comments(discussion_id), params, COMMENT_ORDERING, order_by
        )


async def count_discussions(session: AsyncSession, entity_id: uuid.UUID) -> int:
    return int(
        await session.scalar(
            select(func.count()).select_from(Discussion).where(Discussion.entity_id == entity_id)
        )
        or 0
    )
