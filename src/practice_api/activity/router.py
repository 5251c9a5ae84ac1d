from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from practice_api.activity.policy import CanReadEntityActivity, CanReadFirmActivity
from practice_api.activity.repository import (
    ACTIVITY_ORDERING,
    ActivityFilters,
    ActivityRepository,
)
from practice_api.activity.schemas import ActivityPage
from practice_api.activity.service import activity_page
from practice_api.core.errors import problem_responses
from practice_api.core.pagination import PageParams, page_params
from practice_api.core.schemas import QueryDateTime
from practice_api.db import SessionDep

router = APIRouter(prefix="/v1/activity", tags=["activity"])
# An entity's timeline lives under the entity (and its tag) but is the activity domain's.
entity_router = APIRouter(prefix="/v1/entities", tags=["entities"])


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
        QueryDateTime | None, Query(description="From this time on (inclusive), RFC 3339")
    ] = None,
    occurred_before: Annotated[
        QueryDateTime | None, Query(description="Before this time (exclusive), RFC 3339")
    ] = None,
) -> ActivityPage:
    filters = ActivityFilters(
        actor_id=actor_id,
        entity_id=entity_id,
        types=type or (),
        occurred_after=occurred_after,
        occurred_before=occurred_before,
    )
    rows, cursor = await ActivityRepository(session, principal.firm_id).firm_activity(
        filters, page, order_by
    )
    return activity_page(rows, cursor)


@entity_router.get(
    "/{entity_id}/activity",
    operation_id="entities_activity",
    summary="The entity's activity timeline, newest first (whoever may see the entity)",
    response_model=ActivityPage,
    responses=problem_responses(400, 401, 403, 404, 422),
)
async def entity_activity(
    session: SessionDep,
    context: CanReadEntityActivity,
    page: Annotated[PageParams, Depends(page_params)],
    order_by: str = ACTIVITY_ORDERING.param(),
    type: Annotated[
        list[str] | None,
        Query(max_length=20, description="Event types (repeat the parameter for several)"),
    ] = None,
) -> ActivityPage:
    rows, cursor = await ActivityRepository(session, context.principal.firm_id).entity_activity(
        context.entity.id,
        page,
        order_by,
        filters=ActivityFilters(types=type or ()),
    )
    return activity_page(rows, cursor)
