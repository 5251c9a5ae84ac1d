from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.core.errors import Conflict
from practice_api.core.etag import check_if_match
from practice_api.core.principals import Principal
from practice_api.events.service import EventSubject, apply_changes
from practice_api.offices.models import Office
from practice_api.offices.repository import OfficeRepository
from practice_api.offices.schemas import OfficeCreate, OfficeUpdate
from practice_api.users.repository import UserRepository

OFFICE: EventSubject[Office] = EventSubject(
    "office", lambda office: {"name": office.name, "changes": {}}
)


def _name_taken() -> Conflict:
    return Conflict("An office with this name already exists.", code="office_name_taken")


async def create_office(session: AsyncSession, principal: Principal, data: OfficeCreate) -> Office:
    offices = OfficeRepository(session, principal.firm_id)
    if await offices.taken(name=data.name):
        raise _name_taken()
    office = offices.add(Office(firm_id=principal.firm_id, name=data.name, address=data.address))
    await session.flush()
    await OFFICE.record(session, "office.created", principal.actor, office)
    return office


async def update_office(
    session: AsyncSession,
    principal: Principal,
    office_id: uuid.UUID,
    data: OfficeUpdate,
    if_match: str | None,
) -> Office:
    offices = OfficeRepository(session, principal.firm_id)
    office = await offices.get_or_404(office_id)
    check_if_match(if_match, office.version)
    changes = data.changes()
    if "name" in changes and await offices.taken(name=changes["name"], except_id=office.id):
        raise _name_taken()
    diff = apply_changes(office, changes)
    await session.flush()
    if diff:
        await OFFICE.record(session, "office.updated", principal.actor, office, changes=diff)
    return office


async def delete_office(
    session: AsyncSession, principal: Principal, office_id: uuid.UUID, if_match: str | None
) -> None:
    offices = OfficeRepository(session, principal.firm_id)
    office = await offices.get_or_404(office_id)
    check_if_match(if_match, office.version)
    members = await UserRepository(session, principal.firm_id).count_in_office(office.id)
    if members:
        raise Conflict(
            f"The office still has {members} user(s); move them first.",
            code="office_not_empty",
            extra={"user_count": members},
        )
    await OFFICE.record(session, "office.deleted", principal.actor, office)
    await offices.delete(office)
