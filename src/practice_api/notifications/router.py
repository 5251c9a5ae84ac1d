from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from practice_api.core.errors import ValidationFailed, ValidationIssue, problem_responses
from practice_api.core.pagination import Listing, PageParams, page_params, page_response
from practice_api.db import SessionDep
from practice_api.events import catalogue
from practice_api.notifications import service
from practice_api.notifications.models import Notification
from practice_api.notifications.policy import CanUseOwnNotifications
from practice_api.notifications.repository import NOTIFICATION_ORDERING
from practice_api.notifications.schemas import (
    NotificationPage,
    NotificationRead,
    PreferencesRead,
    PreferencesReplace,
    ReadAllResult,
    UnreadCount,
)

router = APIRouter(prefix="/v1", tags=["notifications"])

NOTIFICATION_LISTING = Listing.of(Notification, NotificationRead)


def _event_type_enum(schema: dict[str, Any]) -> None:
    # Called when the spec is built, after every domain registered its event types.
    names = sorted(t.name for t in catalogue.event_types())
    branches = [b for b in schema.get("anyOf", [schema]) if b.get("type") == "string"]
    for branch in branches:
        branch["enum"] = names


@router.get(
    "/notifications",
    operation_id="notifications_list",
    summary="List the caller's in-app notifications, newest first",
    response_model=NotificationPage,
    responses=problem_responses(400, 401, 422),
)
async def list_notifications(
    session: SessionDep,
    principal: CanUseOwnNotifications,
    page: Annotated[PageParams, Depends(page_params)],
    order_by: str = NOTIFICATION_ORDERING.param(),
    unread: Annotated[
        bool | None, Query(description="true: only unread; false: only read; absent: all")
    ] = None,
    type: Annotated[
        str | None,
        Query(
            max_length=100,
            description="Only this event type",
            json_schema_extra=_event_type_enum,
        ),
    ] = None,
) -> Response:
    if type is not None and catalogue.get(type) is None:
        raise ValidationFailed(
            f"Unknown event type {type!r}.",
            code="unknown_event_type",
            errors=[ValidationIssue(loc=["query", "type"], msg="unknown event type", type="enum")],
        )
    rows, cursor = await service.repository(session, principal).listing(
        page, order_by, unread=unread, type=type, items=NOTIFICATION_LISTING
    )
    return page_response(NOTIFICATION_LISTING.items(rows), cursor)


@router.get(
    "/notifications/unread-count",
    operation_id="notifications_unread_count",
    summary="How many of the caller's notifications are unread",
    response_model=UnreadCount,
    responses=problem_responses(401),
)
async def unread_count(session: SessionDep, principal: CanUseOwnNotifications) -> UnreadCount:
    return UnreadCount(unread=await service.repository(session, principal).unread_count())


@router.post(
    "/notifications/read-all",
    operation_id="notifications_read_all",
    summary="Mark all of the caller's notifications read",
    response_model=ReadAllResult,
    responses=problem_responses(401),
)
async def read_all(session: SessionDep, principal: CanUseOwnNotifications) -> ReadAllResult:
    return ReadAllResult(marked_read=await service.mark_all_read(session, principal))


@router.post(
    "/notifications/{notification_id}/read",
    operation_id="notifications_mark_read",
    summary="Mark one notification read",
    response_model=NotificationRead,
    responses=problem_responses(401, 404, 422),
)
async def mark_read(
    notification_id: uuid.UUID, session: SessionDep, principal: CanUseOwnNotifications
) -> NotificationRead:
    notification = await service.mark_read(session, principal, notification_id)
    return NotificationRead.model_validate(notification)


@router.get(
    "/notification-preferences",
    operation_id="notification_preferences_get",
    summary="The caller's channels per event type (in-app, e-mail), with defaults",
    response_model=PreferencesRead,
    responses=problem_responses(401),
)
async def get_preferences(
    session: SessionDep, principal: CanUseOwnNotifications
) -> PreferencesRead:
    return await service.get_preferences(session, principal)


@router.put(
    "/notification-preferences",
    operation_id="notification_preferences_replace",
    summary="Replace the caller's channel choices (unlisted ones return to their defaults)",
    response_model=PreferencesRead,
    responses=problem_responses(400, 401, 422),
)
async def replace_preferences(
    body: PreferencesReplace, session: SessionDep, principal: CanUseOwnNotifications
) -> PreferencesRead:
    return await service.replace_preferences(session, principal, body)
