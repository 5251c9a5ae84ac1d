#!/usr/bin/env python3
"""Two (or more) worker processes drain queued webhook deliveries on PostgreSQL.

Creates a throwaway database, queues N webhook deliveries to a local HTTP receiver that
counts every delivery id it gets, runs `practice-api worker --exit-when-idle` processes in
parallel, then prints: queued, delivered (rows), received (requests), duplicates, missing,
and how many rows each worker delivered. Exits 1 on any duplicate or missing delivery.

    .venv/bin/python scripts/bench_outbox.py [--deliveries 1000] [--workers 2]
        [--admin-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import secrets
import subprocess
import sys
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
    def __init__(self) -> None:
        self.counts: collections.Counter[str] = collections.Counter()
        self.lock = threading.Lock()
        handler = self._handler()
        self.server = _Server(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    receiver.counts[self.headers["Practice-Delivery-Id"]] += 1
                self.send_response(204)
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


async def queue(url: str, count: int, target: str, channel: str = "webhook") -> list[str]:
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
            ids = [new_id() for _ in range(count)]
            await connection.execute(
                insert(Delivery),
                [
                    {
                        "id": delivery_id,
                        "firm_id": firm_id,
                        "event_id": event_id,
                        "channel": channel,
                        "endpoint_id": endpoint_id if channel == "webhook" else None,
                        "recipient_kind": "staff" if channel == "in_app" else None,
                        "recipient_id": recipient if channel == "in_app" else None,
                        "status": "pending",
                        "attempts": 0,
                        "next_attempt_at": now,
                        "created_at": now,
                    }
                    for delivery_id in ids
                ],
            )
        return [str(i) for i in ids]
    finally:
        await engine.dispose()


async def outcome(url: str) -> tuple[dict[str, int], dict[str, int], int, dict[str, int], float]:
    """Statuses, delivered rows per worker, retried rows, notifications per delivery id and
    the delivery window in seconds (first to last delivered_at)."""
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
            first, last = (
                await connection.execute(
                    select(func.min(Delivery.delivered_at), func.max(Delivery.delivered_at))
                )
            ).one()
            window = (last - first).total_seconds() if first and last else 0.0
        return statuses, by_worker, int(retried or 0), notes, window
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
    try:
        upgrade_to_head(url)
        with Receiver() as receiver:
            queued = asyncio.run(queue(url, args.deliveries, receiver.url, args.channel))
            env = {
                **os.environ,
                "PRACTICE_ENVIRONMENT": "test",
                "PRACTICE_DATABASE_URL": url,
                "PRACTICE_SECRET_KEY": "bench-" + "x" * 40,
                "PRACTICE_OUTBOX_BATCH_SIZE": str(args.batch_size),
                "PRACTICE_OUTBOX_POLL_SECONDS": "0.2",
            }
            started = time.monotonic()
            workers = [
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "practice_api.cli",
                        "worker",
                        "--exit-when-idle",
                        "--name",
                        f"worker-{n + 1}",
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                )
                for n in range(args.workers)
            ]
            for worker in workers:
                output = worker.communicate(timeout=600)[0].decode()
                if worker.returncode != 0:
                    print(output, file=sys.stderr)
                    return 2
            elapsed = time.monotonic() - started
            counts = dict(receiver.counts)
        statuses, by_worker, retried, notes, window = asyncio.run(outcome(url))
        if args.channel == "in_app":
            counts = notes
    finally:
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
    print(f"elapsed:    {elapsed:.1f} s with {args.workers} worker processes (start-up included)")
    delivered = statuses.get("delivered", 0)
    if window > 0:
        print(f"rate:       {delivered / window:.0f} deliveries/s (first to last delivered_at)")
    print(f"load:       {os.getloadavg()[0]:.1f} (1-minute load average, {os.cpu_count()} cores)")
    return 0 if duplicates == missing == unexpected == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
