"""Fan-out: turn one event into outbox rows, in the transaction that recorded it.

Recipients (from the catalogue and extra audiences) x personal channels chosen by their
preferences, plus one row per active webhook endpoint of the firm subscribed to the type.
After the commit, the in-process dispatcher (if any) is woken to deliver at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.db import after_commit
from practice_api.events import bulk, catalogue
from practice_api.events.catalogue import PersonalChannel, Recipient
from practice_api.events.models import Delivery, Event
from practice_api.notifications.models import NotificationPreference
from practice_api.webhooks.models import WebhookEndpoint

# Set on the sessionmaker (``session.info``) by the app when a dispatcher runs in-process.
WAKE_KEY = "outbox_wake"


async def effective_channels(
    session: AsyncSession, event_type: str, recipients: list[Recipient]
) -> dict[tuple[str, uuid.UUID], set[PersonalChannel]]:
    """The channels each recipient gets for ``event_type``: choices, else the type's default."""
    spec = catalogue.get(event_type)
    defaults: frozenset[PersonalChannel] = spec.default_channels if spec else frozenset()
    result: dict[tuple[str, uuid.UUID], set[PersonalChannel]] = {}
    keyed = [r for r in recipients if r.channels is None]
    for recipient in recipients:
        channels = recipient.channels if recipient.channels is not None else defaults
        result[(recipient.kind, recipient.id)] = set(channels)
    if keyed:
        rows = await session.execute(
            select(
                NotificationPreference.recipient_kind,
                NotificationPreference.recipient_id,
                NotificationPreference.channel,
                NotificationPreference.enabled,
            ).where(
                NotificationPreference.event_type == event_type,
                tuple_(
                    NotificationPreference.recipient_kind, NotificationPreference.recipient_id
                ).in_([(r.kind, r.id) for r in keyed]),
            )
        )
        for kind, recipient_id, channel, enabled in rows:
            chosen = result[(kind, recipient_id)]
            for known in catalogue.PERSONAL_CHANNELS:
                if known == channel:
                    if enabled:
                        chosen.add(known)
                    else:
                        chosen.discard(known)
    return result


async def subscribed_endpoints(
    session: AsyncSession, firm_id: uuid.UUID, event_type: str
) -> list[uuid.UUID]:
    rows = await session.execute(
        select(WebhookEndpoint.id, WebhookEndpoint.event_types).where(
            WebhookEndpoint.firm_id == firm_id, WebhookEndpoint.active.is_(True)
        )
    )
    return [
        endpoint_id for endpoint_id, types in rows if "*" in types or event_type in (types or [])
    ]


async def fan_out(session: AsyncSession, event: Event) -> list[Delivery]:
    spec = catalogue.get(event.type)
    if spec is None or not spec.fan_out:
        return []
    deliveries: list[Delivery] = []
    collector = bulk.active(session)
    recipients = await catalogue.recipients_of(session, event)
    channels = await effective_channels(session, event.type, recipients)
    for recipient in recipients:
        chosen = channels[(recipient.kind, recipient.id)]
        if collector is not None:  # a bulk action: one summary per person at its end
            collector.collect(event, recipient, set(chosen))
            continue
        for channel in catalogue.PERSONAL_CHANNELS:  # stable order
            if channel in chosen:
                deliveries.append(
                    Delivery(
                        firm_id=event.firm_id,
                        event_id=event.id,
                        channel=channel,
                        recipient_kind=recipient.kind,
                        recipient_id=recipient.id,
                        via=recipient.via,
                    )
                )
    for endpoint_id in await subscribed_endpoints(session, event.firm_id, event.type):
        deliveries.append(
            Delivery(
                firm_id=event.firm_id, event_id=event.id, channel="webhook", endpoint_id=endpoint_id
            )
        )
    queue(session, deliveries)
    return deliveries


def queue(session: AsyncSession, deliveries: list[Delivery]) -> None:
    """Add outbox rows to the transaction and wake the dispatcher once it commits."""
    if not deliveries:
        return
    session.add_all(deliveries)
    wake: Callable[[], Awaitable[None]] | None = session.info.get(WAKE_KEY)
    if wake is not None and not session.info.get("outbox_wake_scheduled"):
        session.info["outbox_wake_scheduled"] = True
        after_commit(session, wake)
