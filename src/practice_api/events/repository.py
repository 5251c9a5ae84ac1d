"""Outbox SQL: claim due deliveries, record outcomes, and the context needed to send them."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Literal

from sqlalchemy import tuple_, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.core.repository import Repository
from practice_api.core.time import utcnow
from practice_api.events.models import Delivery, Event


class DeliveryRepository(Repository[Delivery]):
    """The outbox's deliveries, across firms: the dispatcher claims due rows and records
    each outcome."""

    model = Delivery

    async def claim_due(
        self,
        *,
        limit: int,
        lease_seconds: float,
        worker: str,
        max_attempts: int,
    ) -> list[Delivery]:
        """Take up to ``limit`` due deliveries for this worker (its own transaction follows).

        PostgreSQL: ``FOR UPDATE SKIP LOCKED`` lets concurrent workers take disjoint rows.
        SQLite: the transaction starts with ``BEGIN IMMEDIATE`` (one writer), which
        serialises claims. The claim pushes ``next_attempt_at`` one lease ahead and sets a
        fresh token, so only this claim can record the outcome, and the row returns if the
        worker dies.
        """
        now = utcnow()
        rows = (
            await self.session.scalars(
                self.readable()
                .where(Delivery.status == "pending", Delivery.next_attempt_at <= now)
                .order_by(Delivery.next_attempt_at, Delivery.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).all()
        claimed: list[Delivery] = []
        lease_end = now + dt.timedelta(seconds=lease_seconds)
        for delivery in rows:
            if delivery.attempts >= max_attempts:
                # Claimed max_attempts times and never finished: its dispatchers keep dying.
                delivery.status = "dead"
                delivery.next_attempt_at = None
                delivery.last_error = delivery.last_error or "no outcome recorded (dispatcher died)"
                continue
            delivery.attempts += 1
            delivery.next_attempt_at = lease_end
            delivery.claim_token = uuid.uuid4()
            delivery.claimed_by = worker[:100]
            claimed.append(delivery)
        await self.session.flush()
        return claimed

    async def finish(self, delivery_id: uuid.UUID, claim_token: uuid.UUID, **values: Any) -> bool:
        """Record an outcome, only if our claim still holds (else another worker owns the
        row)."""
        result: CursorResult[Any] = await self.session.execute(  # type: ignore[assignment]
            update(Delivery)
            .where(Delivery.id == delivery_id, Delivery.claim_token == claim_token)
            .values(claim_token=None, **values)
        )
        return result.rowcount == 1

    async def finish_many(
        self, claims: Sequence[tuple[uuid.UUID, uuid.UUID]], **values: Any
    ) -> set[uuid.UUID]:
        """Record one outcome for many rows at once, each only if its claim still holds;
        returns the ids recorded."""
        if not claims:
            return set()
        rows = await self.session.execute(
            update(Delivery)
            .where(tuple_(Delivery.id, Delivery.claim_token).in_(list(claims)))
            .values(claim_token=None, **values)
            .returning(Delivery.id)
            .execution_options(synchronize_session=False)
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
