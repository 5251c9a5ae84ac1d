"""A dispatcher that dies between the commit and the delivery loses nothing.

The first test kills a real ``practice-api worker`` process (SIGKILL) while its webhook
request is in flight; a second worker picks the delivery up after the lease and each
delivery arrives once per delivery id. The e-mail test kills one while the SMTP server has
the message but has not answered: the next worker records it delivered and sends no second
copy. Another kills a worker in the middle of a big batch: every row ends delivered, each
in-app notification once. The last test stops an in-process dispatcher right after it
claimed its rows (before it sends anything): the rows come back after the lease.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from practice_api.core.time import utcnow
from practice_api.events import repository
from practice_api.events.dispatcher import Dispatcher
from practice_api.events.models import Delivery
from practice_api.events.repository import DeliveryRepository
from practice_api.notifications.models import Notification
from tests.event_helpers import SmtpServer, WebhookReceiver, deliveries
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


def start_worker(
    database_url: str, name: str, smtp_url: str | None = None, batch_size: int = 50
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PRACTICE_ENVIRONMENT": "test",
        "PRACTICE_DATABASE_URL": database_url,
        "PRACTICE_SECRET_KEY": "test-secret-key-" + "x" * 32,
        "PRACTICE_OUTBOX_LEASE_SECONDS": str(LEASE),
        "PRACTICE_OUTBOX_POLL_SECONDS": "0.2",
        "PRACTICE_WEBHOOK_TIMEOUT_SECONDS": "1.5",
        "PRACTICE_SMTP_TIMEOUT_SECONDS": "1.5",
        "PRACTICE_SMTP_URL": smtp_url or "",
        "PRACTICE_OUTBOX_BATCH_SIZE": str(batch_size),
    }
    if smtp_url is None:
        env.pop("PRACTICE_SMTP_URL")
    # Output to a file: a pipe read only at the end fills up (e-mails are logged in full
    # without SMTP) and blocks the worker.
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed by output_of
    worker = subprocess.Popen(
        [sys.executable, "-m", "practice_api.cli", "worker", "--name", name],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    _logs[worker.pid] = log
    return worker


_logs: dict[int, Any] = {}


def output_of(worker: subprocess.Popen[bytes], timeout: float = 10) -> str:
    """What the worker printed, once it has exited."""
    worker.wait(timeout)
    with _logs.pop(worker.pid) as log:
        log.seek(0)
        return str(log.read().decode(errors="replace"))


async def wait_until(condition: Any, within: float = 90.0) -> None:
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
        # Generous: a worker process starting on a loaded machine takes a while.
        arrived = await asyncio.to_thread(webhook_receiver.arrived.wait, 90)
        assert arrived, "the worker sent nothing in time"
    finally:
        first.send_signal(signal.SIGKILL)  # dies with the webhook in flight
        output_of(first)
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
        output = output_of(second)
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


@pytest.mark.committed  # worker processes use the outbox through their own connections
async def test_worker_killed_while_handing_over_an_email_then_restart_sends_it_once(
    api: Api, app: Any, database_url: str, smtp_server: SmtpServer
) -> None:
    admin = await api.sign_up_firm()
    smtp_server.messages.clear()
    smtp_server.handler.hold = threading.Event()  # DATA is in; the answer never comes
    user = await api.create_user(admin)  # committed: its in-app and e-mail queued
    [queued] = await deliveries(app, channel="email", recipient_id=user["id"])

    first = start_worker(database_url, "doomed", smtp_server.url)
    try:
        arrived = await asyncio.to_thread(smtp_server.handler.arrived.wait, 90)
        assert arrived, "the worker sent nothing in time"
    finally:
        first.send_signal(signal.SIGKILL)  # dies after sending, before recording
        output_of(first)
    [email] = await deliveries(app, channel="email", recipient_id=user["id"])
    assert (email.status, email.attempts, email.claimed_by) == ("sending", 1, "doomed")

    hold, smtp_server.handler.hold = smtp_server.handler.hold, None
    hold.set()
    second = start_worker(database_url, "survivor", smtp_server.url)
    try:

        async def all_settled() -> bool:
            return all(d.status == "delivered" for d in await deliveries(app))

        await wait_until(all_settled)
    finally:
        second.send_signal(signal.SIGTERM)
        output = output_of(second)
    assert second.returncode == 0, output

    [email] = await deliveries(app, channel="email", recipient_id=user["id"])
    # Taken as sent by the next claim, never sent again: the server got it once.
    assert (email.status, email.attempts) == ("delivered", 1)
    assert email.last_error == repository.SENT_UNRECORDED
    assert [m.message["Message-ID"] for m in smtp_server.messages] == [
        f"<{queued.id}@practice-api.local>"
    ]
    assert smtp_server.messages[0].rcpt_tos == [user["email"]]


@pytest.mark.committed  # worker processes use the outbox through their own connections
async def test_worker_killed_mid_batch_loses_nothing_and_writes_each_notification_once(
    api: Api, app: Any, database_url: str, webhook_receiver: WebhookReceiver
) -> None:
    admin = await api.sign_up_firm()
    created = await api.client.post(
        "/v1/webhook-endpoints",
        json={"url": webhook_receiver.url, "event_types": ["user.created"]},
        headers=admin.headers,
    )
    assert created.status_code == 201
    for _ in range(12):  # each: an in-app notification, an e-mail and a webhook
        await api.create_user(admin)
    queued = await deliveries(app)
    assert len(queued) >= 36
    webhook_receiver.delay_seconds = 0.3  # a batch takes a while: the kill lands inside

    first = start_worker(database_url, "doomed", batch_size=40)
    try:

        async def some_recorded() -> bool:
            return any(d.status == "delivered" for d in await deliveries(app))

        await wait_until(some_recorded)
    finally:
        first.send_signal(signal.SIGKILL)
        output_of(first)
    rows = await deliveries(app)
    assert {d.status for d in rows} >= {"delivered", "pending"}  # killed mid-batch

    webhook_receiver.delay_seconds = 0.0
    second = start_worker(database_url, "survivor", batch_size=40)
    try:

        async def all_settled() -> bool:
            return all(d.status == "delivered" for d in await deliveries(app))

        await wait_until(all_settled)
    finally:
        second.send_signal(signal.SIGTERM)
        output = output_of(second)
    assert second.returncode == 0, output

    rows = await deliveries(app)
    assert len(rows) == len(queued)
    webhooks = {str(d.id) for d in rows if d.channel == "webhook"}
    assert set(webhook_receiver.delivery_ids()) == webhooks  # each at least once
    async with app.state.runtime.sessionmaker() as session:
        notes = dict(
            (
                await session.execute(
                    select(Notification.delivery_id, func.count()).group_by(
                        Notification.delivery_id
                    )
                )
            ).all()
        )
    in_app = {d.id for d in rows if d.channel == "in_app"}
    assert set(notes) == in_app and set(notes.values()) == {1}  # each exactly once


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


async def test_one_claim_statement_settles_stale_sending_and_exhausted_rows(
    api: Api, app: Any
) -> None:
    admin = await api.sign_up_firm()
    user = await api.create_user(admin)
    [email] = await deliveries(app, channel="email", recipient_id=user["id"])
    [in_app] = await deliveries(app, channel="in_app", recipient_id=user["id"])
    runtime = app.state.runtime
    past = utcnow() - dt.timedelta(seconds=1)
    async with runtime.sessionmaker() as session, session.begin():
        # A dispatcher died handing the e-mail over; the in-app row's dispatchers kept dying.
        await session.execute(
            update(Delivery)
            .where(Delivery.id == email.id)
            .values(status="sending", attempts=1, next_attempt_at=past)
        )
        await session.execute(
            update(Delivery)
            .where(Delivery.id == in_app.id)
            .values(attempts=3, next_attempt_at=past)
        )
    async with runtime.sessionmaker() as session, session.begin():
        claimed = await DeliveryRepository(session).claim_due(
            limit=10, lease_seconds=LEASE, worker="next", max_attempts=3
        )
    assert [c.id for c in claimed if c.id in (email.id, in_app.id)] == []
    [email] = await deliveries(app, channel="email", recipient_id=user["id"])
    [in_app] = await deliveries(app, channel="in_app", recipient_id=user["id"])
    assert (email.status, email.attempts, email.claim_token) == ("delivered", 1, None)
    assert email.last_error == repository.SENT_UNRECORDED and email.delivered_at is not None
    assert (in_app.status, in_app.attempts, in_app.next_attempt_at) == ("dead", 3, None)
    assert in_app.last_error == "no outcome recorded (dispatcher died)"
