from __future__ import annotations

import datetime as dt
import uuid

from pydantic import Field, field_validator

from practice_api.core.pagination import Page
from practice_api.core.schemas import InputModel, PatchModel, ReadModel
from practice_api.events import catalogue
from practice_api.webhooks.urls import TargetNotAllowed, check_shape

URL_DESCRIPTION = (
    "http(s) URL receiving POSTed events. In production, addresses that resolve to "
    "private, loopback or link-local networks are refused."
)
TYPES_DESCRIPTION = 'Event type names from the catalogue, or ["*"] for every type.'


def _check_url(url: str) -> str:
    try:
        check_shape(url)
    except TargetNotAllowed as exc:
        raise ValueError(str(exc)) from exc
    return url


def _check_types(types: list[str]) -> list[str]:
    unknown = [t for t in types if t != "*" and catalogue.get(t) is None]
    if unknown:
        raise ValueError(f"unknown event types: {', '.join(sorted(unknown))}")
    return sorted(set(types))


class WebhookEndpointCreate(InputModel):
    url: str = Field(max_length=2000, description=URL_DESCRIPTION)
    description: str = Field(default="", max_length=500)
    event_types: list[str] = Field(min_length=1, max_length=200, description=TYPES_DESCRIPTION)
    active: bool = True

    _url = field_validator("url")(_check_url)
    _types = field_validator("event_types")(_check_types)


class WebhookEndpointUpdate(PatchModel):
    url: str | None = Field(default=None, max_length=2000, description=URL_DESCRIPTION)
    description: str | None = Field(default=None, max_length=500)
    event_types: list[str] | None = Field(
        default=None, min_length=1, max_length=200, description=TYPES_DESCRIPTION
    )
    active: bool | None = None

    @field_validator("url")
    @classmethod
    def _url(cls, url: str | None) -> str | None:
        return None if url is None else _check_url(url)

    @field_validator("event_types")
    @classmethod
    def _types(cls, types: list[str] | None) -> list[str] | None:
        return None if types is None else _check_types(types)


class WebhookEndpointRead(ReadModel):
    id: uuid.UUID
    url: str
    description: str
    event_types: list[str]
    active: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class WebhookEndpointWithSecret(WebhookEndpointRead):
    secret: str = Field(
        description="The signing secret. Shown only now: store it to verify signatures."
    )


class WebhookSecret(ReadModel):
    secret: str = Field(description="The new signing secret. Shown only now.")
    previous_secret_expires_at: dt.datetime | None = Field(
        description="Until then deliveries also carry a signature made with the old secret."
    )


class WebhookEndpointPage(Page[WebhookEndpointRead]):
    pass


class WebhookDeliveryRead(ReadModel):
    id: uuid.UUID = Field(description="The delivery id sent in Practice-Delivery-Id.")
    event_id: uuid.UUID
    event_type: str
    status: str = Field(description="pending, delivered, dead or cancelled")
    attempts: int
    response_status: int | None = Field(description="The endpoint's last HTTP status.")
    last_error: str | None
    next_attempt_at: dt.datetime | None
    created_at: dt.datetime
    delivered_at: dt.datetime | None


class WebhookDeliveryPage(Page[WebhookDeliveryRead]):
    pass
