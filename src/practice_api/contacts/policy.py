"""Who may see and change contacts, their entity access and groups (``access.matrix``).

A contact in the address book (scope ``contact_record``) is visible to every staff user of
the firm; the caller's level on it is ``ContactRepository.level_of``. A contact's grant on
an entity and an entity's groups belong to the entity: its rows decide.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.access.matrix import Level
from practice_api.access.policy import firm_policy, object_policy
from practice_api.contacts.address_book import ContactContext
from practice_api.contacts.groups import GroupContext
from practice_api.contacts.models import Contact, ContactGroup, EntityContact
from practice_api.contacts.repository import ContactRepository, GrantRepository, GroupRepository
from practice_api.core.principals import Principal
from practice_api.entities.policy import EntityContext, entity_child_policy, entity_policy
from practice_api.entities.visibility import AccessLevel


async def _contact(
    session: AsyncSession, principal: Principal, contact_id: uuid.UUID
) -> Contact | None:
    return await ContactRepository(session, principal.firm_id).get(contact_id)


async def _level(session: AsyncSession, principal: Principal, contact: Contact) -> Level:
    return await ContactRepository(session, principal.firm_id).level_of(principal, contact)


def _contact_context(contact: Contact, principal: Principal, level: Level) -> ContactContext:
    access: AccessLevel = (
        "admin"
        if level == "admin"
        else "owner"
        if level == "owner"
        else ("editor" if level == "editor" else "viewer")
    )
    return ContactContext(contact=contact, principal=principal, access=access)


def contact_policy(action: str) -> Callable[..., Awaitable[ContactContext]]:
    return object_policy(
        action,
        "contact_record",
        param="contact_id",
        load=_contact,
        level=_level,
        build=_contact_context,
        not_found=ContactRepository.not_found,
    )


def _grant(context: EntityContext, grant: EntityContact) -> tuple[EntityContext, EntityContact]:
    return context, grant


def _group(context: EntityContext, group: ContactGroup) -> GroupContext:
    return GroupContext(entity=context, group=group)


can_list_contacts = firm_policy("contacts.list")
can_create_contact = firm_policy("contacts.create")
can_view_contact = contact_policy("contacts.view")
can_edit_contact = contact_policy("contacts.edit")
can_view_entity = entity_policy("entity.view")
can_authorize_contacts = entity_policy("contacts.authorize")
can_manage_contacts = entity_policy("contacts.manage")
can_view_grant = entity_child_policy(
    can_view_entity, GrantRepository, param="contact_id", build=_grant
)
can_revoke_grant = entity_child_policy(
    can_authorize_contacts, GrantRepository, param="contact_id", build=_grant
)
can_view_group = entity_child_policy(
    can_view_entity, GroupRepository, param="group_id", build=_group
)
can_manage_group = entity_child_policy(
    can_manage_contacts, GroupRepository, param="group_id", build=_group
)

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
