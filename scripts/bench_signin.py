#!/usr/bin/env python3
"""`/healthz` alone and while clients sign in back to back (argon2 at full cost), on PostgreSQL.

Needs `wrk` (Debian: `apt-get install -y wrk`) and PostgreSQL at --admin-url. Creates a
throwaway database with one firm and --clients staff users (argon2 with its own parameters:
64 MiB, about 0.2 s a hash), starts the API (one uvicorn worker, uvloop + httptools, no
access log, no in-process dispatcher, login limits out of the way) and, for --rounds
interleaved rounds, runs wrk against `/healthz` (4 connections) alone and then while every
client signs in again as soon as its previous sign-in answered. Prints req/s, p50 and p99
of `/healthz` per condition (the median over the rounds), the share of the throughput kept,
and the sign-ins completed. Not a test: it asserts nothing. The figures swing with the
machine's load: it prints the load average.

    .venv/bin/python scripts/bench_signin.py [--clients 10] [--seconds 5] [--rounds 3]
        [--admin-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_api import APP_FACTORY, _free_port, _wait, wrk  # noqa: E402
from sqlalchemy import insert, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from practice_api.core.ids import new_id  # noqa: E402
from practice_api.core.security import PasswordHasher, hashing_concurrency  # noqa: E402
from practice_api.core.time import utcnow  # noqa: E402
from practice_api.db import make_engine  # noqa: E402
from practice_api.firms.models import Firm  # noqa: E402
from practice_api.schema import upgrade_to_head  # noqa: E402
from practice_api.users.models import User  # noqa: E402

DEFAULT_ADMIN_URL = os.environ.get(
    "PRACTICE_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
PASSWORD = "bench-password-1"


async def admin_sql(admin_url: str, statement: str) -> None:
    engine = make_engine(admin_url, pool=False)
    try:
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


async def seed(url: str, clients: int) -> list[str]:
    """A firm and ``clients`` staff users sharing one full-cost argon2 hash."""
    password_hash = PasswordHasher().hash(PASSWORD)
    engine = make_engine(url, pool=False)
    try:
        async with engine.begin() as connection:
            firm_id, now = new_id(), utcnow()
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
            emails = [f"signin-{n}@bench.example" for n in range(clients)]
            await connection.execute(
                insert(User),
                [
                    {
                        "id": new_id(),
                        "firm_id": firm_id,
                        "email": email,
                        "name": f"Bench {n}",
                        "role": "staff",
                        "password_hash": password_hash,
                    }
                    for n, email in enumerate(emails)
                ],
            )
        return emails
    finally:
        await engine.dispose()


async def sign_in_clients(base: str, emails: list[str], stop: asyncio.Event) -> list[float]:
    """Each client signs in again as soon as the previous answer came; the durations."""
    import httpx

    took: list[float] = []
    async with httpx.AsyncClient(timeout=120) as http:

        async def one(email: str) -> None:
            while not stop.is_set():
                started = time.monotonic()
                response = await http.post(
                    f"{base}/v1/auth/token", data={"username": email, "password": PASSWORD}
                )
                response.raise_for_status()
                took.append(time.monotonic() - started)

        tasks = [asyncio.create_task(one(email)) for email in emails]
        await stop.wait()
        await asyncio.gather(*tasks)
    return took


def during_sign_ins(
    base: str, emails: list[str], seconds: float
) -> tuple[tuple[float, ...], list[float]]:
    async def run() -> tuple[tuple[float, ...], list[float]]:
        stop = asyncio.Event()
        signing = asyncio.create_task(sign_in_clients(base, emails, stop))
        await asyncio.sleep(1.0)  # every client has a sign-in in flight
        loaded = await asyncio.to_thread(wrk, f"{base}/healthz", None, 4, seconds)
        stop.set()
        return loaded, await signing

    return asyncio.run(run())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--admin-url", default=DEFAULT_ADMIN_URL)
    args = parser.parse_args()

    name = f"signin_bench_{os.getpid()}_{secrets.token_hex(3)}"
    asyncio.run(admin_sql(args.admin_url, f'CREATE DATABASE "{name}"'))
    url = make_url(args.admin_url).set(database=name).render_as_string(False)
    server: subprocess.Popen[bytes] | None = None
    try:
        upgrade_to_head(url)
        emails = asyncio.run(seed(url, args.clients))
        port = _free_port()
        env = {
            **os.environ,
            "PRACTICE_ENVIRONMENT": "development",
            "PRACTICE_DATABASE_URL": url,
            "PRACTICE_SECRET_KEY": "bench-secret-" + "x" * 40,
            "PRACTICE_SEED_DEMO": "false",
            "PRACTICE_RUN_DISPATCHER": "false",
            "PRACTICE_LOGIN_ATTEMPTS_PER_ADDRESS": "1000000",
            "PRACTICE_LOGIN_FAILURES_PER_ACCOUNT": "1000000",
            "PRACTICE_RATE_LIMIT_REQUESTS": "100000000",
            "PRACTICE_DATA_DIR": tempfile.mkdtemp(prefix="signin_bench_"),
        }
        server = subprocess.Popen(
            [
                *(sys.executable, "-m", "uvicorn", "--loop", "uvloop", "--http", "httptools"),
                *("--no-access-log", "--log-level", "warning", "--host", "127.0.0.1"),
                *("--port", str(port), "--factory", APP_FACTORY),
            ],
            cwd=ROOT,
            env=env,
        )
        _wait(port, server)
        base = f"http://127.0.0.1:{port}"
        wrk(f"{base}/healthz", None, 4, 1)  # warm up
        load = os.getloadavg()[0]
        alone: list[tuple[float, ...]] = []
        loaded: list[tuple[float, ...]] = []
        took: list[float] = []
        for _ in range(args.rounds):
            alone.append(wrk(f"{base}/healthz", None, 4, args.seconds))
            figures, durations = during_sign_ins(base, emails, args.seconds)
            loaded.append(figures)
            took += durations
    finally:
        if server is not None:
            server.terminate()
            server.wait(30)
        asyncio.run(admin_sql(args.admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def median(rows: list[tuple[float, ...]], i: int) -> float:
        return statistics.median(row[i] for row in rows)

    print(
        f"/healthz, 4 wrk connections, {args.seconds:g} s, median of {args.rounds} interleaved "
        f"rounds; {args.clients} clients signing in back to back (argon2 64 MiB, "
        f"{hashing_concurrency()} hash(es) at once)"
    )
    print(f"{'':24} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for label, rows in (("alone", alone), ("during sign-ins", loaded)):
        print(f"{label:24} {median(rows, 0):8.0f} {median(rows, 1):8.2f} {median(rows, 2):8.2f}")
    print(f"throughput kept: {median(loaded, 0) / median(alone, 0):.2f}")
    if took:
        print(
            f"sign-ins: {len(took)} completed, each {statistics.median(took) * 1000:.0f} ms "
            f"(median, queueing included)"
        )
    print(f"load: {load:.1f} (1-minute load average at the start, {os.cpu_count()} cores)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
