"""Webhook endpoints: register, change, rotate the secret, ping, remove (admins)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.core.errors import Conflict, ValidationFailed, ValidationIssue
from practice_api.core.etag import check_if_match
from practice_api.core.principals import Principal
from practice_api.core.time import utcnow
from practice_api.events.models import Delivery
from practice_api.events.outbox import queue
from practice_api.events.service import EventSubject, changes_between, record_event
from practice_api.settings import Settings
from practice_api.webhooks.models import WebhookEndpoint
from practice_api.webhooks.repository import WebhookEndpointRepository
from practice_api.webhooks.schemas import WebhookEndpointCreate, WebhookEndpointUpdate
from practice_api.webhooks.signing import new_secret
from practice_api.webhooks.urls import TargetNotAllowed, check_target


async def _check_url(url: str, settings: Settings) -> None:
    try:
        await check_target(url, allow_private=settings.private_webhook_targets_allowed)
    except TargetNotAllowed as exc:
        raise ValidationFailed(
            str(exc),
            code="webhook_url_not_allowed",
            errors=[ValidationIssue(loc=["body", "url"], msg=str(exc), type="url")],
        ) from exc


def _snapshot(endpoint: WebhookEndpoint) -> dict[str, object]:
    return {
        "url": endpoint.url,
        "description": endpoint.description,
        "event_types": list(endpoint.event_types),
        "active": endpoint.active,
    }


ENDPOINT: EventSubject[WebhookEndpoint] = EventSubject(
    "webhook_endpoint",
    lambda endpoint: {
        "url": endpoint.url,
        "event_types": list(endpoint.event_types),
        "changes": {},
    },
)


async def create_endpoint(
    session: AsyncSession, principal: Principal, data: WebhookEndpointCreate, settings: Settings
) -> tuple[WebhookEndpoint, str]:
    """The new endpoint and its plain secret (stored encrypted; shown once)."""
    await _check_url(data.url, settings)
    endpoints = WebhookEndpointRepository(session, principal.firm_id)
    secret = new_secret()
    endpoint = endpoints.add(
        WebhookEndpoint(
            firm_id=principal.firm_id,
            url=data.url,
            description=data.description,
            event_types=data.event_types,
            active=data.active,
            secret=settings.secret_box.seal(secret),
            created_by=principal.id,
        )
    )
    await session.flush()
    await ENDPOINT.record(session, "webhook_endpoint.created", principal.actor, endpoint)
    return endpoint, secret


async def update_endpoint(
    session: AsyncSession,
    principal: Principal,
    endpoint_id: uuid.UUID,
    data: WebhookEndpointUpdate,
    if_match: str | None,
    settings: Settings,
) -> WebhookEndpoint:
    endpoints = WebhookEndpointRepository(session, principal.firm_id)
    endpoint = await endpoints.get_or_404(endpoint_id)
    check_if_match(if_match, endpoint.version)
    changes = data.changes()
    if "url" in changes:
        await _check_url(changes["url"], settings)
    before = _snapshot(endpoint)
    for field, value in changes.items():
        setattr(endpoint, field, value)
    await session.flush()
    diff = changes_between(before, _snapshot(endpoint))
    if diff:
        await ENDPOINT.record(
            session, "webhook_endpoint.updated", principal.actor, endpoint, changes=diff
        )
    return endpoint


async def rotate_secret(
    session: AsyncSession,
    principal: Principal,
    endpoint_id: uuid.UUID,
    settings: Settings,
) -> tuple[WebhookEndpoint, str]:
    """The endpoint and its new plain secret (stored encrypted; shown once)."""
    endpoint = await WebhookEndpointRepository(session, principal.firm_id).get_or_404(endpoint_id)
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = utcnow() + dt.timedelta(
        seconds=settings.webhook_secret_grace_seconds
    )
    secret = new_secret()
    endpoint.secret = settings.secret_box.seal(secret)
    await session.flush()
    await ENDPOINT.record(
        session,
        "webhook_endpoint.updated",
        principal.actor,
        endpoint,
        changes={"secret": {"old": "(rotated)", "new": "(rotated)"}},
    )
    return endpoint, secret


async def delete_endpoint(
    session: AsyncSession, principal: Principal, endpoint_id: uuid.UUID, if_match: str | None
) -> None:
    endpoints = WebhookEndpointRepository(session, principal.firm_id)
    endpoint = await endpoints.get_or_404(endpoint_id)
    check_if_match(if_match, endpoint.version)
    await ENDPOINT.record(session, "webhook_endpoint.deleted", principal.actor, endpoint)
    await endpoints.delete(endpoint)


async def ping(session: AsyncSession, principal: Principal, endpoint_id: uuid.UUID) -> Delivery:
    """Queue a ``webhook.ping`` delivery to this endpoint only."""
    endpoint = await WebhookEndpointRepository(session, principal.firm_id).get_or_404(endpoint_id)
    if not endpoint.active:
        raise Conflict(
            "The endpoint is inactive; activate it before pinging.",
            code="webhook_endpoint_inactive",
        )
    event = await record_event(
        session,
        type="webhook.ping",
        firm_id=principal.firm_id,
        actor=principal.actor,
        subject=("webhook_endpoint", endpoint.id),
        payload={"endpoint_id": endpoint.id, "message": "ping"},
    )
    delivery = Delivery(
        firm_id=principal.firm_id, event_id=event.id, channel="webhook", endpoint_id=endpoint.id
    )
    queue(session, [delivery])
    await session.flush()
    delivery.event = event
    return delivery
