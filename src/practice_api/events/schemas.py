"""What leaves the system about an event: the webhook envelope (also the OpenAPI component)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pydantic import BaseModel, Field


class EventActor(BaseModel):
    kind: str = Field(description="staff, contact, guest or system")
    id: uuid.UUID | None
    name: str


class EventSubject(BaseModel):
    type: str = Field(description="What kind of object changed (entity, user, share, ...).")
    id: uuid.UUID


class WebhookEnvelope(BaseModel):
    """The JSON body POSTed to a webhook endpoint."""

    id: uuid.UUID = Field(
        description="The delivery id, also in the Practice-Delivery-Id header and the "
        "signature; the same on every retry of this delivery. Drop ids you already processed."
    )
    event_id: uuid.UUID
    type: str = Field(description="The event type, see the event catalogue.")
    occurred_at: dt.datetime
    firm_id: uuid.UUID
    entity_id: uuid.UUID | None
    actor: EventActor
    subject: EventSubject | None
    data: Any = Field(description="The event's payload (its model depends on `type`).")
