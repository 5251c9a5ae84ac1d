"""Sliding-window rate limits kept in the database, so every API replica shares them.

Hits are written in the caller's transaction. A request that fails on purpose (a wrong
password) raises an ``AppError`` with ``keep_changes`` so its hit is committed anyway;
one transaction per request also keeps SQLite's single writer from waiting on itself.
"""

from __future__ import annotations

import datetime as dt
import math

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.core.errors import RateLimited
from practice_api.core.models import RateLimitHit
from practice_api.core.time import utcnow


async def check_rate(session: AsyncSession, bucket: str, limit: int, window_seconds: int) -> None:
    """Raise 429 (with Retry-After) when ``bucket`` has ``limit`` hits in the window."""
    since = utcnow() - dt.timedelta(seconds=window_seconds)
    count, oldest = (
        await session.execute(
            select(func.count(), func.min(RateLimitHit.at)).where(
                RateLimitHit.bucket == bucket, RateLimitHit.at > since
            )
        )
    ).one()
    if count >= limit:
        retry_after = window_seconds
        if oldest is not None:
            oldest_at = oldest if oldest.tzinfo else oldest.replace(tzinfo=dt.UTC)
            retry_after = max(1, math.ceil((oldest_at - since).total_seconds()))
        raise RateLimited(retry_after, "Too many attempts; try again later.")


async def record_hit(session: AsyncSession, bucket: str, window_seconds: int) -> None:
    now = utcnow()
    await session.execute(
        delete(RateLimitHit).where(
            RateLimitHit.bucket == bucket,
            RateLimitHit.at <= now - dt.timedelta(seconds=window_seconds),
        )
    )
    session.add(RateLimitHit(bucket=bucket, at=now))
    await session.flush()


async def clear_hits(session: AsyncSession, bucket: str) -> None:
    await session.execute(delete(RateLimitHit).where(RateLimitHit.bucket == bucket))
