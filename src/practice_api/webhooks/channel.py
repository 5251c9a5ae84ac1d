"""The ``webhook`` delivery channel: one row per subscribed endpoint, signed POSTs."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Sequence
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.core.time import utcnow
from practice_api.events.channels import DeliveryChannel, Job, Outcome, Senders
from practice_api.events.models import Delivery, Event
from practice_api.events.schemas import EventActor, EventSubject, WebhookEnvelope
from practice_api.settings import Settings
from practice_api.webhooks import signing
from practice_api.webhooks.models import WebhookEndpoint
from practice_api.webhooks.urls import TargetNotAllowed, check_target, pinned


async def subscribed_endpoint_deliveries(session: AsyncSession, event: Event) -> list[Delivery]:
    """One outbox row per active endpoint of the firm subscribed to the event's type."""
    rows = await session.execute(
        select(WebhookEndpoint.id, WebhookEndpoint.event_types).where(
            WebhookEndpoint.firm_id == event.firm_id, WebhookEndpoint.active.is_(True)
        )
    )
    return [
        Delivery(
            firm_id=event.firm_id, event_id=event.id, channel="webhook", endpoint_id=endpoint_id
        )
        for endpoint_id, types in rows
        if "*" in types or event.type in (types or [])
    ]


async def endpoints_by_id(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Any]:
    rows = await session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.id.in_(set(ids))))
    return {endpoint.id: endpoint for endpoint in rows}


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


def _secrets(endpoint: WebhookEndpoint, settings: Settings) -> list[str]:
    """The plain signing secrets (stored encrypted, see core.secretbox)."""
    keys = [endpoint.secret]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires is not None and expires > utcnow():
        keys.append(endpoint.previous_secret)
    return [settings.secret_box.open(key) for key in keys]


async def send_webhook(job: Job, senders: Senders) -> Outcome:
    settings = senders.settings
    endpoint: WebhookEndpoint | None = job.target
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
        response = await senders.http.post(
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


WEBHOOK = DeliveryChannel("webhook", send_webhook, load_targets=endpoints_by_id)
