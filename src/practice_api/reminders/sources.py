"""What the reminders ask the subject domains: their open items, per recipient.

A domain (file requests, client requests, task documents) has its source registered once,
by ``registry.register_all()`` (never at import time): given recipients, it answers their
open items on every subject of its kind, so a reminder e-mail lists everything a person
still owes the firm, across subjects.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

RecipientKey = tuple[str, uuid.UUID]


@dataclass(frozen=True)
class OpenItem:
    """One thing a recipient still owes, as a reminder lists it."""

    subject_kind: str
    subject_id: uuid.UUID
    subject_title: str
    item_title: str
    due_date: dt.date | None
    path: str  # under the portal link, e.g. ``file-requests/<id>``
    status: str = "open"


OpenItems = Callable[
    [AsyncSession, uuid.UUID, list[RecipientKey]], Awaitable[dict[RecipientKey, list[OpenItem]]]
]

_sources: dict[str, OpenItems] = {}


def register_source(kind: str, open_items: OpenItems) -> None:
    """Declare a subject kind and how to list its open items per recipient."""
    _sources[kind] = open_items


def sources() -> dict[str, OpenItems]:
    return dict(_sources)


async def open_items_of(
    session: AsyncSession, firm_id: uuid.UUID, recipients: list[RecipientKey]
) -> dict[RecipientKey, list[OpenItem]]:
    """Every open item of each recipient, across all registered subject kinds."""
    out: dict[RecipientKey, list[OpenItem]] = {r: [] for r in recipients}
    if not recipients:
        return out
    for open_items in _sources.values():
        for key, items in (await open_items(session, firm_id, recipients)).items():
            out.setdefault(key, []).extend(items)
    for items in out.values():
        items.sort(key=lambda i: (i.due_date or dt.date.max, i.subject_title, i.item_title))
    return out
