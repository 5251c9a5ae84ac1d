"""Periods of recurring task types and the date rules of tasks, all on plain dates.

A period is a month (``2026-01``), a quarter (``2026-Q1``) or a year (``2026``). Dates are
firm-local calendar dates: callers read "today" with ``core.time.local_today(firm tz)``,
so a month end or a daylight-saving change in the firm's zone never shifts a due date.
A day past the end of a month is clamped to its last day (day 31 in February is the 28th
or 29th).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Literal

Frequency = Literal["monthly", "quarterly", "yearly"]
MONTHS: dict[str, int] = {"monthly": 1, "quarterly": 3, "yearly": 12}
_PERIOD = re.compile(r"^(\d{4})(?:-(\d{2})|-Q([1-4]))?$")


@dataclass(frozen=True)
class Period:
    key: str
    start: dt.date
    end: dt.date  # the last day
    frequency: Frequency

    def next(self) -> Period:
        return period_of(self.end + dt.timedelta(days=1), self.frequency)


def add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def on_day(year: int, month: int, day: int) -> dt.date:
    """``day`` of the month, clamped to the month's last day."""
    return dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))


def period_of(day: dt.date, frequency: Frequency) -> Period:
    if frequency == "monthly":
        start = day.replace(day=1)
        key = f"{day.year:04d}-{day.month:02d}"
    elif frequency == "quarterly":
        quarter = (day.month - 1) // 3
        start = dt.date(day.year, quarter * 3 + 1, 1)
        key = f"{day.year:04d}-Q{quarter + 1}"
    else:
        start = dt.date(day.year, 1, 1)
        key = f"{day.year:04d}"
    year, month = add_months(start.year, start.month, MONTHS[frequency] - 1)
    return Period(key, start, on_day(year, month, 31), frequency)


def parse_period(key: str) -> Period | None:
    match = _PERIOD.match(key)
    if match is None:
        return None
    year, month, quarter = int(match[1]), match[2], match[3]
    if month is not None:
        if not 1 <= int(month) <= 12:
            return None
        return period_of(dt.date(year, int(month), 1), "monthly")
    if quarter is not None:
        return period_of(dt.date(year, (int(quarter) - 1) * 3 + 1, 1), "quarterly")
    return period_of(dt.date(year, 1, 1), "yearly")


def after_period(period: Period, day: int, months_after: int) -> dt.date:
    """``day`` of the month ``months_after`` months after the period's last month."""
    year, month = add_months(period.end.year, period.end.month, months_after)
    return on_day(year, month, day)


def recurrence_due(recurrence: dict[str, Any], period: Period) -> dt.date:
    return after_period(period, int(recurrence["day"]), int(recurrence.get("months_after", 1)))


def output_due(
    rule: dict[str, Any] | None, period: Period | None, task_due: dt.date | None
) -> dt.date | None:
    """An output document's due date from its type's rule.

    ``day_of_month_after_period``: day N of the month ``months_after`` months after the
    period (a task without a period uses the month of its due date);
    ``days_after_task_due``: the task's due date plus N days (negative: before it).
    """
    if not rule:
        return task_due
    if rule.get("kind") == "days_after_task_due":
        return task_due + dt.timedelta(days=int(rule["days"])) if task_due else None
    if rule.get("kind") == "day_of_month_after_period":
        if period is None:
            if task_due is None:
                return None
            period = period_of(task_due, "monthly")
        return after_period(period, int(rule["day"]), int(rule.get("months_after", 1)))
    return task_due
