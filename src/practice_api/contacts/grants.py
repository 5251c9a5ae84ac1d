"""A contact's access to entities (client authorization): grant, change, revoke."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.access.sessions import revoke_sessions
from practice_api.contacts.models import EntityContact
from practice_api.contacts.repository import ContactRepository, GrantRepository, GroupRepository
from practice_api.contacts.schemas import EntityContactPut
from practice_api.core.etag import check_if_match
from practice_api.entities.policy import EntityContext
from practice_api.events.service import EventSubject

GRANT: EventSubject[EntityContact] = EventSubject(
    "contact",  # a grant's events are about its contact, on the grant's entity
    lambda grant: {
        "contact_id": grant.contact_id,
        "contact_name": grant.contact.name,
        "role": grant.role,
    },
    entity=lambda grant: grant.entity_id,
    subject_id=lambda grant: grant.contact_id,
)


async def put_grant(
    session: AsyncSession, context: EntityContext, contact_id: uuid.UUID, data: EntityContactPut
) -> tuple[EntityContact, bool]:
    """Grant or change a contact's access; ``True`` when the access is new."""
    principal, entity = context.principal, context.entity
    contact = await ContactRepository(session, principal.firm_id).get_or_404(contact_id)
    grants = GrantRepository(session, principal.firm_id)
    grant = await grants.find(entity.id, contact.id)
    if grant is None:
        grant = grants.add(
            EntityContact(
                firm_id=principal.firm_id,
                entity_id=entity.id,
                contact=contact,
                role=data.role,
                granted_by_id=principal.id,
            )
        )
        await session.flush()
        await GRANT.record(session, "entity_contact.granted", principal.actor, grant)
        return grant, True
    if grant.role != data.role:
        diff = {"role": {"old": grant.role, "new": data.role}}
        grant.role = data.role
        await session.flush()
        await GRANT.record(session, "entity_contact.updated", principal.actor, grant, changes=diff)
    return grant, False


async def delete_grant(
    session: AsyncSession, context: EntityContext, grant: EntityContact, if_match: str | None
) -> None:
    check_if_match(if_match, grant.version)
    principal = context.principal
    await GroupRepository(session, principal.firm_id).remove_member_from_entity(
        grant.entity_id, grant.contact_id
    )
    remaining = await GrantRepository(session, principal.firm_id).entity_ids_of(grant.contact_id)
    last = remaining == [grant.entity_id]
    if last:
        await revoke_sessions(session, "contact", grant.contact_id, "last_access_removed")
    await GRANT.record(
        session, "entity_contact.revoked", principal.actor, grant, sessions_ended=last
    )
    await session.delete(grant)
    await session.flush()
