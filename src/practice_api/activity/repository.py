"""The activity log is the events table read back, newest first, scoped to one firm."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.core.pagination import Ordering, PageParams, paginate
from practice_api.events.models import Event

ACTIVITY_ORDERING = Ordering(
    fields={"occurred_at": Event.occurred_at}, id_column=Event.id, default="-occurred_at"
)


@dataclass(frozen=True)
class ActivityFilters:
    actor_id: uuid.UUID | None = None
    entity_id: uuid.UUID | None = None
    types: Sequence[str] = ()
    occurred_after: dt.datetime | None = None
    occurred_before: dt.datetime | None = None


def readable(firm_id: uuid.UUID) -> Select[Event]:
    return select(Event).where(Event.firm_id == firm_id)


def filtered(firm_id: uuid.UUID, filters: ActivityFilters) -> Select[Event]:
    statement = readable(firm_id)
    if filters.actor_id is not None:
        statement = statement.where(Event.actor_id == filters.actor_id)
    if filters.entity_id is not None:
        statement = statement.where(Event.entity_id == filters.entity_id)
    if filters.types:
        statement = statement.where(Event.type.in_(list(filters.types)))
    if filters.occurred_after is not None:
        statement = statement.where(Event.occurred_at >= filters.occurred_after)
    if filters.occurred_before is not None:
        statement = statement.where(Event.occurred_at < filters.occurred_before)
    return statement


async def firm_activity(
    session: AsyncSession,
    firm_id: uuid.UUID,
    filters: ActivityFilters,
    params: PageParams,
    order_by: str | None = None,
) -> tuple[Sequence[Event], str | None]:
    """One page of the firm's log (``GET /v1/activity``)."""
    return await paginate(session, filtered(firm_id, filters), params, ACTIVITY_ORDERING, order_by)


async def entity_activity(
    session: AsyncSession,
    firm_id: uuid.UUID,
    entity_id: uuid.UUID,
    params: PageParams,
    order_by: str | None = None,
    *,
    filters: ActivityFilters | None = None,
) -> tuple[Sequence[Event], str | None]:
    """One page of an entity's timeline (``GET /v1/entities/{id}/activity``).

    The caller has already checked that the principal may see the entity.
    """
    base = filters or ActivityFilters()
    scoped = ActivityFilters(
        actor_id=base.actor_id,
        entity_id=entity_id,
        types=base.types,
        occurred_after=base.occurred_after,
        occurred_before=base.occurred_before,
    )
    return await firm_activity(session, firm_id, scoped, params, order_by)
