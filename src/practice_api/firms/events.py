"""Event types of the firm, and what the dispatcher reads about a firm (name, time zone)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.events.catalogue import IN_APP, ChangesPayload, EventType, text
from practice_api.events.registry import EventRegistry
from practice_api.firms.models import Firm
from practice_api.users.events import firm_admins


class FirmUpdated(ChangesPayload):
    name: str


TYPES = [
    EventType(
        "firm.updated",
        "The firm's name or settings changed.",
        FirmUpdated,
        text("{actor} changed the firm settings of {name}"),
        firm_admins,
        IN_APP,
        audience_text="the firm's admins",
        link="firm",
    ),
]


async def firm_names(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    rows = await session.execute(select(Firm.id, Firm.name).where(Firm.id.in_(set(ids))))
    return {row.id: row.name for row in rows}


async def firm_time_zones(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    rows = await session.execute(select(Firm.id, Firm.time_zone).where(Firm.id.in_(set(ids))))
    return {row.id: row.time_zone for row in rows}


async def digest_schedules(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[str, int]]:
    """Each firm's time zone and the local hour its daily digests go out."""
    rows = await session.execute(
        select(Firm.id, Firm.time_zone, Firm.digest_hour).where(Firm.id.in_(set(ids)))
    )
    return {row.id: (row.time_zone or "UTC", row.digest_hour or 0) for row in rows}


def register(events: EventRegistry) -> None:
    events.event_types(TYPES)
    events.lookup("firm_names", firm_names)
    events.lookup("firm_time_zones", firm_time_zones)
    events.digest_schedules(digest_schedules)
