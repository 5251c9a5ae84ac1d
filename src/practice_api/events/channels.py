"""Delivery channels: sending one claimed delivery, and what the message says.

A channel is registered by name (``EventRegistry.channel``): ``email`` and ``digest`` are
built in (an address and a mailer are all they need); the notifications domain registers
``in_app`` (it writes the notification when the delivery is recorded) and the webhooks
domain registers ``webhook`` (it loads the endpoint each delivery targets, signs, posts).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.core.time import utcnow
from practice_api.events import catalogue, render
from practice_api.events.addresses import Address
from practice_api.events.mail import HandOver, Mailer, compose
from practice_api.events.models import Event
from practice_api.settings import Settings

OutcomeKind = Literal["delivered", "retry", "dead", "cancelled"]


@dataclass(frozen=True)
class Outcome:
    kind: OutcomeKind
    error: str | None = None
    response_status: int | None = None


@dataclass
class Job:
    """A claimed delivery with everything needed to send it."""

    delivery_id: uuid.UUID
    claim_token: uuid.UUID
    channel: str
    attempts: int
    event: Event
    firm_name: str
    recipient_kind: str | None = None
    recipient_id: uuid.UUID | None = None
    address: Address | None = None
    client_name: str | None = None
    time_zone: str = "UTC"
    via: str | None = None
    extra: render.Extra | None = None
    # A daily digest (channel ``digest``): the held notifications it gathers.
    digest: list[render.DigestEntry] = field(default_factory=list)
    digest_clients: list[str] = field(default_factory=list)
    digest_date: dt.date | None = None
    # What a target-addressed channel sends to (a webhook endpoint), from its loader.
    target_id: uuid.UUID | None = None
    target: Any = None


class Senders(Protocol):
    """What a channel may use to send (the dispatcher provides them)."""

    settings: Settings
    mailer: Mailer

    @property
    def http(self) -> httpx.AsyncClient: ...

    def hand_over(self, job: Job) -> HandOver:
        """What to call right before a message that must go at most once leaves (records
        it as being sent; raises if the claim was lost)."""
        ...


TargetLoader = Callable[[AsyncSession, Sequence[uuid.UUID]], Awaitable[dict[uuid.UUID, Any]]]
# The delivered jobs of one recorded batch, each with its moment (a microsecond apart, in
# the order things happened).
Delivered = Callable[[AsyncSession, Sequence[tuple[Job, dt.datetime]], Settings], Awaitable[None]]


@dataclass(frozen=True)
class DeliveryChannel:
    """One way out. ``send`` runs outside any transaction; ``load_targets`` (channels whose
    deliveries name a target, e.g. a webhook endpoint) runs when jobs are claimed;
    ``delivered`` runs in the transaction that records a batch's delivered outcomes, once
    with all of them."""

    name: str
    send: Callable[[Job, Senders], Awaitable[Outcome]]
    load_targets: TargetLoader | None = None
    delivered: Delivered | None = None


def title(event: Event) -> str:
    """The catalogue's one-line title (the activity log's summary)."""
    spec = catalogue.get(event.type)
    text = spec.title(event) if spec else event.type
    return text[:500]


def details(event: Event) -> str:
    lines: list[str] = []
    changes = event.payload.get("changes")
    if isinstance(changes, dict) and changes:
        lines.append("Changes:")
        for name, change in changes.items():
            if isinstance(change, dict):
                lines.append(f"  {name}: {change.get('old')!r} -> {change.get('new')!r}")
    return "\n".join(lines)


def reader_of(job: Job) -> render.Reader:
    kind: render.ReaderKind = "staff"
    if job.recipient_kind == "contact":
        kind = "contact"
    elif job.recipient_kind == "guest":
        kind = "guest"
    name = job.address.name if job.address else ""
    return render.Reader(kind, job.recipient_id, name, job.via)


def rendered(job: Job, settings: Settings, *, layout: bool = True) -> render.Rendered:
    """The message of a claimed e-mail or in-app delivery (a digest: its day's summary);
    ``layout=False``: its lines only (no text or HTML body)."""
    if job.channel == "digest":
        return render.render_digest(
            reader_of(job),
            firm_name=job.firm_name,
            entries=job.digest,
            clients=job.digest_clients,
            settings=settings,
            day=job.digest_date or job.event.occurred_at.date(),
        )
    return render.render(
        job.event,
        reader_of(job),
        firm_name=job.firm_name,
        client=job.client_name,
        settings=settings,
        time_zone=job.time_zone,
        extra=job.extra,
        layout=layout,
    )


async def send_email(job: Job, senders: Senders) -> Outcome:
    settings = senders.settings
    if job.address is None or not job.address.active:
        return Outcome("cancelled", "the recipient no longer exists or is inactive")
    if not job.address.email:
        return Outcome("cancelled", "the recipient has no e-mail address")
    if job.channel == "digest" and not job.digest:
        return Outcome("cancelled", "nothing to send: the digest is empty")
    message = rendered(job, settings)
    email = compose(
        sender=settings.mail_from,
        sender_name=job.firm_name or None,
        to_name=job.address.name,
        to_address=job.address.email,
        subject=message.subject,
        body=message.text,
        html=message.html,
        unsubscribe=message.unsubscribe,
        delivery_id=job.delivery_id,
        sent_at=utcnow(),
    )
    # At most once: recorded as being sent before the message goes (see Mailer.send).
    await senders.mailer.send(email, senders.hand_over(job))
    return Outcome("delivered")


EMAIL = DeliveryChannel("email", send_email)
# The daily digest: one e-mail gathering a day's held notifications of one recipient.
DIGEST = DeliveryChannel("digest", send_email)

CHANNELS: dict[str, DeliveryChannel] = {EMAIL.name: EMAIL, DIGEST.name: DIGEST}


def register_channel(channel: DeliveryChannel) -> None:
    CHANNELS[channel.name] = channel
