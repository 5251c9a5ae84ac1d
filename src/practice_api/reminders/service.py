"""Reminder schedules, slots and digests (see ``reminders.models`` for the rules).

Subject domains call ``set_schedule`` when a subject is created or edited, ``set_active``
when it stops or starts waiting (submitted, completed, cancelled, reopened), and
``remind_now`` for ``POST .../remind``. ``send_due_reminders`` is the periodic job (the
dispatcher's neighbour in the API process and in every ``practice-api worker``).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from practice_api.core.errors import RateLimited
from practice_api.core.principals import Actor
from practice_api.core.time import local_today, utcnow
from practice_api.events.models import Delivery
from practice_api.events.outbox import queue
from practice_api.events.service import record_event
from practice_api.firms.models import Firm
from practice_api.reminders.models import (
    DEFAULT_EVERY_DAYS,
    DEFAULT_OFFSETS,
    ReminderDefaults,
    ReminderDigest,
    ReminderRecipient,
    ReminderSchedule,
    ReminderSlot,
)
from practice_api.reminders.schemas import ReminderOverride, ReminderSettingsUpdate
from practice_api.reminders.sources import RecipientKey, open_items_of

log = logging.getLogger("practice_api.reminders")

MANUAL_INTERVAL = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Plan:
    """The effective schedule of one subject: the override, else the firm default."""

    enabled: bool
    offsets: list[int]
    every_days: int


# --- firm defaults ------------------------------------------------------------------------


async def firm_defaults(session: AsyncSession, firm_id: uuid.UUID) -> ReminderDefaults:
    row = await session.get(ReminderDefaults, firm_id)
    if row is None:
        return ReminderDefaults(
            firm_id=firm_id,
            offsets=list(DEFAULT_OFFSETS),
            every_days=DEFAULT_EVERY_DAYS,
            enabled=True,
        )
    return row


async def update_firm_defaults(
    session: AsyncSession, firm_id: uuid.UUID, actor: Actor, data: ReminderSettingsUpdate
) -> ReminderDefaults:
    row = await session.get(ReminderDefaults, firm_id)
    if row is None:
        row = ReminderDefaults(firm_id=firm_id)
        session.add(row)
    before = {"enabled": row.enabled, "offsets": row.offsets, "every_days": row.every_days}
    row.enabled = data.enabled
    row.offsets = sorted(set(data.offsets))
    row.every_days = data.every_days
    await session.flush()
    after = {"enabled": row.enabled, "offsets": row.offsets, "every_days": row.every_days}
    await record_event(
        session,
        type="reminder_settings.updated",
        firm_id=firm_id,
        actor=actor,
        payload={
            **after,
            "changes": {
                k: {"old": before[k], "new": v} for k, v in after.items() if before[k] != v
            },
        },
    )
    # Every waiting schedule that follows the default gets its next slot again.
    schedules = (
        await session.scalars(
            select(ReminderSchedule).where(
                ReminderSchedule.firm_id == firm_id, ReminderSchedule.active.is_(True)
            )
        )
    ).all()
    for schedule in schedules:
        schedule.next_slot = next_slot(schedule, plan_of(schedule, row))
    await session.flush()
    return row


def plan_of(schedule: ReminderSchedule, defaults: ReminderDefaults) -> Plan:
    return Plan(
        enabled=schedule.enabled and defaults.enabled,
        offsets=sorted(set(schedule.offsets if schedule.offsets is not None else defaults.offsets)),
        every_days=schedule.every_days or defaults.every_days,
    )


# --- slots --------------------------------------------------------------------------------


def slots_after(schedule: ReminderSchedule, plan: Plan, after: dt.date) -> Iterable[dt.date]:
    """The schedule's slots strictly after ``after`` (and after its anchor), in order."""
    floor = max(after, schedule.anchor_date)
    if schedule.due_date is not None:
        for offset in plan.offsets:
            day = schedule.due_date + dt.timedelta(days=offset)
            if day > floor:
                yield day
        return
    step = plan.every_days
    k = (floor - schedule.anchor_date).days // step + 1
    while True:  # an endless series; callers take what they need
        yield schedule.anchor_date + dt.timedelta(days=k * step)
        k += 1


