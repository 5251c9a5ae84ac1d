"""Webhook endpoints and signed deliveries to a real local HTTP server."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from typing import Any

import pytest

from practice_api.events.dispatcher import Dispatcher, backoff_seconds
from practice_api.webhooks import signing
from tests.event_helpers import WebhookReceiver, deliveries
from tests.helpers import Actor, Api, problem

pytest_plugins = ["tests.event_fixtures"]


async def _endpoint(api: Api, admin: Actor, url: str, *types: str) -> dict[str, Any]:
    response = await api.client.post(
        "/v1/webhook-endpoints",
        json={"url": url, "event_types": list(types) or ["*"], "description": "CRM sync"},
        headers=admin.headers,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def verify_like_a_receiver(secret: str, header: str, body: bytes) -> bool:
    """The documented recipe, written out independently of the server's code."""
    fields = dict(part.split("=", 1) for part in header.split(",") if not part.startswith("v1="))
    signatures = [part[3:] for part in header.split(",") if part.startswith("v1=")]
    timestamp = fields["t"]
    if abs(time.time() - int(timestamp)) > 300:
        return False
    expected = hmac.new(
        secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return any(hmac.compare_digest(expected, s) for s in signatures)


async def test_endpoint_crud_secret_shown_once(api: Api, webhook_receiver: WebhookReceiver) -> None:
    admin = await api.sign_up_firm()
    created = await _endpoint(api, admin, webhook_receiver.url, "user.created", "firm.updated")
    assert created["secret"].startswith("whsec_")
    assert created["event_types"] == ["firm.updated", "user.created"]
    location = f"/v1/webhook-endpoints/{created['id']}"

    got = await api.client.get(location, headers=admin.headers)
    assert got.status_code == 200 and "secret" not in got.json()
    listed = await api.client.get("/v1/webhook-endpoints", headers=admin.headers)
    assert [e["id"] for e in listed.json()["items"]] == [created["id"]]
    assert "secret" not in listed.json()["items"][0]
    assert listed.json()["items"][0] == got.json()  # the list's fast path: the same item

    patched = await api.client.patch(
        location,
        json={"active": False, "event_types": ["*"]},
        headers={**admin.headers, "If-Match": got.headers["ETag"]},
    )
    assert patched.status_code == 200 and patched.json()["active"] is False
    problem(
        await api.client.patch(
            location, json={"active": True}, headers={**admin.headers, "If-Match": '"1"'}
        ),
        412,
    )
    rotated = await api.client.post(f"{location}/rotate-secret", headers=admin.headers)
    assert rotated.status_code == 200
    assert rotated.json()["secret"] != created["secret"]
    assert rotated.json()["previous_secret_expires_at"] is not None

    staff = await api.add_staff(admin)
    problem(await api.client.get(location, headers=staff.headers), 403, "admin_required")
    other = await api.sign_up_firm("Other Firm")
    problem(
        await api.client.get(location, headers=other.headers), 404, "webhook_endpoint_not_found"
    )

    assert (await api.client.delete(location, headers=admin.headers)).status_code == 204
    problem(await api.client.get(location, headers=admin.headers), 404)

    activity = await api.client.get(
        "/v1/activity?type=webhook_endpoint.created&type=webhook_endpoint.updated"
        "&type=webhook_endpoint.deleted",
        headers=admin.headers,
    )
    assert [a["type"] for a in activity.json()["items"]] == [
        "webhook_endpoint.deleted",
        "webhook_endpoint.updated",
        "webhook_endpoint.updated",
        "webhook_endpoint.created",
    ]


async def test_endpoint_validation(api: Api) -> None:
    admin = await api.sign_up_firm()
    for body in (
        {"url": "ftp://example.com/hook", "event_types": ["*"]},
        {"url": "https://user:pw@example.com/hook", "event_types": ["*"]},
        {"url": "https://example.com/hook", "event_types": ["no.such_type"]},
        {"url": "https://example.com/hook", "event_types": []},
    ):
        problem(
            await api.client.post("/v1/webhook-endpoints", json=body, headers=admin.headers), 422
        )


class TestPrivateTargetsRefused:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"webhook_allow_private_targets": False}

    async def test_private_loopback_and_link_local_refused(self, api: Api) -> None:
        admin = await api.sign_up_firm()
        for url in (
            "http://127.0.0.1:8080/hook",
            "http://localhost/hook",
            "http://10.1.2.3/hook",
            "http://192.168.0.10/hook",
            "http://169.254.169.254/latest/meta-data",
            "http://[::1]/hook",
            "http://0.0.0.0/hook",
        ):
            response = await api.client.post(
                "/v1/webhook-endpoints",
                json={"url": url, "event_types": ["*"]},
                headers=admin.headers,
            )
            problem(response, 422, "webhook_url_not_allowed")
        public = await api.client.post(
            "/v1/webhook-endpoints",
            json={"url": "https://93.184.215.14/hook", "event_types": ["*"]},
            headers=admin.headers,
        )
        assert public.status_code == 201


