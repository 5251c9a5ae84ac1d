"""Who may see and change contacts, their entity access and groups (``access.matrix``).

A contact in the address book (scope ``contact_record``) is visible to every staff user of
the firm; the caller's level on it is the strongest access they have on the entities the
contact is granted on; an ungranted contact belongs to whoever created it (``owner``).
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.access.matrix import RULES
from practice_api.access.policy import firm_policy
from practice_api.access.principals import current_staff
from practice_api.contacts.models import Contact, EntityContact
from practice_api.contacts.repository import ContactRepository, GrantRepository, GroupRepository
from practice_api.contacts.service import ContactContext, GroupContext
from practice_api.core.errors import Forbidden, NotFound
from practice_api.core.principals import Principal
from practice_api.db import SessionDep
from practice_api.entities.models import Entity
from practice_api.entities.policy import EntityContext, entity_policy
from practice_api.entities.visibility import AccessLevel, entity_access_many

_STRENGTH: dict[AccessLevel, int] = {"admin": 4, "owner": 3, "editor": 2, "viewer": 1}


async def contact_access(
    session: AsyncSession, principal: Principal, contact: Contact
) -> AccessLevel:
    """The caller's level on a contact of its firm (never ``None``: the book is firm-wide)."""
    if principal.is_admin:
        return "admin"
    entities = (
        (
            await session.execute(
                select(Entity).where(
                    Entity.firm_id == principal.firm_id,
                    Entity.id.in_(
                        select(EntityContact.entity_id).where(
                            EntityContact.contact_id == contact.id
                        )
                    ),
                )
            )
        )
        .unique()
        .scalars()
        .all()
    )
    if not entities:
        return "owner" if contact.created_by_id == principal.id else "viewer"
    levels = [level for level in (await entity_access_many(session, principal, entities)).values()]
    known = [level for level in levels if level is not None]
    return max(known, key=lambda level: _STRENGTH[level]) if known else "viewer"


def contact_policy(action: str):  # type: ignore[no-untyped-def]
    rule = RULES[action]
    if rule.scope != "contact_record":
        raise ValueError(f"{action} is not a contact_record action")

    async def policy(
        contact_id: uuid.UUID,
        session: SessionDep,
        principal: Annotated[Principal, Depends(current_staff)],
    ) -> ContactContext:
        contact = await ContactRepository(session, principal.firm_id).get_or_404(contact_id)
        access = await contact_access(session, principal, contact)
        if not rule.allows(access):
            raise Forbidden(rule.forbidden_detail, code=rule.forbidden_code)
        return ContactContext(contact=contact, principal=principal, access=access)

    policy.__name__ = "can_" + action.replace(".", "_")
    return policy


can_list_contacts = firm_policy("contacts.list")
can_create_contact = firm_policy("contacts.create")
can_view_contact = contact_policy("contacts.view")
can_edit_contact = contact_policy("contacts.edit")
can_view_entity = entity_policy("entity.view")
can_authorize_contacts = entity_policy("contacts.authorize")
can_manage_contacts = entity_policy("contacts.manage")


async def _grant(
    context: EntityContext, contact_id: uuid.UUID, session: AsyncSession
) -> EntityContact:
    grant = await GrantRepository(session, context.principal.firm_id).find(
        context.entity.id, contact_id
    )
    if grant is None:
        raise NotFound(GrantRepository.not_found_detail, code=GrantRepository.not_found_code)
    return grant


async def can_view_grant(
    contact_id: uuid.UUID,
    session: SessionDep,
    context: Annotated[EntityContext, Depends(can_view_entity)],
) -> tuple[EntityContext, EntityContact]:
    return context, await _grant(context, contact_id, session)


async def can_revoke_grant(
    contact_id: uuid.UUID,
    session: SessionDep,
    context: Annotated[EntityContext, Depends(can_authorize_contacts)],
) -> tuple[EntityContext, EntityContact]:
    return context, await _grant(context, contact_id, session)


async def _group(
    context: EntityContext, group_id: uuid.UUID, session: AsyncSession
) -> GroupContext:
    group = await GroupRepository(session, context.principal.firm_id).on_entity_or_none(
        context.entity.id, group_id
    )
    if group is None:
        raise NotFound(GroupRepository.not_found_detail, code=GroupRepository.not_found_code)
    return GroupContext(entity=context, group=group)


async def can_view_group(
    group_id: uuid.UUID,
    session: SessionDep,
    context: Annotated[EntityContext, Depends(can_view_entity)],
) -> GroupContext:
    return await _group(context, group_id, session)


async def can_manage_group(
    group_id: uuid.UUID,
    session: SessionDep,
    context: Annotated[EntityContext, Depends(can_manage_contacts)],
) -> GroupContext:
    return await _group(context, group_id, session)


CanListContacts = Annotated[Principal, Depends(can_list_contacts)]
CanCreateContact = Annotated[Principal, Depends(can_create_contact)]
CanViewContact = Annotated[ContactContext, Depends(can_view_contact)]
CanEditContact = Annotated[ContactContext, Depends(can_edit_contact)]
CanViewEntity = Annotated[EntityContext, Depends(can_view_entity)]
CanAuthorizeContacts = Annotated[EntityContext, Depends(can_authorize_contacts)]
CanManageContacts = Annotated[EntityContext, Depends(can_manage_contacts)]
CanViewGrant = Annotated[tuple[EntityContext, EntityContact], Depends(can_view_grant)]
CanRevokeGrant = Annotated[tuple[EntityContext, EntityContact], Depends(can_revoke_grant)]
CanViewGroup = Annotated[GroupContext, Depends(can_view_group)]
CanManageGroup = Annotated[GroupContext, Depends(can_manage_group)]
