"""Reading one's notifications and choosing channels per event type."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.core.errors import ValidationFailed, ValidationIssue
from practice_api.core.principals import Principal
from practice_api.core.time import utcnow
from practice_api.events import catalogue
from practice_api.notifications.models import Notification
from practice_api.notifications.repository import NotificationRepository
from practice_api.notifications.schemas import PreferenceRead, PreferencesRead, PreferencesReplace


def repository(session: AsyncSession, principal: Principal) -> NotificationRepository:
    return NotificationRepository(session, principal.firm_id, principal.kind, principal.id)


async def mark_read(
    session: AsyncSession, principal: Principal, notification_id: uuid.UUID
) -> Notification:
    notification = await repository(session, principal).get_or_404(notification_id)
    if notification.read_at is None:
        notification.read_at = utcnow()
        await session.flush()
    return notification


async def mark_all_read(session: AsyncSession, principal: Principal) -> int:
    return await repository(session, principal).mark_all_read()


async def get_preferences(session: AsyncSession, principal: Principal) -> PreferencesRead:
    rows = await repository(session, principal).preferences()
    stored = {(p.event_type, p.channel): p.enabled for p in rows}
    frequencies = {(p.event_type, p.channel): p.frequency for p in rows}
    items: list[PreferenceRead] = []
    for event_type in catalogue.notifying_types():
        for channel in catalogue.PERSONAL_CHANNELS:
            chosen = stored.get((event_type.name, channel))
            frequency = frequencies.get((event_type.name, channel))
            items.append(
                PreferenceRead(
                    event_type=event_type.name,
                    description=event_type.description,
                    channel=channel,
                    enabled=(
                        chosen if chosen is not None else channel in event_type.default_channels
                    ),
                    frequency=(
                        None
                        if channel != "email"
                        else ("daily_digest" if frequency == "daily_digest" else "immediately")
                    ),
                    is_default=chosen is None,
                )
            )
    return PreferencesRead(items=items)


async def replace_preferences(
    session: AsyncSession, principal: Principal, data: PreferencesReplace
) -> PreferencesRead:
    known = {t.name for t in catalogue.notifying_types()}
    issues: list[ValidationIssue] = []
    seen: set[tuple[str, str]] = set()
    choices: list[tuple[str, str, bool, str | None]] = []
    for index, choice in enumerate(data.preferences):
        if choice.event_type not in known:
            issues.append(
                ValidationIssue(
                    loc=["body", "preferences", index, "event_type"],
                    msg="not an event type that notifies people",
                    type="enum",
                )
            )
        elif (choice.event_type, choice.channel) in seen:
            issues.append(
                ValidationIssue(
                    loc=["body", "preferences", index],
                    msg="this event type and channel are listed twice",
                    type="duplicate",
                )
            )
        elif choice.frequency is not None and choice.channel != "email":
            issues.append(
                ValidationIssue(
                    loc=["body", "preferences", index, "frequency"],
                    msg="only e-mail has a frequency",
                    type="value",
                )
            )
        seen.add((choice.event_type, choice.channel))
        frequency = choice.frequency if choice.frequency == "daily_digest" else None
        choices.append((choice.event_type, choice.channel, choice.enabled, frequency))
    if issues:
        raise ValidationFailed(
            "Some preferences are not valid.", code="invalid_preferences", errors=issues
        )
    await repository(session, principal).replace_preferences(choices)
    return await get_preferences(session, principal)
