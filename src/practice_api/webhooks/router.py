from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, status

from practice_api.core.errors import problem_responses
from practice_api.core.etag import IfMatchHeader, set_etag
from practice_api.core.http import created, updated
from practice_api.core.pagination import Listing, PageParams, page_params, page_response
from practice_api.db import SessionDep
from practice_api.events.models import Delivery
from practice_api.runtime import RuntimeDep
from practice_api.webhooks import service
from practice_api.webhooks.models import WebhookEndpoint
from practice_api.webhooks.policy import CanManageWebhooks, CanUseWebhooks
from practice_api.webhooks.repository import (
    DELIVERY_ORDERING,
    ENDPOINT_ORDERING,
    WebhookEndpointRepository,
)
from practice_api.webhooks.schemas import (
    WebhookDeliveryPage,
    WebhookDeliveryRead,
    WebhookEndpointCreate,
    WebhookEndpointPage,
    WebhookEndpointRead,
    WebhookEndpointUpdate,
    WebhookEndpointWithSecret,
    WebhookSecret,
)

router = APIRouter(prefix="/v1/webhook-endpoints", tags=["webhooks"])

ENDPOINT_LISTING = Listing.of(WebhookEndpoint, WebhookEndpointRead)

DeliveryStatus = Literal["pending", "delivered", "dead", "cancelled"]


def delivery_read(delivery: Delivery) -> WebhookDeliveryRead:
    return WebhookDeliveryRead(
        id=delivery.id,
        event_id=delivery.event_id,
        event_type=delivery.event.type,
        status=delivery.status,
        attempts=delivery.attempts,
        response_status=delivery.response_status,
        last_error=delivery.last_error,
        next_attempt_at=delivery.next_attempt_at,
        created_at=delivery.created_at,
        delivered_at=delivery.delivered_at,
    )


@router.get(
    "",
    operation_id="webhook_endpoints_list",
    summary="List the firm's webhook endpoints (admins)",
    response_model=WebhookEndpointPage,
    responses=problem_responses(400, 401, 403, 422),
)
async def list_endpoints(
    session: SessionDep,
    principal: CanUseWebhooks,
    page: Annotated[PageParams, Depends(page_params)],
    order_by: str = ENDPOINT_ORDERING.param(),
) -> Response:
    endpoints = WebhookEndpointRepository(session, principal.firm_id)
    rows, cursor = await endpoints.page_rows(
        endpoints.readable(), page, ENDPOINT_ORDERING, order_by, ENDPOINT_LISTING
    )
    return page_response(ENDPOINT_LISTING.items(rows), cursor)


@router.post(
    "",
    operation_id="webhook_endpoints_create",
    summary="Register a webhook endpoint; the answer shows its signing secret once (admins)",
    status_code=status.HTTP_201_CREATED,
    response_model=WebhookEndpointWithSecret,
    responses=problem_responses(401, 403, 409, 422),
)
async def create_endpoint(
    body: WebhookEndpointCreate,
    response: Response,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CanUseWebhooks,
) -> WebhookEndpointWithSecret:
    endpoint, secret = await service.create_endpoint(session, principal, body, runtime.settings)
    created(response, f"/v1/webhook-endpoints/{endpoint.id}", endpoint.version)
    return WebhookEndpointWithSecret.model_validate(endpoint).model_copy(update={"secret": secret})


@router.get(
    "/{endpoint_id}",
    operation_id="webhook_endpoints_get",
    summary="Get a webhook endpoint (admins; the secret is never shown again)",
    response_model=WebhookEndpointRead,
    responses=problem_responses(304, 401, 403, 404, 422),
)
async def get_endpoint(
    endpoint_id: uuid.UUID,
    request: Request,
    response: Response,
    session: SessionDep,
    principal: CanManageWebhooks,
) -> WebhookEndpointRead:
    endpoint = await WebhookEndpointRepository(session, principal.firm_id).get_or_404(endpoint_id)
    set_etag(request, response, endpoint.version)
    return WebhookEndpointRead.model_validate(endpoint)


@router.patch(
    "/{endpoint_id}",
    operation_id="webhook_endpoints_update",
    summary="Change a webhook endpoint's URL, event types, description or active flag (admins)",
    response_model=WebhookEndpointRead,
    responses=problem_responses(401, 403, 404, 409, 412, 422),
)
async def update_endpoint(
    endpoint_id: uuid.UUID,
    body: WebhookEndpointUpdate,
    response: Response,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CanManageWebhooks,
    if_match: IfMatchHeader = None,
) -> WebhookEndpointRead:
    endpoint = await service.update_endpoint(
        session, principal, endpoint_id, body, if_match, runtime.settings
    )
    updated(response, endpoint.version)
    return WebhookEndpointRead.model_validate(endpoint)


@router.delete(
    "/{endpoint_id}",
    operation_id="webhook_endpoints_delete",
    summary="Delete a webhook endpoint and its pending deliveries (admins)",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 412, 422),
)
async def delete_endpoint(
    endpoint_id: uuid.UUID,
    session: SessionDep,
    principal: CanManageWebhooks,
    if_match: IfMatchHeader = None,
) -> Response:
    await service.delete_endpoint(session, principal, endpoint_id, if_match)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{endpoint_id}/rotate-secret",
    operation_id="webhook_endpoints_rotate_secret",
    summary="Replace the signing secret; the old one keeps signing for a grace period (admins)",
    response_model=WebhookSecret,
    responses=problem_responses(401, 403, 404, 422),
)
async def rotate_secret(
    endpoint_id: uuid.UUID,
    response: Response,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CanManageWebhooks,
) -> WebhookSecret:
    endpoint, secret = await service.rotate_secret(
        session, principal, endpoint_id, runtime.settings
    )
    updated(response, endpoint.version)
    return WebhookSecret(
        secret=secret, previous_secret_expires_at=endpoint.previous_secret_expires_at
    )


@router.post(
    "/{endpoint_id}/ping",
    operation_id="webhook_endpoints_ping",
    summary="Queue a signed webhook.ping delivery to this endpoint (admins)",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=WebhookDeliveryRead,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def ping(
    endpoint_id: uuid.UUID, session: SessionDep, principal: CanManageWebhooks
) -> WebhookDeliveryRead:
    return delivery_read(await service.ping(session, principal, endpoint_id))


@router.get(
    "/{endpoint_id}/deliveries",
    operation_id="webhook_endpoints_deliveries",
    summary="The endpoint's deliveries, newest first: status, attempts, last error (admins)",
    response_model=WebhookDeliveryPage,
    responses=problem_responses(400, 401, 403, 404, 422),
)
async def list_deliveries(
    endpoint_id: uuid.UUID,
    session: SessionDep,
    principal: CanManageWebhooks,
    page: Annotated[PageParams, Depends(page_params)],
    order_by: str = DELIVERY_ORDERING.param(),
    delivery_status: Annotated[
        DeliveryStatus | None, Query(alias="status", description="Only this status")
    ] = None,
) -> WebhookDeliveryPage:
    endpoints = WebhookEndpointRepository(session, principal.firm_id)
    await endpoints.get_or_404(endpoint_id)
    rows, cursor = await endpoints.deliveries(endpoint_id, page, order_by, status=delivery_status)
    return WebhookDeliveryPage(items=[delivery_read(d) for d in rows], next_cursor=cursor)
