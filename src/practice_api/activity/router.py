from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BeforeValidator

from practice_api.activity import repository
from practice_api.activity.policy import CanReadFirmActivity
from practice_api.activity.repository import ACTIVITY_ORDERING, ActivityFilters
from practice_api.activity.schemas import ActivityPage
from practice_api.activity.service import activity_page
from practice_api.core.errors import problem_responses
from practice_api.core.pagination import PageParams, page_params
from practice_api.db import SessionDep


def _not_a_number(value: object) -> object:
    """RFC 3339 only: refuse the Unix timestamps Pydantic would otherwise accept."""
    if isinstance(value, str) and value.strip().lstrip("+-").replace(".", "", 1).isdigit():
        raise ValueError("expected an RFC 3339 date-time, e.g. 2026-01-31T09:00:00Z")
    return value


RFC3339 = Annotated[dt.datetime, BeforeValidator(_not_a_number)]

router = APIRouter(prefix="/v1/activity", tags=["activity"])


@router.get(
    "",
    operation_id="activity_list",
    summary="The firm's activity log, newest first (admins)",
    response_model=ActivityPage,
    responses=problem_responses(400, 401, 403, 422),
)
async def list_activity(
    session: SessionDep,
    principal: CanReadFirmActivity,
    page: Annotated[PageParams, Depends(page_params)],
    order_by: str = ACTIVITY_ORDERING.param(),
    actor_id: Annotated[uuid.UUID | None, Query(description="Who did it")] = None,
    entity_id: Annotated[uuid.UUID | None, Query(description="Which entity it concerns")] = None,
    type: Annotated[
        list[str] | None,
        Query(max_length=20, description="Event types (repeat the parameter for several)"),
    ] = None,
    occurred_after: Annotated[
        RFC3339 | None, Query(description="From this time on (inclusive), RFC 3339")
    ] = None,
    occurred_before: Annotated[
        RFC3339 | None, Query(description="Before this time (exclusive), RFC 3339")
    ] = None,
) -> ActivityPage:
    filters = ActivityFilters(
        actor_id=actor_id,
        entity_id=entity_id,
        types=type or (),
        occurred_after=_aware(occurred_after),
        occurred_before=_aware(occurred_before),
    )
    rows, cursor = await repository.firm_activity(
        session, principal.firm_id, filters, page, order_by
    )
    return activity_page(rows, cursor)


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """Times without a zone are read as UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value
