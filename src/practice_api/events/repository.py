"""Outbox SQL: claim due deliveries, record outcomes, and the context needed to send them."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Literal, NamedTuple

from sqlalchemy import Table, case, func, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.core.repository import Repository
from practice_api.core.time import utcnow
from practice_api.events.models import Delivery, Event

deliveries: Table = Delivery.__table__  # type: ignore[assignment]
# An e-mail being handed to the SMTP server (between ``mark_sending`` and its outcome).
SENDING = "sending"
SENT_UNRECORDED = (
    "the dispatcher stopped while handing the e-mail to the SMTP server; taken as sent "
    "(never sent twice)"
)


class Claimed(NamedTuple):
    """A delivery this worker holds (the columns the dispatcher needs, no ORM object)."""

    id: uuid.UUID
    firm_id: uuid.UUID
    event_id: uuid.UUID
    channel: str
    recipient_kind: str | None
    recipient_id: uuid.UUID | None
    endpoint_id: uuid.UUID | None
    via: str | None
    attempts: int
    digest_date: dt.date | None
    claim_token: uuid.UUID


_CLAIMED_COLUMNS = [deliveries.c[name] for name in Claimed._fields]


class DeliveryRepository(Repository[Delivery]):
    """The outbox's deliveries, across firms: the dispatcher claims due rows in one
    statement, marks an e-mail being sent, and records outcomes in batches (Core
    statements, no ORM objects)."""

    model = Delivery

    async def claim_due(
        self,
        *,
        limit: int,
        lease_seconds: float,
        worker: str,
        max_attempts: int,
    ) -> list[Claimed]:
        """Take up to ``limit`` due deliveries for this worker in one statement (the caller
        commits): ``UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED LIMIT n)
        RETURNING ...``.

        PostgreSQL: ``SKIP LOCKED`` lets concurrent workers take disjoint rows. SQLite: the
        transaction starts with ``BEGIN IMMEDIATE`` (one writer), which serialises claims. The
        claim pushes ``next_attempt_at`` one lease ahead and sets a fresh token (one per claim),
        so only this claim can record the outcome, and the row returns if the worker dies.
        In the same statement:

        * a row claimed ``max_attempts`` times and never finished (its dispatchers keep dying)
          becomes ``dead``;
        * an e-mail left ``sending`` by a dispatcher that died while handing it to the SMTP
          server (see ``mark_sending``) is ``delivered``: it is never sent a second time.
        """
        now = utcnow()
        token = uuid.uuid4()
        due = (
            select(deliveries.c.id)
            .where(
                deliveries.c.status.in_(("pending", SENDING)),
                deliveries.c.next_attempt_at <= now,
            )
            .order_by(deliveries.c.next_attempt_at, deliveries.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        exhausted = (deliveries.c.status == "pending") & (deliveries.c.attempts >= max_attempts)
        sent = deliveries.c.status == SENDING
        rows = (
            await self.session.execute(
                update(deliveries)
                .where(deliveries.c.id.in_(due.scalar_subquery()))
                .values(
                    status=case(
                        (exhausted, "dead"), (sent, "delivered"), else_=deliveries.c.status
                    ),
                    attempts=case(
                        (exhausted | sent, deliveries.c.attempts), else_=deliveries.c.attempts + 1
                    ),
                    next_attempt_at=case(
                        (exhausted | sent, None), else_=now + dt.timedelta(seconds=lease_seconds)
                    ),
                    claim_token=case((exhausted | sent, None), else_=token),
                    claimed_by=case(
                        (exhausted | sent, deliveries.c.claimed_by), else_=worker[:100]
                    ),
                    delivered_at=case((sent, now), else_=deliveries.c.delivered_at),
                    last_error=case(
                        (
                            exhausted,
                            func.coalesce(
                                deliveries.c.last_error, "no outcome recorded (dispatcher died)"
                            ),
                        ),
                        (sent, SENT_UNRECORDED),
                        else_=deliveries.c.last_error,
                    ),
                )
                .returning(*_CLAIMED_COLUMNS)
            )
        ).all()
        # Rows that became dead or delivered above carry no token: not ours to send.
        claimed = [Claimed(*row) for row in rows if row.claim_token is not None]
        claimed.sort(key=lambda c: c.id)  # RETURNING keeps no order
        return claimed

    async def mark_sending(
        self, delivery_id: uuid.UUID, claim_token: uuid.UUID, lease_seconds: float
    ) -> bool:
        """Record that an e-mail is being handed to the SMTP server (the caller commits before
        the message goes): if the dispatcher dies before recording the outcome, the next claim
        finds it ``sending`` and records it delivered instead of sending it again. The lease
        starts again (it exceeds the SMTP timeout). False: the claim was lost (do not send)."""
        lease_end = utcnow() + dt.timedelta(seconds=lease_seconds)
        result: CursorResult[Any] = await self.session.execute(  # type: ignore[assignment]
            update(deliveries)
            .where(deliveries.c.id == delivery_id, deliveries.c.claim_token == claim_token)
            .values(status=SENDING, next_attempt_at=lease_end)
        )
        return result.rowcount == 1

    async def finish_many(
        self,
        claim_token: uuid.UUID,
        ids: Sequence[uuid.UUID],
        **values: Any,
    ) -> set[uuid.UUID]:
        """Record one outcome for many rows of one claim at once, each only if the claim still
        holds (else another worker owns the row); returns the ids recorded."""
        if not ids:
            return set()
        rows = await self.session.execute(
            update(deliveries)
            .where(deliveries.c.claim_token == claim_token, deliveries.c.id.in_(list(ids)))
            .values(claim_token=None, **values)
            .returning(deliveries.c.id)
        )
        return set(rows.scalars())


class EventRepository(Repository[Event]):
    """Recorded events, across firms (the dispatcher reads those it delivers with
    ``by_ids``)."""

    model = Event


# What the dispatcher needs to know about the firms and clients of the events it delivers,
# told by the domains that own them (firms: names and time zones; entities: client names).
LookupName = Literal["firm_names", "firm_time_zones", "entity_names"]
Lookup = Callable[[AsyncSession, Sequence[uuid.UUID]], Awaitable[dict[uuid.UUID, str]]]
_lookups: dict[str, Lookup] = {}


def register_lookup(name: LookupName, lookup: Lookup) -> None:
    _lookups[name] = lookup


# When a firm's daily digests go out: its time zone and local hour (told by the firms domain).
DigestSchedules = Callable[
    [AsyncSession, Sequence[uuid.UUID]], Awaitable[dict[uuid.UUID, tuple[str, int]]]
]
_digest_schedules: list[DigestSchedules] = []


def register_digest_schedules(lookup: DigestSchedules) -> None:
    _digest_schedules[:] = [lookup]


async def digest_schedules(
    session: AsyncSession, firm_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[str, int]]:
    if not _digest_schedules or not firm_ids:
        return {}
    return await _digest_schedules[0](session, firm_ids)


async def firm_names(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    return await _lookup("firm_names", session, ids)


async def firm_time_zones(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    return await _lookup("firm_time_zones", session, ids)


async def entity_names(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The clients' current names (notifications name the client they are about)."""
    return await _lookup("entity_names", session, [i for i in ids if i is not None])


async def _lookup(
    name: LookupName, session: AsyncSession, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, str]:
    lookup = _lookups.get(name)
    if lookup is None or not ids:
        return {}
    return await lookup(session, list(set(ids)))
