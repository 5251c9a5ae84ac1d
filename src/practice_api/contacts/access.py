"""What a portal contact may reach: the one answer every portal route (and files) asks.

* ``contact_role(session, principal, entity_id)``: the contact's role on an entity
  (``viewer`` | ``contributor``) or ``None`` (not visible: answer 404).
* ``portal_entities(principal)``: the entities a contact sees, as a SQL statement.
"""

from __future__ import annotations

import uuid
from typing import Literal

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.contacts.models import EntityContact
from practice_api.core.principals import Principal
from practice_api.entities.models import Entity

ContactRole = Literal["viewer", "contributor"]


def portal_entities(principal: Principal) -> Select[Entity]:
    if principal.kind != "contact":
        return select(Entity).where(Entity.id.is_(None))
    return select(Entity).where(
        Entity.firm_id == principal.firm_id,
        Entity.id.in_(
            select(EntityContact.entity_id).where(EntityContact.contact_id == principal.id)
        ),
    )


async def contact_role(
    session: AsyncSession, principal: Principal, entity_id: uuid.UUID
) -> ContactRole | None:
    if principal.kind != "contact":
        return None
    role = await session.scalar(
        select(EntityContact.role).where(
            EntityContact.firm_id == principal.firm_id,
            EntityContact.entity_id == entity_id,
            EntityContact.contact_id == principal.id,
        )
    )
    return "contributor" if role == "contributor" else "viewer" if role else None
