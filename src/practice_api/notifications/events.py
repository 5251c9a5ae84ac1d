"""The ``in_app`` delivery channel and the recipients' channel choices (preferences)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import Table, insert, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.core.ids import new_id
from practice_api.events import channels
from practice_api.events.catalogue import Recipient
from practice_api.events.channels import DeliveryChannel, Job, Outcome, Senders
from practice_api.events.outbox import Choice
from practice_api.events.registry import EventRegistry
from practice_api.notifications.models import Notification, NotificationPreference
from practice_api.settings import Settings

NOTIFICATIONS: Table = Notification.__table__  # type: ignore[assignment]


async def send_in_app(job: Job, _senders: Senders) -> Outcome:
    if job.address is None:
        return Outcome("cancelled", "the recipient no longer exists")
    return Outcome("delivered")  # written with the outcome, in one transaction


async def write_notifications(
    session: AsyncSession, delivered: Sequence[tuple[Job, dt.datetime]], settings: Settings
) -> None:
    """A recorded batch's notifications in one multi-row INSERT. No look-up first: the
    dispatcher calls this only for rows whose outcome it just recorded under its own claim,
    in this transaction, so no earlier claim can have written one (and delivery_id is
    unique): exactly once."""
    rows: list[dict[str, object]] = []
    for job, moment in delivered:
        if job.recipient_kind is None or job.recipient_id is None:
            continue
        event = job.event
        message = channels.rendered(job, settings, layout=False)
        rows.append(
            {
                "id": new_id(),
                "firm_id": event.firm_id,
                "recipient_kind": job.recipient_kind,
                "recipient_id": job.recipient_id,
                "delivery_id": job.delivery_id,
                "event_id": event.id,
                "type": event.type,
                "title": message.first_line[:500],
                "body": message.details,
                "entity_id": event.entity_id,
                "subject_type": event.subject_type,
                "subject_id": event.subject_id,
                "link": message.link[:2000],
                "created_at": moment,
            }
        )
    if rows:
        # executemany: SQLAlchemy sends one multi-row INSERT (its "insertmanyvalues", up to
        # 1,000 rows a statement) compiled once, not a statement per row.
        await session.execute(insert(NOTIFICATIONS), rows)


IN_APP = DeliveryChannel("in_app", send_in_app, delivered=write_notifications)


async def chosen_channels(
    session: AsyncSession, event_type: str, recipients: Sequence[Recipient]
) -> list[Choice]:
    """The recipients' own choices for ``event_type`` (``PUT /v1/notification-preferences``)."""
    rows = await session.execute(
        select(
            NotificationPreference.recipient_kind,
            NotificationPreference.recipient_id,
            NotificationPreference.channel,
            NotificationPreference.enabled,
            NotificationPreference.frequency,
        ).where(
            NotificationPreference.event_type == event_type,
            tuple_(NotificationPreference.recipient_kind, NotificationPreference.recipient_id).in_(
                [(r.kind, r.id) for r in recipients]
            ),
        )
    )
    return [tuple(row) for row in rows]  # type: ignore[misc]


def register(events: EventRegistry) -> None:
    events.channel(IN_APP)
    events.preferences(chosen_channels)
