"""The one clock of the application (always timezone-aware UTC) and firm-local dates.

Every "now" goes through :func:`utcnow`, so tests can move the clock with
:func:`travel_to` instead of sleeping. Every date-only rule (due dates, "today",
reminder slots, recurring periods) is read in the firm's IANA time zone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_offset = dt.timedelta(0)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC) + _offset


@contextmanager
def travel_to(moment: dt.datetime) -> Iterator[None]:
    """Run the block as if the clock read ``moment`` when it starts (time keeps moving)."""
    global _offset
    if moment.tzinfo is None:
        raise ValueError("travel_to needs an aware datetime")
    previous = _offset
    _offset = moment - dt.datetime.now(dt.UTC)
    try:
        yield
    finally:
        _offset = previous


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    """The ZoneInfo for an IANA name; raises ValueError for an unknown one."""
    if not is_time_zone(name):
        raise ValueError(f"unknown time zone {name!r}")
    return ZoneInfo(name)


def is_time_zone(name: str) -> bool:
    """True for an IANA zone name such as ``Europe/Paris`` or ``UTC``."""
    if not name or name != name.strip() or name.startswith(("/", ".")) or ".." in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def local_now(time_zone: str) -> dt.datetime:
    return utcnow().astimezone(zone(time_zone))


def local_today(time_zone: str) -> dt.date:
    """Today's date in the firm's time zone."""
    return local_now(time_zone).date()


def start_of_local_day(day: dt.date, time_zone: str) -> dt.datetime:
    """The UTC instant at which ``day`` begins in ``time_zone`` (DST-safe)."""
    return dt.datetime.combine(day, dt.time(0), tzinfo=zone(time_zone)).astimezone(dt.UTC)