async def test_signed_delivery_verifies_with_the_documented_recipe(
    api: Api, app: Any, dispatcher: Dispatcher, webhook_receiver: WebhookReceiver
) -> None:
    admin = await api.sign_up_firm()
    endpoint = await _endpoint(api, admin, webhook_receiver.url, "user.created")
    user = await api.create_user(admin, name="Sam Staff")
    await api.client.patch("/v1/firm", json={"name": "Not subscribed"}, headers=admin.headers)

    await dispatcher.drain()

    [request] = webhook_receiver.requests
    assert request.path == "/hooks"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["practice-event-type"] == "user.created"
    header = request.headers["practice-signature"]
    assert verify_like_a_receiver(endpoint["secret"], header, request.body)
    assert signing.verify(endpoint["secret"], header, request.body)
    assert not verify_like_a_receiver("whsec_wrong", header, request.body)
    assert not signing.verify(endpoint["secret"], header, request.body + b" ")

    body = request.json()
    delivery_id = request.headers["practice-delivery-id"]
    assert f"id={delivery_id}" in header
    assert body["id"] == delivery_id
    assert body["type"] == "user.created"
    assert body["actor"] == {"kind": "staff", "id": admin.user_id, "name": "Alice Admin"}
    assert body["subject"] == {"type": "user", "id": user["id"]}
    assert body["data"]["email"] == user["email"]
    assert body["occurred_at"].endswith("Z")

    history = await api.client.get(
        f"/v1/webhook-endpoints/{endpoint['id']}/deliveries", headers=admin.headers
    )
    [row] = history.json()["items"]
    assert row["id"] == delivery_id
    assert (row["status"], row["attempts"], row["response_status"]) == ("delivered", 1, 200)
    assert row["event_type"] == "user.created"


async def test_ping_and_rotation_grace_period(
    api: Api, dispatcher: Dispatcher, webhook_receiver: WebhookReceiver
) -> None:
    admin = await api.sign_up_firm()
    endpoint = await _endpoint(api, admin, webhook_receiver.url, "firm.updated")
    location = f"/v1/webhook-endpoints/{endpoint['id']}"
    rotated = (await api.client.post(f"{location}/rotate-secret", headers=admin.headers)).json()

    ping = await api.client.post(f"{location}/ping", headers=admin.headers)
    assert ping.status_code == 202
    assert ping.json()["status"] == "pending" and ping.json()["event_type"] == "webhook.ping"
    await dispatcher.drain()

    [request] = webhook_receiver.requests
    assert request.json()["type"] == "webhook.ping"
    assert request.json()["id"] == ping.json()["id"]
    header = request.headers["practice-signature"]
    assert header.count("v1=") == 2  # the new and, during the grace period, the old secret
    assert verify_like_a_receiver(rotated["secret"], header, request.body)
    assert verify_like_a_receiver(endpoint["secret"], header, request.body)

    await api.client.patch(location, json={"active": False}, headers=admin.headers)
    problem(
        await api.client.post(f"{location}/ping", headers=admin.headers),
        409,
        "webhook_endpoint_inactive",
    )


