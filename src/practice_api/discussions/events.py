"""Event types of discussions, and who hears of them: the other side.

A staff message (a new discussion, a discussion newly shared with groups, a staff comment)
notifies the active contacts in the discussion's groups; a contact's comment notifies the
staff side: the discussion's author and the entity's owner user.
"""

from __future__ import annotations

import uuid

from pydantic import Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.contacts.models import Contact, ContactGroupMember, EntityContact
from practice_api.discussions.models import Discussion, DiscussionGroup
from practice_api.entities.events import entity_owner_user
from practice_api.events.catalogue import (
    IN_APP_AND_EMAIL,
    ChangesPayload,
    EventType,
    Payload,
    Recipient,
    text,
)
from practice_api.events.models import Event
from practice_api.events.registry import EventRegistry


class DiscussionPayload(ChangesPayload):
    discussion_id: uuid.UUID
    subject: str | None = None
    group_ids: list[uuid.UUID] = Field(
        default_factory=list, description="The contact groups it is shared with."
    )
    added_group_ids: list[uuid.UUID] = Field(
        default_factory=list, description="On update: groups it is newly shared with."
    )


class CommentPayload(Payload):
    discussion_id: uuid.UUID
    comment_id: uuid.UUID
    subject: str | None = None
    author_kind: str = Field(description="staff or contact")
    excerpt: str | None = Field(default=None, description="The comment's first 200 characters.")


async def _group_contacts(
    session: AsyncSession, event: Event, group_ids: list[uuid.UUID] | None
) -> list[Recipient]:
    """Active contacts (still with access to the entity) in the given groups."""
    if event.entity_id is None or not group_ids:
        return []
    ids = await session.scalars(
        select(Contact.id)
        .distinct()
        .join(ContactGroupMember, ContactGroupMember.contact_id == Contact.id)
        .join(
            EntityContact,
            (EntityContact.contact_id == Contact.id) & (EntityContact.entity_id == event.entity_id),
        )
        .where(
            ContactGroupMember.group_id.in_(group_ids),
            Contact.portal_status == "active",
            Contact.firm_id == event.firm_id,
        )
    )
    return [Recipient("contact", contact_id) for contact_id in ids]


def _ids(values: object) -> list[uuid.UUID]:
    out = []
    for value in values if isinstance(values, list) else []:
        try:
            out.append(uuid.UUID(str(value)))
        except ValueError:
            continue
    return out


async def discussion_contacts(session: AsyncSession, event: Event) -> list[Recipient]:
    key = "group_ids" if event.type == "discussion.created" else "added_group_ids"
    return await _group_contacts(session, event, _ids(event.payload.get(key)))


async def other_side(session: AsyncSession, event: Event) -> list[Recipient]:
    discussion_id = event.payload.get("discussion_id")
    discussion = await session.get(Discussion, uuid.UUID(str(discussion_id)))
    if discussion is None or discussion.firm_id != event.firm_id:
        return []
    if event.actor_kind == "contact":
        staff = await entity_owner_user(session, event)
        if discussion.created_by_id is not None:
            staff.append(Recipient("staff", discussion.created_by_id))
        return staff
    groups = await session.scalars(
        select(DiscussionGroup.group_id).where(DiscussionGroup.discussion_id == discussion.id)
    )
    return await _group_contacts(session, event, list(groups.all()))


TYPES = [
    EventType(
        "discussion.created",
        "A discussion was started on an entity and shared with contact groups.",
        DiscussionPayload,
        text("{actor} started the discussion {subject}"),
        discussion_contacts,
        IN_APP_AND_EMAIL,
        audience_text="the active contacts in the groups it is shared with",
        link="discussion",
    ),
    EventType(
        "discussion.updated",
        "A discussion's subject, body or groups changed.",
        DiscussionPayload,
        text("{actor} updated the discussion {subject}"),
        discussion_contacts,
        IN_APP_AND_EMAIL,
        audience_text="the active contacts in groups it is newly shared with",
        link="discussion",
    ),
    EventType(
        "discussion.deleted",
        "A discussion was deleted.",
        DiscussionPayload,
        text("{actor} deleted the discussion {subject}"),
    ),
    EventType(
        "discussion.comment_created",
        "A comment was written in a discussion, by staff or by a contact.",
        CommentPayload,
        text("{actor} commented on {subject}"),
        other_side,
        IN_APP_AND_EMAIL,
        audience_text="the other side: a contact's comment notifies the discussion's author and "
        "the entity's owner user; a staff comment notifies the active contacts of its groups",
        link="discussion",
    ),
]


def register(events: EventRegistry) -> None:
    events.event_types(TYPES)
