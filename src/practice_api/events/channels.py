"""Sending one claimed delivery over its channel, and what the message says."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Literal

import httpx

from practice_api.core.time import utcnow
from practice_api.events import catalogue, render
from practice_api.events.addresses import Address
from practice_api.events.mail import Mailer, compose
from practice_api.events.models import Event
from practice_api.events.schemas import EventActor, EventSubject, WebhookEnvelope
from practice_api.settings import Settings
from practice_api.webhooks import signing
from practice_api.webhooks.models import WebhookEndpoint
from practice_api.webhooks.urls import TargetNotAllowed, check_target, pinned

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
    endpoint: WebhookEndpoint | None = None
    client_name: str | None = None
    time_zone: str = "UTC"
    via: str | None = None
    extra: render.Extra | None = None
    # A daily digest (channel ``digest``): the held notifications it gathers.
    digest: list[render.DigestEntry] = field(default_factory=list)
    digest_clients: list[str] = field(default_factory=list)
    digest_date: dt.date | None = None


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
    kind: render.ReaderKind = "contact" if job.recipient_kind == "contact" else "staff"
    name = job.address.name if job.address else ""
    return render.Reader(kind, job.recipient_id, name, job.via)


def rendered(job: Job, settings: Settings) -> render.Rendered:
    """The message of a claimed e-mail or in-app delivery (a digest: its day's summary)."""
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
    )


def webhook_body(job: Job) -> bytes:
    event = job.event
    envelope = WebhookEnvelope(
        id=job.delivery_id,
        event_id=event.id,
        type=event.type,
        occurred_at=event.occurred_at,
        firm_id=event.firm_id,
        entity_id=event.entity_id,
        actor=EventActor(kind=event.actor_kind, id=event.actor_id, name=event.actor_name),
        subject=(
            EventSubject(type=event.subject_type, id=event.subject_id)
            if event.subject_type and event.subject_id
            else None
        ),
        data=event.payload,
    )
    return json.dumps(envelope.model_dump(mode="json"), separators=(",", ":")).encode()


async def send_email(job: Job, mailer: Mailer, settings: Settings) -> Outcome:
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
    await mailer.send(email)
    return Outcome("delivered")


def _secrets(endpoint: WebhookEndpoint, settings: Settings) -> list[str]:
    """The plain signing secrets (stored encrypted, see core.secretbox)."""
    keys = [endpoint.secret]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires is not None and expires > utcnow():
        keys.append(endpoint.previous_secret)
    return [settings.secret_box.open(key) for key in keys]


async def send_webhook(job: Job, http: httpx.AsyncClient, settings: Settings) -> Outcome:
    endpoint = job.endpoint
    if endpoint is None:
        return Outcome("cancelled", "the endpoint was deleted")
    if not endpoint.active:
        return Outcome("cancelled", "the endpoint is inactive")
    try:
        address = await check_target(
            endpoint.url, allow_private=settings.private_webhook_targets_allowed
        )
    except TargetNotAllowed as exc:
        return Outcome("dead", str(exc))
    target = pinned(endpoint.url, address)
    body = webhook_body(job)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "practice-api-webhooks/1",
        signing.SIGNATURE_HEADER: signing.signature_header(
            _secrets(endpoint, settings), timestamp, job.delivery_id, body
        ),
        signing.DELIVERY_HEADER: str(job.delivery_id),
        signing.EVENT_HEADER: job.event.type,
    }
    if target.host_header:
        headers["Host"] = target.host_header
    extensions = {"sni_hostname": target.sni_hostname} if target.sni_hostname else None
    try:
        response = await http.post(
            target.url,
            content=body,
            headers=headers,
            timeout=settings.webhook_timeout_seconds,
            follow_redirects=False,
            extensions=extensions,
        )
    except httpx.TimeoutException:
        return Outcome("retry", f"timed out after {settings.webhook_timeout_seconds:g} s")
    except httpx.HTTPError as exc:
        return Outcome("retry", f"{type(exc).__name__}: {exc}"[:1000])
    if 200 <= response.status_code < 300:
        return Outcome("delivered", response_status=response.status_code)
    return Outcome(
        "retry", f"the endpoint answered HTTP {response.status_code}", response.status_code
    )
