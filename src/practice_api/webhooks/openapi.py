"""The event catalogue in the OpenAPI spec: one webhook (OpenAPI 3.1 ``webhooks``) per type.

Each type gets a component ``<Type>Webhook``: the envelope with ``type`` fixed and ``data``
typed by the type's payload model, so generated clients can parse deliveries.
"""

from typing import Any, Literal

from fastapi import FastAPI, Header
from pydantic import BaseModel, create_model

from practice_api.events.catalogue import EventType, event_types
from practice_api.events.schemas import WebhookEnvelope
from practice_api.webhooks import signing

SIGNATURE_DOC = (
    f"`{signing.SIGNATURE_HEADER}: t=<unix seconds>,id=<delivery id>,v1=<hex>` where "
    '`v1 = HMAC-SHA256(secret, t + "." + raw body)` (two `v1` while a rotated secret is in '
    "its grace period). Reject old timestamps; drop delivery ids you have seen."
)


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.replace("_", ".").split("."))


def envelope_model(event_type: EventType) -> type[BaseModel]:
    model: type[BaseModel] = create_model(
        _camel(event_type.name) + "Webhook",
        __base__=WebhookEnvelope,
        __doc__=event_type.description,
        type=(Literal[event_type.name], ...),  # type: ignore[arg-type]
        data=(event_type.payload, ...),
    )
    return model


def _receiver(event_type: EventType) -> Any:
    model = envelope_model(event_type)

    async def receiver(
        body: model,  # type: ignore[valid-type]
        practice_signature: str = Header(description=SIGNATURE_DOC),
        practice_delivery_id: str = Header(description="The delivery id (stable on retries)."),
        practice_event_type: str = Header(description="The event type."),
    ) -> None:
        """Any 2xx answer acknowledges; anything else (or no answer within the timeout)
        is retried with exponential backoff."""

    return receiver


def install_webhook_docs(app: FastAPI) -> None:
    for event_type in event_types():
        app.webhooks.add_api_route(
            event_type.name,
            _receiver(event_type),
            methods=["POST"],
            operation_id="webhook_" + event_type.name.replace(".", "_"),
            summary=event_type.description,
            description=(f"Notifies in-app/e-mail: {event_type.audience_text}.\n\n{SIGNATURE_DOC}"),
            tags=["webhook events"],
            status_code=200,
        )
