"""Bulk actions notify each person once: one summary per recipient, not one per item.

A bulk route wraps its loop::

    async with bulk.one_summary_per_recipient(
        session, action="owners.transfer", firm_id=principal.firm_id, actor=principal.actor
    ):
        for entity in entities:
            ...
            await record_event(session, type="entity.owner_changed", ...)

Inside, every event is recorded as usual (activity log, webhooks, one per item), but the
people it would notify are collected instead of being sent a message each. When the block
ends without an error, each of them gets one ``bulk.summary`` notification (in-app and/or
e-mail, or held for their digest: the channels their own choices give the items) listing
the first clients by name and the count, in words that fit their side ("moved from you to
Bob" / "came to you from Olga").

Words per action (``register_summary``) and each item's side for a recipient
(``register_side``) are registered by the domain that owns the action. Mass imports use
``quietly(session)``: the items are recorded for the log and webhooks and notify nobody.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.core.principals import Actor
from practice_api.core.time import utcnow
from practice_api.events import repository
from practice_api.events.catalogue import EventType, Payload, Recipient

if TYPE_CHECKING:
    from practice_api.events.models import Delivery, Event
    from practice_api.events.registry import EventRegistry

SESSION_KEY = "bulk_summary"
SUMMARY_TYPE = "bulk.summary"
LISTED = 20  # clients listed by name; the rest are counted

# Side of one item for one recipient, and a phrase to show with it ("to Bob Builder").
SideOf = Callable[["Event", Recipient], tuple[str | None, str | None]]


@dataclass(frozen=True)
class SummaryWords:
    """``default`` and per-side templates with ``{actor}``, ``{clients}`` ("5 clients"),
    ``{other}`` (the items' detail, e.g. "to Bob Builder"; several in brackets)."""

    default: str
    by_side: dict[str, str] = field(default_factory=dict)


_WORDS: dict[str, SummaryWords] = {}
_SIDES: dict[str, SideOf] = {}


def register_summary(action: str, default: str, **by_side: str) -> None:
    _WORDS[action] = SummaryWords(default, {k.rstrip("_"): v for k, v in by_side.items()})


def register_side(event_type: str, side_of: SideOf) -> None:
    _SIDES[event_type] = side_of


class SummaryItem(Payload):
    entity_id: uuid.UUID | None = None
    name: str | None = None
    side: str | None = None
    detail: str | None = None
    event_type: str | None = None


class BulkSummaryPayload(Payload):
    action: str
    summary: str = ""
    count: int = 0
    items: list[SummaryItem] = []
    recipient_kind: str
    recipient_id: uuid.UUID


# The mechanism's own type; ``register_all()`` adds it after the domains' first types.
SUMMARY = EventType(
    SUMMARY_TYPE,
    "One notification per person for a bulk action (a transfer, bulk shares, ...): what "
    "changed for them, the first clients by name and the count. The items themselves are "
    "in the activity log and go to webhooks one by one.",
    BulkSummaryPayload,
    lambda event: str(event.payload.get("summary") or "changes in bulk"),
    fan_out=False,
    audience_text="each person the action's items would have notified, once",
    link="entities",
)


@dataclass
class _Pending:
    recipient: Recipient
    first_event: Event | None = None
    channels: set[str] = field(default_factory=set)
    items: list[SummaryItem] = field(default_factory=list)
    count: int = 0
    sides: set[str | None] = field(default_factory=set)
    details: set[str] = field(default_factory=set)


@dataclass
class Collector:
    action: str
    firm_id: uuid.UUID
    actor: Actor
    quiet: bool = False
    pending: dict[tuple[str, uuid.UUID], _Pending] = field(default_factory=dict)

    def collect(self, event: Event, recipient: Recipient, channels: set[str]) -> None:
        if self.quiet or not channels:
            return
        key = (recipient.kind, recipient.id)
        entry = self.pending.setdefault(key, _Pending(recipient))
        entry.channels |= channels
        side_of = _SIDES.get(event.type)
        side, detail = side_of(event, recipient) if side_of else (None, None)
        entry.count += 1
        entry.first_event = entry.first_event or event
        entry.sides.add(side)
        if detail:
            entry.details.add(detail)
        if len(entry.items) < LISTED:
            entry.items.append(
                SummaryItem(
                    entity_id=event.entity_id, side=side, detail=detail, event_type=event.type
                )
            )

    async def record(self, session: AsyncSession) -> list[Event]:
        from practice_api.events.models import Event
        from practice_api.events.outbox import queue

        if not self.pending:
            return []
        names = await _entity_names(
            session, {i.entity_id for p in self.pending.values() for i in p.items}
        )
        events: list[Event] = []
        deliveries: list[Delivery] = []
        summarised: list[_Pending] = []
        for entry in self.pending.values():
            if entry.count == 1 and entry.first_event is not None:
                # One item for this person: its own message says it best.
                deliveries.extend(_deliveries(entry.first_event, entry))
                continue
            summarised.append(entry)
            for item in entry.items:
                item.name = names.get(item.entity_id) if item.entity_id else None
            payload = BulkSummaryPayload(
                action=self.action,
                summary=self._words(entry),
                count=entry.count,
                items=entry.items,
                recipient_kind=entry.recipient.kind,
                recipient_id=entry.recipient.id,
            )
            event = Event(
                firm_id=self.firm_id,
                type=SUMMARY_TYPE,
                entity_id=None,
                actor_kind=self.actor.kind,
                actor_id=self.actor.id,
                actor_name=self.actor.name,
                payload=payload.model_dump(mode="json"),
            )
            session.add(event)
            events.append(event)
        await session.flush()
        for event, entry in zip(events, summarised, strict=True):
            deliveries.extend(_deliveries(event, entry))
        queue(session, deliveries)
        return events

    def _words(self, entry: _Pending) -> str:
        words = _WORDS.get(self.action) or SummaryWords("{actor} changed {clients}")
        sides = [side for side in entry.sides if side is not None]
        template = words.default
        if len(entry.sides) == 1 and len(sides) == 1:
            template = words.by_side.get(sides[0], words.default)
        clients = f"{entry.count} client{'s' if entry.count != 1 else ''}"
        details = sorted(entry.details)
        if len(details) == 1:
            other = details[0]
        elif details:
            other = "(" + ", ".join(details[:3]) + (", ..." if len(details) > 3 else "") + ")"
        else:
            other = ""
        values = {"actor": self.actor.name, "clients": clients, "other": other}
        return " ".join(template.format_map(values).split())


def _deliveries(event: Event, entry: _Pending) -> list[Delivery]:
    from practice_api.events.models import Delivery

    out = []
    for channel in ("in_app", "email", "digest"):
        if channel not in entry.channels or (channel == "digest" and "email" in entry.channels):
            continue
        out.append(
            Delivery(
                firm_id=event.firm_id,
                event_id=event.id,
                channel="email" if channel == "digest" else channel,
                status="held" if channel == "digest" else "pending",
                next_attempt_at=None if channel == "digest" else utcnow(),
                via=entry.recipient.via,
                recipient_kind=entry.recipient.kind,
                recipient_id=entry.recipient.id,
            )
        )
    return out


async def _entity_names(session: AsyncSession, ids: set[Any]) -> dict[uuid.UUID, str]:
    return await repository.entity_names(session, [i for i in ids if i is not None])


def active(session: AsyncSession) -> Collector | None:
    collector: Collector | None = session.info.get(SESSION_KEY)
    return collector


@asynccontextmanager
async def one_summary_per_recipient(
    session: AsyncSession, *, action: str, firm_id: uuid.UUID, actor: Actor
) -> AsyncIterator[Collector]:
    """Collect the people the block's events notify; each gets one summary at the end."""
    outer = active(session)
    if outer is not None:  # nested bulk: the outer action summarises everything
        yield outer
        return
    collector = Collector(action, firm_id, actor)
    session.info[SESSION_KEY] = collector
    try:
        yield collector
    finally:
        session.info.pop(SESSION_KEY, None)
    await collector.record(session)


@asynccontextmanager
async def quietly(session: AsyncSession) -> AsyncIterator[None]:
    """Mass imports: the block's events notify nobody (log and webhooks only)."""
    outer = active(session)
    if outer is not None:
        yield
        return
    session.info[SESSION_KEY] = Collector("import", uuid.UUID(int=0), _system(), quiet=True)
    try:
        yield
    finally:
        session.info.pop(SESSION_KEY, None)


def _system() -> Actor:
    return Actor.system()


def register(events: EventRegistry) -> None:
    events.event_types([SUMMARY])
