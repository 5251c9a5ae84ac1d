"""Rate limits as atomic counters in the database, so every API replica shares them.

Each check is its own short transaction, committed before the caller goes on: the count
of a request that later fails (a wrong password) stands, and concurrent requests cannot
all read "under the limit" before any of them writes (finding: parallel sign-ins slipped
past the limits). Two kinds:

* ``take_hit``: a fixed window of ``limit`` hits. One ``INSERT ... ON CONFLICT DO UPDATE
  ... RETURNING`` increments and reads the count in a single statement; the request that
  makes it exceed the limit, and every later one, answers 429 until the window ends.
* ``take_attempt``: growing delays (sign-in failures per account and address). Under the
  row's lock, an attempt is refused while ``blocked_until`` lies ahead; otherwise it counts
  and, past ``free`` attempts, pushes ``blocked_until`` out by 1 s, 2 s, 4 s ... up to
  ``cap_seconds``. ``clear`` forgets a bucket (a successful sign-in).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, case, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from practice_api.core.errors import RateLimited
from practice_api.core.models import RateCounter
from practice_api.core.time import utcnow


@dataclass(frozen=True)
class WindowState:
    """Where a fixed-window bucket stands after a hit (for ``RateLimit`` headers)."""

    limit: int
    remaining: int
    reset_seconds: int

    @property
    def exceeded(self) -> bool:
        return self.remaining < 0


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _insert(session: AsyncSession) -> Any:
    """The dialect's INSERT (both have ON CONFLICT ... RETURNING)."""
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


TABLE: Table = RateCounter.__table__  # type: ignore[assignment]


async def count_hit(
    sessionmaker: async_sessionmaker[AsyncSession], bucket: str, limit: int, window_seconds: int
) -> WindowState:
    """Count one hit on ``bucket`` atomically and say where the window stands."""
    now = utcnow()
    edge = now - dt.timedelta(seconds=window_seconds)
    async with sessionmaker() as session, session.begin():
        insert = _insert(session)
        table = TABLE
        statement = insert(table).values(bucket=bucket, window_started_at=now, hits=1)
        expired = table.c.window_started_at <= edge
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.bucket],
            set_={
                "hits": case((expired, 1), else_=table.c.hits + 1),
                "window_started_at": case((expired, now), else_=table.c.window_started_at),
            },
        ).returning(table.c.hits, table.c.window_started_at)
        hits, started = (await session.execute(statement)).one()
    reset = _aware(started) + dt.timedelta(seconds=window_seconds) - now
    return WindowState(
        limit=limit,
        remaining=limit - hits,
        reset_seconds=max(1, math.ceil(reset.total_seconds())),
    )


async def take_hit(
    sessionmaker: async_sessionmaker[AsyncSession], bucket: str, limit: int, window_seconds: int
) -> None:
    """Count a hit; 429 (with Retry-After) when it goes past ``limit`` in the window."""
    state = await count_hit(sessionmaker, bucket, limit, window_seconds)
    if state.exceeded:
        raise RateLimited(state.reset_seconds, "Too many attempts; try again later.")


def growing_delay(attempts: int, free: int, cap_seconds: int) -> float:
    """Seconds to wait after the ``attempts``-th attempt: 0 up to ``free - 1``, then 1, 2, 4..."""
    if attempts < free:
        return 0.0
    return float(min(cap_seconds, 2 ** min(attempts - free, 30)))


async def take_attempt(
    sessionmaker: async_sessionmaker[AsyncSession],
    bucket: str,
    free: int,
    window_seconds: int,
    cap_seconds: int,
) -> None:
    """Count an attempt under growing delays; 429 (with Retry-After) while one runs.

    Attempts older than ``window_seconds`` since the bucket's first are forgotten.
    """
    now = utcnow()
    async with sessionmaker() as session, session.begin():
        insert = _insert(session)
        table = TABLE
        await session.execute(
            insert(table)
            .values(bucket=bucket, window_started_at=now, hits=0)
            .on_conflict_do_nothing(index_elements=[table.c.bucket])
        )
        # The row lock (SQLite: the write lock taken by BEGIN IMMEDIATE) serialises
        # concurrent attempts on this bucket from here to the commit.
        row = (
            await session.execute(
                select(table.c.hits, table.c.window_started_at, table.c.blocked_until)
                .where(table.c.bucket == bucket)
                .with_for_update()
            )
        ).one()
        hits, started, blocked_until = row
        if _aware(started) <= now - dt.timedelta(seconds=window_seconds):
            hits, started, blocked_until = 0, now, None
        if blocked_until is not None and _aware(blocked_until) > now:
            wait = math.ceil((_aware(blocked_until) - now).total_seconds())
            raise RateLimited(wait, "Too many failed sign-ins; try again later.")
        hits += 1
        delay = growing_delay(hits, free, cap_seconds)
        await session.execute(
            update(table)
            .where(table.c.bucket == bucket)
            .values(
                hits=hits,
                window_started_at=started,
                blocked_until=now + dt.timedelta(seconds=delay) if delay else None,
            )
        )


async def clear(session: AsyncSession, bucket: str) -> None:
    """Forget ``bucket`` (in the caller's transaction)."""
    await session.execute(delete(RateCounter).where(RateCounter.bucket == bucket))