class TestRetries:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {
            "outbox_backoff_base_seconds": 0.4,
            "outbox_backoff_cap_seconds": 0.6,
            "outbox_max_attempts": 4,
            "webhook_timeout_seconds": 0.5,
        }

    async def test_failures_back_off_exponentially_then_deliver(
        self, api: Api, app: Any, dispatcher: Dispatcher, webhook_receiver: WebhookReceiver
    ) -> None:
        admin = await api.sign_up_firm()
        await _endpoint(api, admin, webhook_receiver.url, "firm.updated")
        webhook_receiver.statuses = [500, 503, 500]
        await api.client.patch("/v1/firm", json={"name": "Retry Me"}, headers=admin.headers)

        # base 0.4 s doubling, capped at 0.6 s, jittered down by at most 20 %
        expected = ((0.32, 0.4), (0.48, 0.6), (0.48, 0.6))
        for attempt, expected_error in ((1, "HTTP 500"), (2, "HTTP 503"), (3, "HTTP 500")):
            before = time.time()
            assert await dispatcher.drain() == 1
            after = time.time()
            [row] = await deliveries(app, channel="webhook")
            assert (row.status, row.attempts) == ("pending", attempt)
            assert row.last_error and expected_error in row.last_error
            assert row.next_attempt_at is not None
            # the outcome was recorded between before and after, with the delay added
            low, high = expected[attempt - 1]
            due = row.next_attempt_at.timestamp()
            assert due - after <= high + 0.01 and due - before >= low - 0.01, (attempt, due)
            assert await dispatcher.drain() == 0  # not due yet
            await asyncio.sleep(due - time.time() + 0.05)

        assert await dispatcher.drain() == 1
        [row] = await deliveries(app, channel="webhook")
        assert (row.status, row.attempts, row.response_status) == ("delivered", 4, 200)
        ids = webhook_receiver.delivery_ids()
        assert len(ids) == 4 and set(ids) == {str(row.id)}  # the same delivery id each time

    async def test_timeouts_retry_and_the_last_failure_is_dead(
        self, api: Api, app: Any, dispatcher: Dispatcher, webhook_receiver: WebhookReceiver
    ) -> None:
        admin = await api.sign_up_firm()
        endpoint = await _endpoint(api, admin, webhook_receiver.url, "firm.updated")
        webhook_receiver.delay_seconds = 1.0  # longer than the 0.5 s timeout
        await api.client.patch("/v1/firm", json={"name": "Too Slow"}, headers=admin.headers)
        for _ in range(4):
            await dispatcher.drain()
            [row] = await deliveries(app, channel="webhook")
            if row.next_attempt_at is not None:
                await asyncio.sleep(max(0.0, row.next_attempt_at.timestamp() - time.time()) + 0.05)
        [row] = await deliveries(app, channel="webhook")
        assert (row.status, row.attempts, row.next_attempt_at) == ("dead", 4, None)
        assert row.last_error == "timed out after 0.5 s"
        listed = await api.client.get(
            f"/v1/webhook-endpoints/{endpoint['id']}/deliveries?status=dead",
            headers=admin.headers,
        )
        assert [d["id"] for d in listed.json()["items"]] == [str(row.id)]


def test_backoff_grows_and_is_capped() -> None:
    assert 8 <= backoff_seconds(1, 10, 3600) <= 10
    assert 16 <= backoff_seconds(2, 10, 3600) <= 20
    assert 2880 <= backoff_seconds(10, 10, 3600) <= 3600
    assert backoff_seconds(100, 10, 3600) <= 3600
