"""Daily digests: one e-mail per recipient and day, built from the outbox.

An e-mail whose recipient chose ``daily_digest`` for its event type is written to the
outbox as ``held`` (in-app is delivered at once as usual). Every ``digest_interval_seconds``
the dispatcher (in the API process and in each worker) looks at the firms with held
e-mails: once the firm's digest hour has passed in its time zone, each recipient's held
e-mails from before that moment are moved into one new ``digest`` delivery, in one
transaction per recipient:

* ``UPDATE deliveries SET status='digested', digest_id=:new WHERE status='held' AND ...``
  takes the rows; a second worker doing the same waits for the first one's row locks
  (PostgreSQL) or for its write lock (SQLite), then finds nothing held and does nothing;
* the digest row is unique per (recipient, local day), so a digest is built at most once a
  day even if rows trickle in late (those wait for the next day's).

The digest row is then an ordinary outbox delivery: claimed by one worker, retried with
backoff, sent with a stable Message-ID. Nobody with nothing held gets an e-mail.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from practice_api.core.time import utcnow, zone
from practice_api.events import render
from practice_api.events.models import Delivery, Event
from practice_api.settings import Settings

if TYPE_CHECKING:
    from practice_api.events.repository import Claimed

log = logging.getLogger("practice_api.digests")

FIRST_ROUND_AFTER_SECONDS = 5.0


def due_moment(now: dt.datetime, time_zone: str, hour: int) -> tuple[dt.datetime, dt.date]:
    """The latest digest moment at or before ``now`` (UTC) and the local day it belongs to."""
    tz = zone(time_zone)
    today = now.astimezone(tz).date()
    for back in range(3):
        day = today - dt.timedelta(days=back)
        moment = dt.datetime.combine(day, dt.time(hour), tzinfo=tz).astimezone(dt.UTC)
        if moment <= now:
            return moment, day
    return moment, day


async def build_due_digests(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    """Gather every held e-mail that is due into per-recipient digests; returns how many
    digests were created (0 when another worker got there first)."""
    from practice_api.events import repository

    now = utcnow()
    async with sessionmaker() as session:
        held = await session.scalars(
            select(Delivery.firm_id).where(Delivery.status == "held").distinct()
        )
        schedules = await repository.digest_schedules(session, list(held.all()))
    created = 0
    for firm_id, (time_zone, hour) in schedules.items():
        moment, day = due_moment(now, time_zone or "UTC", hour or 0)
        async with sessionmaker() as session:
            recipients = (
                await session.execute(
                    select(Delivery.recipient_kind, Delivery.recipient_id)
                    .where(
                        Delivery.firm_id == firm_id,
                        Delivery.status == "held",
                        Delivery.created_at <= moment,
                    )
                    .distinct()
                )
            ).all()
        for kind, recipient_id in recipients:
            if kind is None or recipient_id is None:
                continue
            if await _build_one(sessionmaker, firm_id, kind, recipient_id, moment, day):
                created += 1
    return created


async def _build_one(
    sessionmaker: async_sessionmaker[AsyncSession],
    firm_id: uuid.UUID,
    kind: str,
    recipient_id: uuid.UUID,
    moment: dt.datetime,
    day: dt.date,
) -> bool:
    digest_id = uuid.uuid4()
    async with sessionmaker() as session:
        try:
            taken = (
                await session.execute(
                    update(Delivery)
                    .where(
                        Delivery.firm_id == firm_id,
                        Delivery.recipient_kind == kind,
                        Delivery.recipient_id == recipient_id,
                        Delivery.status == "held",
                        Delivery.created_at <= moment,
                    )
                    .values(status="digested", digest_id=digest_id)
                    .returning(Delivery.event_id)
                    .execution_options(synchronize_session=False)
                )
            ).all()
            if not taken:
                await session.rollback()
                return False
            session.add(
                Delivery(
                    id=digest_id,
                    firm_id=firm_id,
                    event_id=taken[0][0],
                    channel="digest",
                    recipient_kind=kind,
                    recipient_id=recipient_id,
                    digest_date=day,
                    next_attempt_at=utcnow(),
                )
            )
            await session.commit()
        except IntegrityError:
            # Today's digest exists already: these late rows wait for tomorrow's.
            await session.rollback()
            return False
    return True


async def digest_contents(
    session: AsyncSession, digests: Sequence[Claimed], settings: Settings
) -> dict[uuid.UUID, tuple[list[render.DigestEntry], list[str]]]:
    """Each digest's lines (first line and link of every gathered e-mail, oldest first)."""
    from practice_api.events import repository
    from practice_api.events.context import client_name

    rows = (
        await session.execute(
            select(Delivery.digest_id, Delivery.via, Event)
            .join(Event, Event.id == Delivery.event_id)
            .where(Delivery.digest_id.in_([d.id for d in digests]))
            .order_by(Event.occurred_at, Event.id)
        )
    ).all()
    firm_ids = list({d.firm_id for d in digests})
    firms = await repository.firm_names(session, firm_ids)
    zones = await repository.firm_time_zones(session, firm_ids)
    clients = await repository.entity_names(
        session, [row.Event.entity_id for row in rows if row.Event.entity_id is not None]
    )
    by_id = {d.id: d for d in digests}
    out: dict[uuid.UUID, tuple[list[render.DigestEntry], list[str]]] = {
        d.id: ([], []) for d in digests
    }
    for digest_id, via, event in rows:
        if digest_id is None:
            continue
        digest = by_id[digest_id]
        reader = render.Reader(
            "contact" if digest.recipient_kind == "contact" else "staff",
            digest.recipient_id,
            "",
            via,
        )
        client = client_name(event, clients)
        message = render.render(
            event,
            reader,
            firm_name=firms.get(digest.firm_id, ""),
            client=client,
            settings=settings,
            time_zone=zones.get(digest.firm_id, "UTC"),
            layout=False,
        )
        entries, names = out[digest_id]
        entries.append(
            render.DigestEntry(
                message.first_line,
                message.link,
                render.local_time(event.occurred_at, zones.get(digest.firm_id, "UTC")),
            )
        )
        if client:
            names.append(client)
        items = (event.payload or {}).get("items")
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict) and item.get("name"):
                names.append(str(item["name"]))
    return out


async def digests_periodically(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    stop: asyncio.Event,
    wake: Any = None,
) -> None:
    """Build due digests every ``digest_interval_seconds`` until ``stop`` is set."""
    interval = settings.digest_interval_seconds
    if not interval:
        return
    delay = min(FIRST_ROUND_AFTER_SECONDS, interval)
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), delay)
        if stop.is_set():
            return
        try:
            if await build_due_digests(sessionmaker) and wake is not None:
                await wake()
        except Exception:
            log.exception("building daily digests failed; retrying after the interval")
        delay = interval
