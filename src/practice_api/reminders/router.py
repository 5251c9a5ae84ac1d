"""The firm's default reminder schedule: staff read it, admins change it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from practice_api.access.policy import firm_policy
from practice_api.core.errors import problem_responses
from practice_api.core.principals import Principal
from practice_api.db import SessionDep
from practice_api.reminders import service
from practice_api.reminders.models import ReminderDefaults
from practice_api.reminders.schemas import ReminderSettingsRead, ReminderSettingsUpdate

router = APIRouter(prefix="/v1/reminder-settings", tags=["reminders"])

CanViewSettings = Annotated[Principal, Depends(firm_policy("reminders.settings_view"))]
CanManageSettings = Annotated[Principal, Depends(firm_policy("reminders.settings_manage"))]


def _read(row: ReminderDefaults) -> ReminderSettingsRead:
    return ReminderSettingsRead(enabled=row.enabled, offsets=row.offsets, every_days=row.every_days)


@router.get(
    "",
    operation_id="reminder_settings_get",
    summary="The firm's default reminder schedule",
    description="Slots are days relative to a request's due date, in the firm's time zone; "
    "requests without a due date are reminded every `every_days` days. A request may "
    "override both. Default: `-3, -1, 0, 3, 7` and every 7 days.",
    response_model=ReminderSettingsRead,
    responses=problem_responses(401, 403),
)
async def get_settings(session: SessionDep, principal: CanViewSettings) -> ReminderSettingsRead:
    return _read(await service.firm_defaults(session, principal.firm_id))


@router.put(
    "",
    operation_id="reminder_settings_replace",
    summary="Replace the firm's default reminder schedule (admins)",
    response_model=ReminderSettingsRead,
    responses=problem_responses(401, 403, 422),
)
async def replace_settings(
    body: ReminderSettingsUpdate, session: SessionDep, principal: CanManageSettings
) -> ReminderSettingsRead:
    row = await service.update_firm_defaults(session, principal.firm_id, principal.actor, body)
    return _read(row)