def next_slot(schedule: ReminderSchedule, plan: Plan) -> dt.date | None:
    if not plan.enabled or not schedule.active:
        return None
    after = schedule.last_slot or schedule.anchor_date
    return next(iter(slots_after(schedule, plan, after)), None)


def due_slot(schedule: ReminderSchedule, plan: Plan, today: dt.date) -> dt.date | None:
    """The latest slot on or before ``today`` not sent yet (missed earlier ones are skipped)."""
    found = None
    for day in slots_after(schedule, plan, schedule.last_slot or schedule.anchor_date):
        if day > today:
            break
        found = day
    return found


# --- what subject domains call ------------------------------------------------------------


async def set_schedule(
    session: AsyncSession,
    *,
    firm_id: uuid.UUID,
    entity_id: uuid.UUID | None,
    subject: tuple[str, uuid.UUID],
    recipients: Sequence[RecipientKey],
    due_date: dt.date | None,
    override: ReminderOverride | None = None,
    keep_override: bool = False,
    time_zone: str = "UTC",
) -> ReminderSchedule:
    """Create or update a subject's schedule and recipients (in the caller's transaction)."""
    kind, subject_id = subject
    schedule = await schedule_of(session, subject)
    if schedule is None:
        schedule = ReminderSchedule(
            firm_id=firm_id,
            entity_id=entity_id,
            subject_kind=kind,
            subject_id=subject_id,
            anchor_date=local_today(time_zone),
            enabled=True,
            active=True,
        )
        session.add(schedule)
    schedule.due_date = due_date
    if not keep_override:
        schedule.enabled = override.enabled if override else True
        schedule.offsets = (
            sorted(set(override.offsets)) if override and override.offsets is not None else None
        )
        schedule.every_days = override.every_days if override else None
    await session.flush()
    await session.execute(
        delete(ReminderRecipient).where(ReminderRecipient.schedule_id == schedule.id)
    )
    for recipient_kind, recipient_id in dict.fromkeys(recipients):
        session.add(
            ReminderRecipient(
                schedule_id=schedule.id, recipient_kind=recipient_kind, recipient_id=recipient_id
            )
        )
    schedule.next_slot = next_slot(
        schedule, plan_of(schedule, await firm_defaults(session, firm_id))
    )
    await session.flush()
    return schedule


async def schedule_of(
    session: AsyncSession, subject: tuple[str, uuid.UUID]
) -> ReminderSchedule | None:
    return await session.scalar(
        select(ReminderSchedule).where(
            ReminderSchedule.subject_kind == subject[0], ReminderSchedule.subject_id == subject[1]
        )
    )


async def schedules_of(
    session: AsyncSession, kind: str, subject_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, ReminderSchedule]:
    if not subject_ids:
        return {}
    rows = await session.scalars(
        select(ReminderSchedule).where(
            ReminderSchedule.subject_kind == kind, ReminderSchedule.subject_id.in_(subject_ids)
        )
    )
    return {row.subject_id: row for row in rows}


async def set_active(session: AsyncSession, subject: tuple[str, uuid.UUID], active: bool) -> None:
    """Stop (submitted, completed, cancelled) or restart (returned, reopened) reminders."""
    schedule = await schedule_of(session, subject)
    if schedule is None or schedule.active == active:
        return
    schedule.active = active
    schedule.next_slot = next_slot(
        schedule, plan_of(schedule, await firm_defaults(session, schedule.firm_id))
    )
    await session.flush()


async def remove(session: AsyncSession, subject: tuple[str, uuid.UUID]) -> None:
    schedule = await schedule_of(session, subject)
    if schedule is not None:
        await session.delete(schedule)
        await session.flush()


# --- claiming and sending -----------------------------------------------------------------


