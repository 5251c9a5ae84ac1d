"""Sliding-window rate limits kept in the database, so every API replica shares them.

Hits are written in their own short transaction: a request that fails (and rolls back)
still counts, which is the point for failed sign-ins.
"""

from __future__ import annotations

import datetime as dt
import math

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from practice_api.core.errors import RateLimited
from practice_api.core.models import RateLimitHit
from practice_api.core.time import utcnow


class RateLimiter:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    async def check(self, bucket: str, limit: int, window_seconds: int) -> None:
        """Raise 429 (with Retry-After) when ``bucket`` has ``limit`` hits in the window."""
        now = utcnow()
        since = now - dt.timedelta(seconds=window_seconds)
        async with self._sessionmaker() as session:
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
                retry_after = math.ceil((oldest_at - since).total_seconds())
            raise RateLimited(retry_after, "Too many attempts; try again later.")

    async def hit(self, bucket: str, window_seconds: int) -> None:
        now = utcnow()
        async with self._sessionmaker() as session:
            await session.execute(
                delete(RateLimitHit).where(
                    RateLimitHit.bucket == bucket,
                    RateLimitHit.at <= now - dt.timedelta(seconds=window_seconds),
                )
            )
            session.add(RateLimitHit(bucket=bucket, at=now))
            await session.commit()

    async def clear(self, bucket: str) -> None:
        async with self._sessionmaker() as session:
            await session.execute(delete(RateLimitHit).where(RateLimitHit.bucket == bucket))
            await session.commit()
