"""An entity's contact groups (who a discussion is shared with) and their members."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.contacts.models import ContactGroup, ContactGroupMember
from practice_api.contacts.repository import ContactRepository, GrantRepository, GroupRepository
from practice_api.contacts.schemas import ContactGroupCreate, ContactGroupUpdate
from practice_api.core.errors import Conflict, NotFound, ValidationFailed, ValidationIssue
from practice_api.core.etag import check_if_match
from practice_api.core.time import utcnow
from practice_api.entities.policy import EntityContext
from practice_api.events.service import EventSubject, apply_changes


@dataclass(frozen=True)
class GroupContext:
    entity: EntityContext
    group: ContactGroup


GROUP: EventSubject[ContactGroup] = EventSubject(
    "contact_group",
    lambda group: {
        "group_id": group.id,
        "name": group.name,
        "added_contact_ids": [],
        "removed_contact_ids": [],
        "changes": {},
    },
    entity=lambda group: group.entity_id,
)


async def _check_members(
    session: AsyncSession, entity_id: uuid.UUID, firm_id: uuid.UUID, ids: list[uuid.UUID]
) -> list[uuid.UUID]:
    wanted = list(dict.fromkeys(ids))
    allowed = await GrantRepository(session, firm_id).with_access(entity_id, wanted)
    missing = [i for i in wanted if i not in allowed]
    if missing:
        raise ValidationFailed(
            "Only contacts with access to the entity can be members of its groups.",
            code="contact_without_entity_access",
            errors=[
                ValidationIssue(loc=["body", "contact_ids"], msg=f"{i}: no access", type="access")
                for i in missing
            ],
        )
    return wanted


def _name_taken() -> Conflict:
    return Conflict(
        "The entity already has a contact group with this name.", code="group_name_taken"
    )


async def create_group(
    session: AsyncSession, context: EntityContext, data: ContactGroupCreate
) -> ContactGroup:
    principal, entity = context.principal, context.entity
    groups = GroupRepository(session, principal.firm_id)
    if await groups.taken(entity_id=entity.id, name=data.name):
        raise _name_taken()
    members = await _check_members(session, entity.id, principal.firm_id, data.contact_ids)
    group = groups.add(
        ContactGroup(
            firm_id=principal.firm_id,
            entity_id=entity.id,
            name=data.name,
            description=data.description,
        )
    )
    await session.flush()
    session.add_all([ContactGroupMember(group_id=group.id, contact_id=i) for i in members])
    await session.flush()
    await GROUP.record(
        session, "contact_group.created", principal.actor, group, added_contact_ids=members
    )
    return group


async def update_group(
    session: AsyncSession, context: GroupContext, data: ContactGroupUpdate, if_match: str | None
) -> ContactGroup:
    group = context.group
    check_if_match(if_match, group.version)
    changes = data.changes()
    groups = GroupRepository(session, group.firm_id)
    if "name" in changes and await groups.taken(
        entity_id=group.entity_id, name=changes["name"], except_id=group.id
    ):
        raise _name_taken()
    diff = apply_changes(group, changes)
    if diff:
        await session.flush()
        await GROUP.record(
            session, "contact_group.updated", context.entity.principal.actor, group, changes=diff
        )
    return group


async def delete_group(session: AsyncSession, context: GroupContext, if_match: str | None) -> None:
    check_if_match(if_match, context.group.version)
    await GROUP.record(
        session, "contact_group.deleted", context.entity.principal.actor, context.group
    )
    await session.delete(context.group)
    await session.flush()


async def add_member(session: AsyncSession, context: GroupContext, contact_id: uuid.UUID) -> bool:
    """Add a member; ``False`` when already one (nothing changes)."""
    group = context.group
    await ContactRepository(session, group.firm_id).get_or_404(contact_id)
    await _check_members(session, group.entity_id, group.firm_id, [contact_id])
    groups = GroupRepository(session, group.firm_id)
    if await groups.is_member(group.id, contact_id):
        return False
    session.add(ContactGroupMember(group_id=group.id, contact_id=contact_id))
    await _members_changed(session, context, added_contact_ids=[contact_id])
    return True


async def remove_member(
    session: AsyncSession, context: GroupContext, contact_id: uuid.UUID
) -> None:
    if not await GroupRepository(session, context.group.firm_id).remove_member(
        context.group.id, contact_id
    ):
        raise NotFound("This contact is not a member of the group.", code="member_not_found")
    await _members_changed(session, context, removed_contact_ids=[contact_id])


async def _members_changed(
    session: AsyncSession, context: GroupContext, **change: list[uuid.UUID]
) -> None:
    group = context.group
    group.updated_at = utcnow()  # bumps the version: the group's ETag covers its members
    await session.flush()
    await GROUP.record(
        session, "contact_group.updated", context.entity.principal.actor, group, **change
    )