def _insert(session: AsyncSession, model: Any) -> Any:
    """An INSERT that does nothing when the row's unique key is taken (both backends)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)


async def claim_slot(session: AsyncSession, schedule_id: uuid.UUID, day: dt.date) -> bool:
    statement = (
        _insert(session, ReminderSlot)
        .values(id=uuid.uuid4(), schedule_id=schedule_id, slot_date=day, claimed_at=utcnow())
        .on_conflict_do_nothing(index_elements=["schedule_id", "slot_date"])
        .returning(ReminderSlot.id)
    )
    return (await session.scalar(statement)) is not None


async def claim_digest(
    session: AsyncSession, firm_id: uuid.UUID, recipient: RecipientKey, day: dt.date
) -> uuid.UUID | None:
    statement = (
        _insert(session, ReminderDigest)
        .values(
            id=uuid.uuid4(),
            firm_id=firm_id,
            recipient_kind=recipient[0],
            recipient_id=recipient[1],
            day=day,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["recipient_kind", "recipient_id", "day"])
        .returning(ReminderDigest.id)
    )
    claimed: uuid.UUID | None = await session.scalar(statement)
    return claimed


async def _recipients(session: AsyncSession, schedule_id: uuid.UUID) -> list[RecipientKey]:
    rows = await session.execute(
        select(ReminderRecipient.recipient_kind, ReminderRecipient.recipient_id).where(
            ReminderRecipient.schedule_id == schedule_id
        )
    )
    return [(kind, rid) for kind, rid in rows]


async def _send_digests(
    session: AsyncSession,
    *,
    firm: Firm,
    recipients: list[RecipientKey],
    day: dt.date,
    actor: Actor,
    manual: bool,
    entity_id: uuid.UUID | None = None,
    subject: tuple[str, uuid.UUID] | None = None,
) -> int:
    """One e-mail per recipient with open items, listing all of them; returns how many.

    Automatic digests are claimed per recipient and day first (a second one that day is
    skipped); a manual reminder is sent anyway and takes the day's claim if it is free.
    """
    # Automatic: claim the day first, so the slots of a recipient's other subjects that day
    # cost one insert each and never list the items again.
    claimed: dict[RecipientKey, uuid.UUID] = {}
    if not manual:
        for recipient in recipients:
            digest_id = await claim_digest(session, firm.id, recipient, day)
            if digest_id is not None:
                claimed[recipient] = digest_id
        recipients = list(claimed)
        if not recipients:
            return 0
    items = await open_items_of(session, firm.id, recipients)
    sent = 0
    names = await _names(session, recipients)
    for recipient in recipients:
        open_items = items.get(recipient) or []
        if not open_items:
            continue  # nothing open anywhere: the day stays claimed, nothing to say
        digest_id = (
            claimed.get(recipient)
            if not manual
            else await claim_digest(session, firm.id, recipient, day)
        )
        event = await record_event(
            session,
            type="reminder.sent",
            firm_id=firm.id,
            actor=actor,
            entity_id=entity_id,
            subject=subject,
            payload={
                "recipient_kind": recipient[0],
                "recipient_id": recipient[1],
                "recipient_name": names.get(recipient),
                "firm_name": firm.name,
                "manual": manual,
                "slot": day,
                "count": len(open_items),
                "open_items": [
                    {
                        "subject_kind": i.subject_kind,
                        "subject_id": i.subject_id,
                        "subject_title": i.subject_title,
                        "item_title": i.item_title,
                        "status": i.status,
                        "due_date": i.due_date,
                        "path": i.path,
                    }
                    for i in open_items
                ],
            },
        )
        if digest_id is not None:
            digest = await session.get(ReminderDigest, digest_id)
            if digest is not None:
                digest.event_id = event.id
        queue(
            session,
            [
                Delivery(
                    firm_id=firm.id,
                    event_id=event.id,
                    channel="email",
                    recipient_kind=recipient[0],
                    recipient_id=recipient[1],
                )
            ],
        )
        sent += 1
    await session.flush()
    return sent


async def _names(session: AsyncSession, recipients: list[RecipientKey]) -> dict[RecipientKey, str]:
    from practice_api.events.addresses import lookup_addresses

    out: dict[RecipientKey, str] = {}
    by_kind: dict[str, list[uuid.UUID]] = {}
    for kind, rid in recipients:
        by_kind.setdefault(kind, []).append(rid)
    for kind, ids in by_kind.items():
        for rid, address in (await lookup_addresses(session, kind, ids)).items():
            out[(kind, rid)] = address.name
    return out


async def remind_now(
    session: AsyncSession,
    subject: tuple[str, uuid.UUID],
    actor: Actor,
    *,
    entity_id: uuid.UUID | None = None,
) -> int:
    """``POST .../remind``: a reminder to the subject's recipients now, at most once an hour
    per subject (429 with ``Retry-After`` otherwise). Returns how many e-mails go out."""
    schedule = await schedule_of(session, subject)
    if schedule is None:
        return 0
    now = utcnow()
    if schedule.last_manual_at is not None and now - schedule.last_manual_at < MANUAL_INTERVAL:
        wait = MANUAL_INTERVAL - (now - schedule.last_manual_at)
        raise RateLimited(
            math.ceil(wait.total_seconds()), "A reminder was sent less than an hour ago."
        )
    schedule.last_manual_at = now
    firm = await session.get(Firm, schedule.firm_id)
    assert firm is not None
    return await _send_digests(
        session,
        firm=firm,
        recipients=await _recipients(session, schedule.id),
        day=local_today(firm.time_zone),
        actor=actor,
        manual=True,
        entity_id=entity_id,
        subject=subject,
    )


async def send_due_reminders(
    sessionmaker: async_sessionmaker[AsyncSession], *, batch: int = 200
) -> int:
    """One round of the periodic job: every schedule with a due slot, each in its own
    transaction (a failing one does not hold the others back), read in batches by
    ``(next_slot, id)``; returns how many reminder e-mails were queued."""
    horizon = (utcnow() + dt.timedelta(days=1)).date()  # today in the zone furthest ahead
    sent = 0
    after: tuple[dt.date | None, uuid.UUID] | None = None
    while True:
        statement = (
            select(ReminderSchedule.id, ReminderSchedule.next_slot)
            .where(
                ReminderSchedule.active.is_(True),
                ReminderSchedule.next_slot.is_not(None),
                ReminderSchedule.next_slot <= horizon,
            )
            .order_by(ReminderSchedule.next_slot, ReminderSchedule.id)
            .limit(batch)
        )
        if after is not None:
            statement = statement.where(
                tuple_(ReminderSchedule.next_slot, ReminderSchedule.id) > after
            )
        async with sessionmaker() as session, session.begin():
            candidates = (await session.execute(statement)).all()
            ids = [schedule_id for schedule_id, _ in candidates]
            # One batch, one transaction: the schedules and their recipients in two
            # statements; each schedule in a savepoint, so a failing one holds nothing back.
            await session.execute(select(ReminderSchedule).where(ReminderSchedule.id.in_(ids)))
            recipients: dict[uuid.UUID, list[RecipientKey]] = {i: [] for i in ids}
            for schedule_id, kind, recipient_id in await session.execute(
                select(
                    ReminderRecipient.schedule_id,
                    ReminderRecipient.recipient_kind,
                    ReminderRecipient.recipient_id,
                ).where(ReminderRecipient.schedule_id.in_(ids))
            ):
                recipients[schedule_id].append((kind, recipient_id))
            defaults: dict[uuid.UUID, ReminderDefaults] = {}
            for schedule_id in ids:
                try:
                    async with session.begin_nested():
                        sent += await _run_schedule(
                            session, schedule_id, recipients[schedule_id], defaults
                        )
                except Exception:
                    log.exception(
                        "reminders: schedule %s failed; it is tried again next round", schedule_id
                    )
        if len(candidates) < batch:
            return sent
        after = (candidates[-1][1], candidates[-1][0])


async def _run_schedule(
    session: AsyncSession,
    schedule_id: uuid.UUID,
    recipients: list[RecipientKey],
    defaults: dict[uuid.UUID, ReminderDefaults],
) -> int:
    schedule = await session.get(ReminderSchedule, schedule_id)
    if schedule is None or not schedule.active:
        return 0
    firm = await session.get(Firm, schedule.firm_id)
    if firm is None:
        return 0
    today = local_today(firm.time_zone)
    if firm.id not in defaults:
        defaults[firm.id] = await firm_defaults(session, firm.id)
    plan = plan_of(schedule, defaults[firm.id])
    day = due_slot(schedule, plan, today) if plan.enabled else None
    if day is None:
        schedule.next_slot = next_slot(schedule, plan)
        return 0
    if not await claim_slot(session, schedule.id, day):
        return 0  # another worker sends this slot
    schedule.last_slot = day
    schedule.next_slot = next_slot(schedule, plan)
    return await _send_digests(
        session,
        firm=firm,
        recipients=recipients,
        day=today,
        actor=Actor.system(),
        manual=False,
    )


__all__ = [
    "remind_now",
    "send_due_reminders",
    "set_active",
    "set_schedule",
]
