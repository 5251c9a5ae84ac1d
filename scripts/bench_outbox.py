#!/usr/bin/env python3
"""Two (or more) worker processes deliver a burst of outbox rows on PostgreSQL.

Creates a throwaway database, starts `practice-api worker` processes and waits until each
LISTENs for new deliveries, then commits N deliveries in one transaction (its NOTIFY wakes
the workers): webhooks to a local HTTP receiver that counts every delivery id it gets, or
in-app notifications (counted per delivery id). Once every row is settled it stops the
workers and prints: queued, delivered (rows), received, duplicates, missing, how many rows
each worker delivered, and the rate from the commit to the last recorded outcome. Exits 1
on any duplicate or missing delivery.

    .venv/bin/python scripts/bench_outbox.py [--deliveries 1000] [--workers 2]
        [--channel webhook|in_app] [--batch-size 100]
        [--admin-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import datetime as dt
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sqlalchemy import func, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from practice_api.core.ids import new_id  # noqa: E402
from practice_api.core.time import utcnow  # noqa: E402
from practice_api.db import make_engine  # noqa: E402
from practice_api.events.models import Delivery, Event  # noqa: E402
from practice_api.events.outbox import NOTIFY_CHANNEL  # noqa: E402
from practice_api.firms.models import Firm  # noqa: E402
from practice_api.notifications.models import Notification  # noqa: E402
from practice_api.schema import upgrade_to_head  # noqa: E402
from practice_api.users.models import User  # noqa: E402
from practice_api.webhooks.models import WebhookEndpoint  # noqa: E402

DEFAULT_ADMIN_URL = os.environ.get(
    "PRACTICE_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)


class _Server(ThreadingHTTPServer):
    request_queue_size = 256  # the default (5) drops concurrent connects: 1 s SYN retries
    daemon_threads = True


class Receiver:
    """A threaded HTTP/1.1 receiver (keep-alive: the dispatcher reuses its connections)."""

    def __init__(self) -> None:
        self.counts: collections.Counter[str] = collections.Counter()
        self.lock = threading.Lock()
        handler = self._handler()
        self.server = _Server(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    receiver.counts[self.headers["Practice-Delivery-Id"]] += 1
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler

    def __enter__(self) -> Receiver:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()


async def admin_sql(admin_url: str, statement: str) -> None:
    engine = make_engine(admin_url, pool=False)
    try:
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


async def seed(url: str, target: str, channel: str) -> dict[str, Any]:
    """A firm, a webhook endpoint, a staff user and one event the deliveries are about."""
    engine = make_engine(url, pool=False)
    try:
        async with engine.begin() as connection:
            firm_id, endpoint_id, event_id = new_id(), new_id(), new_id()
            now = utcnow()
            await connection.execute(
                insert(Firm).values(
                    id=firm_id,
                    name="Bench",
                    client_ownership_enabled=False,
                    detailed_notifications_enabled=False,
                    created_at=now,
                    updated_at=now,
                    version=1,
                )
            )
            await connection.execute(
                insert(WebhookEndpoint).values(
                    id=endpoint_id,
                    firm_id=firm_id,
                    url=target,
                    description="bench",
                    event_types=["*"],
                    active=True,
                    secret="whsec_bench",
                    created_at=now,
                    updated_at=now,
                    version=1,
                )
            )
            await connection.execute(
                insert(Event).values(
                    id=event_id,
                    firm_id=firm_id,
                    type="webhook.ping",
                    actor_kind="system",
                    actor_name="system",
                    payload={"endpoint_id": str(endpoint_id), "message": "bench"},
                    occurred_at=now,
                )
            )
            recipient = new_id()
            if channel == "in_app":
                await connection.execute(
                    insert(User).values(
                        id=recipient,
                        firm_id=firm_id,
                        email=f"bench-{recipient}@bench.example",
                        name="Bench",
                        role="staff",
                    )
                )
        return {
            "firm_id": firm_id,
            "endpoint_id": endpoint_id,
            "event_id": event_id,
            "recipient": recipient,
        }
    finally:
        await engine.dispose()


async def listeners(url: str, database: str) -> int:
    """Connections of the bench database that LISTEN (one per started worker)."""
    engine = make_engine(url, pool=False)
    try:
        async with engine.connect() as connection:
            return int(
                await connection.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname = :name AND query ILIKE 'LISTEN%'"
                    ),
                    {"name": database},
                )
                or 0
            )
    finally:
        await engine.dispose()


async def queue(
    url: str, count: int, seeded: dict[str, Any], channel: str
) -> tuple[list[str], dt.datetime]:
    """Commit ``count`` deliveries at once and NOTIFY the workers; returns their ids and
    the moment of the commit."""
    engine = make_engine(url, pool=False)
    try:
        ids = [new_id() for _ in range(count)]
        now = utcnow()
        async with engine.begin() as connection:
            await connection.execute(
                insert(Delivery),
                [
                    {
                        "id": delivery_id,
                        "firm_id": seeded["firm_id"],
                        "event_id": seeded["event_id"],
                        "channel": channel,
                        "endpoint_id": seeded["endpoint_id"] if channel == "webhook" else None,
                        "recipient_kind": "staff" if channel == "in_app" else None,
                        "recipient_id": seeded["recipient"] if channel == "in_app" else None,
                        "status": "pending",
                        "attempts": 0,
                        "next_attempt_at": now,
                        "created_at": now,
                    }
                    for delivery_id in ids
                ],
            )
            await connection.execute(text(f"NOTIFY {NOTIFY_CHANNEL}"))
        return [str(i) for i in ids], utcnow()
    finally:
        await engine.dispose()


async def settled(url: str) -> int:
    engine = make_engine(url, pool=False)
    try:
        async with engine.connect() as connection:
            return int(
                await connection.scalar(
                    select(func.count()).where(Delivery.status.not_in(("pending", "sending")))
                )
                or 0
            )
    finally:
        await engine.dispose()


async def outcome(
    url: str,
) -> tuple[dict[str, int], dict[str, int], int, dict[str, int], dt.datetime | None]:
    """Statuses, delivered rows per worker, retried rows, notifications per delivery id and
    the last outcome's moment."""
    engine = make_engine(url, pool=False)
    try:
        async with engine.connect() as connection:
            statuses = dict(
                (
                    await connection.execute(
                        select(Delivery.status, func.count()).group_by(Delivery.status)
                    )
                ).all()
            )
            by_worker = dict(
                (
                    await connection.execute(
                        select(Delivery.claimed_by, func.count())
                        .where(Delivery.status == "delivered")
                        .group_by(Delivery.claimed_by)
                    )
                ).all()
            )
            retried = await connection.scalar(select(func.count()).where(Delivery.attempts > 1))
            notes = {
                str(delivery_id): int(n)
                for delivery_id, n in await connection.execute(
                    select(Notification.delivery_id, func.count()).group_by(
                        Notification.delivery_id
                    )
                )
            }
            last = await connection.scalar(select(func.max(Delivery.delivered_at)))
        return statuses, by_worker, int(retried or 0), notes, last
    finally:
        await engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=25)
    parser.add_argument(
        "--channel",
        choices=("webhook", "in_app"),
        default="webhook",
        help="webhook: to a local receiver; in_app: notifications (exactly once, counted)",
    )
    parser.add_argument("--admin-url", default=DEFAULT_ADMIN_URL)
    parser.add_argument("--db-prefix", default="practice_bench")
    args = parser.parse_args()

    name = f"{args.db_prefix}_{os.getpid()}_{secrets.token_hex(3)}"
    asyncio.run(admin_sql(args.admin_url, f'CREATE DATABASE "{name}"'))
    url = make_url(args.admin_url).set(database=name).render_as_string(False)
    workers: list[subprocess.Popen[bytes]] = []
    try:
        upgrade_to_head(url)
        with Receiver() as receiver, contextlib.ExitStack() as stack:
            seeded = asyncio.run(seed(url, receiver.url, args.channel))
            env = {
                **os.environ,
                "PRACTICE_ENVIRONMENT": "test",
                "PRACTICE_DATABASE_URL": url,
                "PRACTICE_SECRET_KEY": "bench-" + "x" * 40,
                "PRACTICE_OUTBOX_BATCH_SIZE": str(args.batch_size),
                "PRACTICE_OUTBOX_POLL_SECONDS": "5",
            }
            # Their output goes to files: a pipe nobody reads fills up and blocks the worker.
            logs = [stack.enter_context(tempfile.TemporaryFile()) for _ in range(args.workers)]
            workers = [
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "practice_api.cli",
                        "worker",
                        "--name",
                        f"worker-{n + 1}",
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=logs[n],
                    stderr=subprocess.STDOUT,
                )
                for n in range(args.workers)
            ]
            deadline = time.monotonic() + 120
            while asyncio.run(listeners(url, name)) < args.workers:
                if time.monotonic() > deadline or any(w.poll() is not None for w in workers):
                    print("the workers did not start listening", file=sys.stderr)
                    return 2
                time.sleep(0.1)
            load = os.getloadavg()[0]
            queued, committed = asyncio.run(queue(url, args.deliveries, seeded, args.channel))
            deadline = time.monotonic() + 600
            while asyncio.run(settled(url)) < len(queued) and time.monotonic() < deadline:
                time.sleep(0.2)
            for worker in workers:
                worker.send_signal(signal.SIGTERM)
            for worker, log in zip(workers, logs, strict=True):
                worker.wait(timeout=60)
                if worker.returncode != 0:
                    log.seek(0)
                    print(log.read().decode(errors="replace")[-5000:], file=sys.stderr)
                    return 2
            counts = dict(receiver.counts)
        statuses, by_worker, retried, notes, last = asyncio.run(outcome(url))
        if args.channel == "in_app":
            counts = notes
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
        asyncio.run(admin_sql(args.admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    received = sum(counts.values())  # webhook requests, or in-app notifications
    duplicates = received - len(counts)
    missing = len(set(queued) - set(counts))
    unexpected = len(set(counts) - set(queued))
    print(f"queued:     {len(queued)}")
    print(f"delivered:  {statuses.get('delivered', 0)} rows ({statuses})")
    print(f"received:   {received} requests, {len(counts)} distinct delivery ids")
    print(f"duplicates: {duplicates}")
    print(f"missing:    {missing}")
    print(f"unexpected: {unexpected}")
    print(f"retried:    {retried}")
    print("per worker: " + ", ".join(f"{k}={v}" for k, v in sorted(by_worker.items())))
    delivered = statuses.get("delivered", 0)
    if last is not None:
        elapsed = (last - committed).total_seconds()
        print(f"elapsed:    {elapsed:.2f} s with {args.workers} worker(s), commit to last outcome")
        print(f"rate:       {delivered / elapsed:.0f} deliveries/s")
    print(f"load:       {load:.1f} (1-minute load average at the start, {os.cpu_count()} cores)")
    return 0 if duplicates == missing == unexpected == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
