"""The reminders' periodic job, run next to the outbox dispatcher (API process or worker)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from practice_api.reminders.service import send_due_reminders
from practice_api.runtime import Runtime

log = logging.getLogger("practice_api.reminders")


async def remind_once(runtime: Runtime) -> int:
    """Send every due slot now; returns how many reminder e-mails were queued."""
    return await send_due_reminders(runtime.sessionmaker)


async def remind_periodically(runtime: Runtime, stop: asyncio.Event) -> None:
    """Every ``reminder_interval_seconds`` until ``stop`` is set (0: never)."""
    interval = runtime.settings.reminder_interval_seconds
    if not interval:
        return
    while not stop.is_set():
        try:
            await remind_once(runtime)
        except Exception:
            log.exception("sending reminders failed; retrying after the interval")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)
