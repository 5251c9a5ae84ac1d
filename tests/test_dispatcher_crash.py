"""A dispatcher that dies between the commit and the delivery loses nothing.

The first test kills a real ``practice-api worker`` process (SIGKILL) while its webhook
request is in flight; a second worker picks the delivery up after the lease and each
delivery arrives once per delivery id. The second test stops an in-process dispatcher right
after it claimed its rows (before it sends anything): the rows come back after the lease.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from practice_api.events.dispatcher import Dispatcher
from practice_api.events.repository import DeliveryRepository
from practice_api.notifications.models import Notification
from tests.event_helpers import WebhookReceiver, deliveries
from tests.helpers import Api

pytest_plugins = ["tests.event_fixtures"]

ROOT = Path(__file__).resolve().parents[1]
LEASE = 2.0


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {
        "outbox_lease_seconds": LEASE,
        "webhook_timeout_seconds": 1.5,
        "smtp_timeout_seconds": 1.5,
    }


def start_worker(database_url: str, name: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PRACTICE_ENVIRONMENT": "test",
        "PRACTICE_DATABASE_URL": database_url,
        "PRACTICE_SECRET_KEY": "test-secret-key-" + "x" * 32,
        "PRACTICE_OUTBOX_LEASE_SECONDS": str(LEASE),
        "PRACTICE_OUTBOX_POLL_SECONDS": "0.2",
        "PRACTICE_WEBHOOK_TIMEOUT_SECONDS": "1.5",
        "PRACTICE_SMTP_TIMEOUT_SECONDS": "1.5",
        "PRACTICE_SMTP_URL": "",
    }
    env.pop("PRACTICE_SMTP_URL")
    return subprocess.Popen(
        [sys.executable, "-m", "practice_api.cli", "worker", "--name", name],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


async def wait_until(condition: Any, within: float = 20.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await condition():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("condition not reached in time")


@pytest.mark.committed  # worker processes use the outbox through their own connections
async def test_killed_worker_process_then_restart_delivers_once_per_delivery_id(
    api: Api, app: Any, database_url: str, webhook_receiver: WebhookReceiver
) -> None:
    admin = await api.sign_up_firm()
    created = await api.client.post(
        "/v1/webhook-endpoints",
        json={"url": webhook_receiver.url, "event_types": ["user.created"]},
        headers=admin.headers,
    )
    assert created.status_code == 201
    webhook_receiver.hold = threading.Event()  # the first request never gets an answer
    user = await api.create_user(admin)  # committed: in-app, e-mail and webhook queued
    queued = await deliveries(app)
    assert sorted(d.channel for d in queued) == ["email", "in_app", "webhook"]

    first = start_worker(database_url, "doomed")
    try:
        arrived = await asyncio.to_thread(webhook_receiver.arrived.wait, 20)
        assert arrived, first.communicate(timeout=5)[0].decode()
    finally:
        first.send_signal(signal.SIGKILL)  # dies with the webhook in flight
        first.wait(10)
    [webhook] = await deliveries(app, channel="webhook")
    assert (webhook.status, webhook.attempts, webhook.claimed_by) == ("pending", 1, "doomed")

    hold, webhook_receiver.hold = webhook_receiver.hold, None
    hold.set()
    second = start_worker(database_url, "survivor")
    try:

        async def all_settled() -> bool:
            return all(d.status == "delivered" for d in await deliveries(app))

        await wait_until(all_settled)
    finally:
        second.send_signal(signal.SIGTERM)
        output = second.communicate(timeout=10)[0].decode()
    assert second.returncode == 0, output

    rows = {d.channel: d for d in await deliveries(app)}
    assert rows["webhook"].attempts == 2 and rows["webhook"].claimed_by == "survivor"
    # At-least-once on the wire, once per delivery id after the receiver drops duplicates.
    received = webhook_receiver.delivery_ids()
    assert set(received) == {str(rows["webhook"].id)}
    assert len(received) == 2
    # In-app notifications are written with the outcome: exactly one, whoever sent it.
    async with app.state.runtime.sessionmaker() as session:
        notes = (
            await session.execute(
                select(Notification.delivery_id, func.count())
                .where(Notification.recipient_id == rows["in_app"].recipient_id)
                .group_by(Notification.delivery_id)
            )
        ).all()
    assert notes == [(rows["in_app"].id, 1)]
    assert str(rows["in_app"].recipient_id) == user["id"]


async def test_dispatcher_dead_after_claim_rows_return_after_the_lease(
    api: Api, app: Any, webhook_receiver: WebhookReceiver
) -> None:
    admin = await api.sign_up_firm()
    await api.client.post(
        "/v1/webhook-endpoints",
        json={"url": webhook_receiver.url, "event_types": ["*"]},
        headers=admin.headers,
    )
    await api.add_staff(admin, role="admin")
    runtime = app.state.runtime

    # A dispatcher claims everything, then its process "dies": nothing is sent or recorded.
    async with runtime.sessionmaker() as session, session.begin():
        claimed = await DeliveryRepository(session).claim_due(
            limit=100, lease_seconds=LEASE, worker="dead", max_attempts=10
        )
    # the new admin's in-app + e-mail; webhooks for user.created and for the endpoint's own
    # webhook_endpoint.created (it subscribed to "*")
    assert len(claimed) == 4

    survivor = Dispatcher(runtime.sessionmaker, runtime.settings, name="survivor")
    try:
        assert await survivor.drain() == 0  # leased to the dead one
        await asyncio.sleep(LEASE + 0.1)
        assert await survivor.drain() == 4
        assert await survivor.drain() == 0
    finally:
        await survivor.aclose()
    rows = await deliveries(app)
    assert {(d.status, d.attempts, d.claimed_by) for d in rows} == {("delivered", 2, "survivor")}
    assert sorted(webhook_receiver.delivery_ids()) == sorted(
        str(d.id) for d in rows if d.channel == "webhook"
    )
    async with runtime.sessionmaker() as session:
        count = await session.scalar(select(func.count()).select_from(Notification))
    assert count == 1
