"""Event types of webhook endpoints, and the ``webhook`` delivery channel."""

from __future__ import annotations

import uuid

from pydantic import Field

from practice_api.events.catalogue import ChangesPayload, EventType, Payload, text
from practice_api.events.registry import EventRegistry
from practice_api.webhooks.channel import WEBHOOK, subscribed_endpoint_deliveries


class WebhookEndpointPayload(ChangesPayload):
    url: str
    event_types: list[str] = Field(default_factory=list)


class WebhookPing(Payload):
    endpoint_id: uuid.UUID
    message: str = "ping"


TYPES = [
    EventType(
        "webhook_endpoint.created",
        "A webhook endpoint was added.",
        WebhookEndpointPayload,
        text("{actor} added the webhook endpoint {url}"),
    ),
    EventType(
        "webhook_endpoint.updated",
        "A webhook endpoint was changed or its secret rotated.",
        WebhookEndpointPayload,
        text("{actor} changed the webhook endpoint {url}"),
    ),
    EventType(
        "webhook_endpoint.deleted",
        "A webhook endpoint was deleted.",
        WebhookEndpointPayload,
        text("{actor} deleted the webhook endpoint {url}"),
    ),
    EventType(
        "webhook.ping",
        "A test delivery requested with POST /v1/webhook-endpoints/{id}/ping; sent to that "
        "endpoint only, whatever its subscriptions.",
        WebhookPing,
        text("{actor} pinged a webhook endpoint"),
        fan_out=False,
        audience_text="the pinged endpoint only",
    ),
]


def register(events: EventRegistry) -> None:
    events.event_types(TYPES)
    events.channel(WEBHOOK)
    events.target_fan_out(subscribed_endpoint_deliveries)
