from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.contacts.models import ContactGroup, ContactGroupMember, EntityContact
from practice_api.core.pagination import Ordering
from practice_api.core.repository import FirmScopedRepository
from practice_api.discussions.models import Discussion, DiscussionComment, DiscussionGroup
from practice_api.discussions.schemas import GroupRef

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


class DiscussionRepository(FirmScopedRepository[Discussion]):
    model = Discussion
    not_found_code = "discussion_not_found"
    not_found_detail = "No discussion with that id on this entity."

    def on_entity(self, entity_id: uuid.UUID) -> Select[Discussion]:
        return self.readable().where(Discussion.entity_id == entity_id)

    def for_contact(self, contact_id: uuid.UUID) -> Select[Discussion]:
        return self.readable().where(Discussion.id.in_(shared_with_contact(contact_id)))

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

    def comments(self, discussion_id: uuid.UUID) -> Select[DiscussionComment]:
        return select(DiscussionComment).where(
            DiscussionComment.firm_id == self.firm_id,
            DiscussionComment.discussion_id == discussion_id,
        )


async def count_discussions(session: AsyncSession, entity_id: uuid.UUID) -> int:
    return int(
        await session.scalar(
            select(func.count()).select_from(Discussion).where(Discussion.entity_id == entity_id)
        )
        or 0
    )
