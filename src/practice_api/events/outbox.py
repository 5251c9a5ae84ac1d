"""Fan-out: turn one event into outbox rows, in the transaction that recorded it.

Recipients (from the catalogue and extra audiences) x personal channels chosen by their
preferences (looked up by what the notifications domain registers), plus the rows of every
registered target fan-out (the webhooks domain adds one per subscribed endpoint). After
the commit, the in-process dispatcher (if any) is woken to deliver at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from practice_api.core.time import utcnow
from practice_api.db import after_commit
from practice_api.events import bulk, catalogue
from practice_api.events.catalogue import PersonalChannel, Recipient
from practice_api.events.models import Delivery, Event

# Set on the sessionmaker (``session.info``) by the app when a dispatcher runs in-process.
WAKE_KEY = "outbox_wake"
# On PostgreSQL a commit that queued deliveries also sends NOTIFY on this channel, which
# wakes every worker that LISTENs (see Dispatcher.run); PostgreSQL sends it on commit only.
NOTIFY_CHANNEL = "practice_outbox"
_NOTIFY_PENDING = "outbox_notify_pending"


@event.listens_for(Session, "before_commit")
def _notify_workers(session: Session) -> None:
    if not session.info.pop(_NOTIFY_PENDING, False):
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"NOTIFY {NOTIFY_CHANNEL}"))


@event.listens_for(Session, "after_rollback")
def _forget_notify(session: Session) -> None:
    session.info.pop(_NOTIFY_PENDING, None)


DIGEST = "digest"  # an e-mail held for the recipient's daily digest

# (recipient kind, recipient id, channel, enabled, e-mail frequency): the recipients' choices.
Choice = tuple[str, uuid.UUID, str, bool, str | None]
PreferenceLookup = Callable[[AsyncSession, str, Sequence[Recipient]], Awaitable[list[Choice]]]
# Deliveries to targets that are not people (e.g. webhook endpoints) for one event.
TargetFanOut = Callable[[AsyncSession, Event], Awaitable[list[Delivery]]]

_preferences: list[PreferenceLookup] = []
_target_fan_outs: list[TargetFanOut] = []


def register_preferences(lookup: PreferenceLookup) -> None:
    _preferences[:] = [lookup]


def register_target_fan_out(fan: TargetFanOut) -> None:
    if fan not in _target_fan_outs:
        _target_fan_outs.append(fan)


async def effective_channels(
    session: AsyncSession, event_type: str, recipients: list[Recipient]
) -> dict[tuple[str, uuid.UUID], set[str]]:
    """The channels each recipient gets for ``event_type``: their choices, else the type's
    default (or the recipient's explicit channels, e.g. a share's). An e-mail whose
    recipient chose the daily digest for the type is ``digest`` instead of ``email``."""
    spec = catalogue.get(event_type)
    defaults: frozenset[PersonalChannel] = spec.default_channels if spec else frozenset()
    result: dict[tuple[str, uuid.UUID], set[str]] = {}
    explicit: set[tuple[str, uuid.UUID]] = set()
    for recipient in recipients:
        channels = recipient.channels if recipient.channels is not None else defaults
        result[(recipient.kind, recipient.id)] = set(channels)
        if recipient.channels is not None:
            explicit.add((recipient.kind, recipient.id))
    if not recipients:
        return result
    rows: list[Choice] = []
    for lookup in _preferences:
        rows += await lookup(session, event_type, recipients)
    digest: set[tuple[str, uuid.UUID]] = set()
    for kind, recipient_id, channel, enabled, frequency in rows:
        key = (kind, recipient_id)
        if channel == "email" and enabled and frequency == "daily_digest":
            digest.add(key)
        if key in explicit:
            continue  # the share's own choices; only the e-mail frequency is theirs
        chosen = result[key]
        for known in catalogue.PERSONAL_CHANNELS:
            if known == channel:
                if enabled:
                    chosen.add(known)
                else:
                    chosen.discard(known)
    for key in digest:
        chosen = result[key]
        if "email" in chosen:
            chosen.discard("email")
            chosen.add(DIGEST)
    return result


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
        for channel in (*catalogue.PERSONAL_CHANNELS, DIGEST):  # stable order
            if channel in chosen:
                deliveries.append(
                    Delivery(
                        firm_id=event.firm_id,
                        event_id=event.id,
                        channel="email" if channel == DIGEST else channel,
                        status="held" if channel == DIGEST else "pending",
                        next_attempt_at=None if channel == DIGEST else utcnow(),
                        recipient_kind=recipient.kind,
                        recipient_id=recipient.id,
                        via=recipient.via,
                    )
                )
    for fan in _target_fan_outs:
        deliveries.extend(await fan(session, event))
    queue(session, deliveries)
    return deliveries


def queue(session: AsyncSession, deliveries: list[Delivery]) -> None:
    """Add outbox rows to the transaction and wake the dispatcher once it commits."""
    if not deliveries:
        return
    session.add_all(deliveries)
    session.sync_session.info[_NOTIFY_PENDING] = True
    wake: Callable[[], Awaitable[None]] | None = session.info.get(WAKE_KEY)
    if wake is not None and not session.info.get("outbox_wake_scheduled"):
        session.info["outbox_wake_scheduled"] = True
        after_commit(session, wake)
