"""The files domain's periodic work: purge deleted files past their retention.

Runs next to the outbox dispatcher: in the API process when it runs the dispatcher
(``PRACTICE_RUN_DISPATCHER``, the embedded default) and in every ``practice-api worker``.
Several runners are safe: each round claims its files with ``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, and deleting an object that is already gone is not an error.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from practice_api.files.service import purge_deleted_files
from practice_api.runtime import Runtime

log = logging.getLogger("practice_api.files")

FIRST_ROUND_AFTER_SECONDS = 60.0
BATCH = 500


async def purge_once(runtime: Runtime) -> int:
    """One purge round in its own transaction; returns how many files were purged."""
    async with runtime.sessionmaker() as session:
        purged = await purge_deleted_files(
            session,
            runtime.storage,
            retention_days=runtime.settings.file_retention_days,
            limit=BATCH,
        )
        await session.commit()
    return purged


async def purge_periodically(runtime: Runtime, stop: asyncio.Event) -> None:
    """Purge every ``file_purge_interval_seconds`` until ``stop`` is set (0: never)."""
    interval = runtime.settings.file_purge_interval_seconds
    if not interval:
        return
    delay = min(FIRST_ROUND_AFTER_SECONDS, interval)
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), delay)
        if stop.is_set():
            return
        try:
            while await purge_once(runtime) >= BATCH:  # a full batch may leave more
                pass
        except Exception:
            log.exception("purging deleted files failed; retrying after the interval")
        delay = interval
