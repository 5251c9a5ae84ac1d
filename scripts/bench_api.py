#!/usr/bin/env python3
"""Benchmark the entity list path against a raw asyncpg + orjson reference, on PostgreSQL.

Needs `wrk` (Debian: `apt-get install -y wrk`) and PostgreSQL at --admin-url. It loads two
firms into one throwaway database named `perf_bench_<small>_<large>` (10,000 and
1,000,000 entities by default, with 100 owners, a staff user who owns 5 %, one with 20
shares, and 2 % of entities shared with ten colleagues), with INSERT ... SELECT
generate_series, once: `--keep` leaves the database for the next run, which reuses it.

It then starts the API (one uvicorn worker, uvloop + httptools, no access log) and a raw
reference (a bare ASGI app on the same uvicorn that runs the *same* SQL the API's
repository compiles, with asyncpg, and writes the same JSON with orjson), and drives them
with wrk, the two interleaved, and prints:

1. req/s, p50, p99 and the API/raw ratio for the admin and the 5 % staff list (8
   connections);
2. p50 per case (first page, page 200 by cursor, owner filter, unowned, status, search,
   each order_by, a staff user with 20 shares, shared_with_me, the 5 % staff) at the small
   and the large firm, one connection, and the large/small ratio;
3. /healthz alone and while 10 clients sign in back to back (argon2 at full cost).

Only ratios carry over between runs on a shared machine: the load average is printed.

    .venv/bin/python scripts/bench_api.py [--small 10000] [--large 1000000] [--seconds 3]
        [--keep] [--admin-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import datetime as dt
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

DEFAULT_ADMIN_URL = os.environ.get(
    "PRACTICE_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
PASSWORD = "bench-password-1"
SECRET = "bench-secret-" + "x" * 40
APP_FACTORY = "practice_api.app:create_app"


# -- the raw reference (runs in its own process: `bench_api.py --serve-raw CASES PORT`) ----


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and "uuid" in value:
        return uuid.UUID(value["uuid"])
    if isinstance(value, dict) and "dt" in value:
        return dt.datetime.fromisoformat(value["dt"])
    return value


def raw_app(dsn: str, cases: dict[str, Any]) -> Any:
    import asyncpg
    import orjson

    prepared = {
        name: (case["sql"], [_decode(p) for p in case["params"]], case)
        for name, case in cases.items()
    }
    pool: list[Any] = []

    def access(case: dict[str, Any], row: Any) -> str:
        if case["is_admin"]:
            return "admin"
        me = case["principal_id"]
        if row["owner_id"] is not None:
            if str(row["owner_user_id"]) == me:
                return "owner"
        elif str(row["created_by_id"]) == me:
            return "owner"
        role = row["granted_role"]
        return "editor" if role == "editor" else "viewer"

    def default(value: Any) -> Any:
        if isinstance(value, uuid.UUID):
            return str(value)
        raise TypeError

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    pool.append(await asyncpg.create_pool(dsn, min_size=4, max_size=20))
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await pool[0].close()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        sql, params, case = prepared[scope["path"].rsplit("/", 1)[-1]]
        async with pool[0].acquire() as connection:
            rows = await connection.fetch(sql, *params)
        limit = case["limit"]
        cursor = None
        if len(rows) > limit:
            rows = rows[:limit]
            last = rows[-1]
            key = last[case["order_key"]]
            if isinstance(key, dt.datetime):
                key = {"t": "dt", "v": key.isoformat()}
            raw = json.dumps([case["order_token"], key, str(last["id"])], separators=(",", ":"))
            cursor = base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
        items = [
            {
                "id": r["id"],
                "name": r["name"],
                "kind": r["kind"],
                "tax_id": r["tax_id"],
                "email": r["email"],
                "phone": r["phone"],
                "address": r["address"],
                "office_id": r["office_id"],
                "status": r["status"],
                "archived_at": r["archived_at"],
                "external_ref": r["external_ref"],
                "notes": r["notes"],
                "owner": {
                    "id": r["owner_id"],
                    "name": r["owner_name"],
                    "user_id": r["owner_user_id"],
                }
                if r["owner_id"] is not None
                else None,
                "created_by_id": r["created_by_id"],
                "created_at": r["created_at"],
                "updated_at": r["updated_at"],
                "access": access(case, r),
            }
            for r in rows
        ]
        body = orjson.dumps(
            {"items": items, "next_cursor": cursor}, default=default, option=orjson.OPT_UTC_Z
        )
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})

    return app


def serve_raw(cases_file: str, port: int) -> int:
    import uvicorn

    spec = json.loads(Path(cases_file).read_text())
    uvicorn.run(
        raw_app(spec["dsn"], spec["cases"]),
        host="127.0.0.1",
        port=port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
    )
    return 0


# -- loading -------------------------------------------------------------------------------


def _plain_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def _admin(admin_url: str, sql: str) -> Any:
    import asyncpg

    connection = await asyncpg.connect(_plain_dsn(admin_url))
    try:
        return await connection.fetchval(sql)
    finally:
        await connection.close()


async def load(url: str, sizes: dict[str, int]) -> dict[str, Any]:
    """Load the firms once (a `bench_meta` table marks a loaded database)."""
    from sqlalchemy import text

    from practice_api.core.security import PasswordHasher
    from practice_api.db import make_engine

    engine = make_engine(url, pool=False)
    try:
        async with engine.begin() as connection:
            loaded = await connection.scalar(text("SELECT to_regclass('bench_meta') IS NOT NULL"))
            if loaded:
                meta: dict[str, Any] = json.loads(
                    await connection.scalar(text("SELECT meta FROM bench_meta"))
                )
                return meta
        password_hash = PasswordHasher().hash(PASSWORD)
        meta = {}
        for label, size in sizes.items():
            started = time.monotonic()
            async with engine.begin() as connection:
                meta[label] = await _load_firm(connection, label, size, password_hash)
            print(f"  loaded {size:,} entities ({label}) in {time.monotonic() - started:.0f} s")
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text("ANALYZE"))
            await connection.execute(text("CREATE TABLE bench_meta (meta text)"))
            await connection.execute(
                text("INSERT INTO bench_meta VALUES (:meta)"), {"meta": json.dumps(meta)}
            )
        return meta
    finally:
        await engine.dispose()


async def _load_firm(connection: Any, label: str, size: int, password_hash: str) -> dict[str, Any]:
    """The firm, its users and owners through the models (their defaults apply); entities
    and shares in bulk SQL."""
    from sqlalchemy import insert, text

    from practice_api.core.ids import new_id
    from practice_api.firms.models import Firm
    from practice_api.owners.models import Owner
    from practice_api.users.models import User

    firm = new_id()
    await connection.execute(insert(Firm).values(id=firm, name=f"Bench {label}"))
    users: dict[str, uuid.UUID] = {}
    for who, role in [("admin", "admin"), ("wide", "staff"), ("narrow", "staff")] + [
        (f"colleague{n}", "staff") for n in range(10)
    ]:
        users[who] = new_id()
        await connection.execute(
            insert(User).values(
                id=users[who],
                firm_id=firm,
                email=f"{who}-{label}@bench.example",
                name=who.title(),
                role=role,
                password_hash=password_hash,
            )
        )
    owners = [new_id() for _ in range(100)]
    await connection.execute(
        insert(Owner),
        [
            {"id": owner, "firm_id": firm, "name": f"Owner {n}", "user_id": None}
            for n, owner in enumerate(owners)
        ],
    )
    wide_owner = owners[0]
    await connection.execute(
        text("UPDATE owners SET user_id = :user, name = 'Wide' WHERE id = :owner"),
        {"user": users["wide"], "owner": wide_owner},
    )
    # 5 % owned by the wide staff user, 10 % unowned, the rest spread over 99 owners.
    await connection.execute(
        text(
            """
        INSERT INTO entities (id, firm_id, name, kind, tax_id, email, address, status,
            archived_at, owner_id, created_by_id, created_at, updated_at, version)
        SELECT gen_random_uuid(), :firm, 'Client ' || md5(i::text),
            CASE WHEN i % 3 = 0 THEN 'individual' ELSE 'company' END,
            'TX' || lpad(i::text, 9, '0'), 'c' || i || '@client.example', 'Street ' || i,
            CASE WHEN i % 10 = 5 THEN 'archived' ELSE 'active' END,
            CASE WHEN i % 10 = 5 THEN now() END,
            CASE WHEN i % 20 = 0 THEN CAST(:wide AS uuid) WHEN i % 10 = 1 THEN NULL
                 ELSE (CAST(:owners AS uuid[]))[1 + i % 99] END,
            :admin, now() - i * interval '1 second',
            now() - ((i::bigint * 7919) % 1000003) * interval '1 second', 1
        FROM generate_series(1, :size) AS i
        """
        ),
        {
            "firm": firm,
            "wide": wide_owner,
            "owners": [str(o) for o in owners[1:]],
            "admin": users["admin"],
            "size": size,
        },
    )
    colleagues = [str(users[f"colleague{n}"]) for n in range(10)]
    for user, role, bucket, limit in (
        ("colleagues", "viewer", 7, "ALL"),
        (str(users["narrow"]), "editor", 8, "20"),
    ):
        target = (
            "(CAST(:colleagues AS uuid[]))[1 + abs(hashtext(id::text)) % 10]"
            if user == "colleagues"
            else "CAST(:user AS uuid)"
        )
        await connection.execute(
            text(
                f"""
            INSERT INTO shares (id, firm_id, entity_id, user_id, role, notifications,
                created_at, updated_at, version)
            SELECT gen_random_uuid(), :firm, id, {target}, '{role}', '[]', now(), now(), 1
            FROM entities WHERE firm_id = :firm AND abs(hashtext(id::text)) % 50 = {bucket}
            ORDER BY id LIMIT {limit}
            """
            ),
            {"firm": firm, "colleagues": colleagues, "user": user},
        )
    # Page 200 starts after row 9,950 in name order.
    after = (
        await connection.execute(
            text(
                "SELECT name, id FROM entities WHERE firm_id = :firm "
                "ORDER BY name, id OFFSET :skip LIMIT 1"
            ),
            {"firm": firm, "skip": min(size, 10_000) - 51},
        )
    ).one()
    return {
        "firm": str(firm),
        "users": {k: str(v) for k, v in users.items()},
        "owner": str(owners[5]),
        "page200": [after.name, str(after.id)],
    }


# -- cases ---------------------------------------------------------------------------------

SCALE_CASES: list[tuple[str, str, dict[str, str]]] = [
    ("first page", "admin", {}),
    ("page 200 by cursor", "admin", {"cursor": "page200"}),
    ("owner filter", "admin", {"owner_id": "owner"}),
    ("unowned", "admin", {"owner_id": "none"}),
    ("status=archived", "admin", {"status": "archived"}),
    ("search q=", "admin", {"q": "search"}),
    ("order_by=-name", "admin", {"order_by": "-name"}),
    ("order_by=created_at", "admin", {"order_by": "created_at"}),
    ("order_by=-updated_at", "admin", {"order_by": "-updated_at"}),
    ("staff, 20 shares", "narrow", {}),
    ("shared_with_me", "narrow", {"shared_with_me": "true"}),
    ("staff who owns 5 %", "wide", {}),
]
RATIO_CASES = [("admin", "first page"), ("staff 5 %", "staff who owns 5 %")]


def _query(meta: dict[str, Any], params: dict[str, str]) -> dict[str, str]:
    from practice_api.core.pagination import encode_cursor

    resolved = dict(params)
    if params.get("cursor") == "page200":
        name, row_id = meta["page200"]
        resolved["cursor"] = encode_cursor("entities:name", name, uuid.UUID(row_id))
    if params.get("owner_id") == "owner":
        resolved["owner_id"] = meta["owner"]
    if params.get("q") == "search":
        import hashlib

        resolved["q"] = hashlib.md5(b"777").hexdigest()[:6]
    return resolved


def compile_case(
    meta: dict[str, Any], who: str, query: dict[str, str], few: bool
) -> dict[str, Any]:
    """The SQL the API's repository runs for this case, with its parameters."""
    from sqlalchemy.dialects.postgresql import asyncpg as pg

    from practice_api.core.pagination import PageParams, page_query
    from practice_api.core.principals import Principal
    from practice_api.entities.repository import ENTITY_ORDERING, EntityRepository
    from practice_api.registry import register_all

    register_all()  # grants (shares) take part in visibility, as in the app

    principal = Principal(
        kind="staff",
        id=uuid.UUID(meta["users"][who]),
        firm_id=uuid.UUID(meta["firm"]),
        session_id=uuid.uuid4(),
        name=who,
        email=who,
        role="admin" if who == "admin" else "staff",
    )
    repository = EntityRepository(None, principal)  # type: ignore[arg-type]
    repository.few_visible = few
    owner: Any = query.get("owner_id")
    statement = repository.filtered(
        owner_id="none" if owner == "none" else uuid.UUID(owner) if owner else None,
        status=query.get("status"),
        q=query.get("q"),
        shared_with_me=True if query.get("shared_with_me") else None,
    )
    page = page_query(
        repository.listing(statement),
        PageParams(limit=50, cursor=query.get("cursor")),
        ENTITY_ORDERING,
        query.get("order_by"),
    )
    compiled = page.statement.compile(dialect=pg.dialect())
    processors = compiled._bind_processors
    params = []
    for key in compiled.positiontup or []:
        value = compiled.params[key]
        if key in processors:
            value = processors[key](value)
        if isinstance(value, uuid.UUID):
            value = {"uuid": str(value)}
        elif isinstance(value, dt.datetime):
            value = {"dt": value.isoformat()}
        params.append(value)
    return {
        "sql": str(compiled),
        "params": params,
        "limit": 50,
        "order_key": page.column.key,
        "order_token": page.order_token,
        "is_admin": who == "admin",
        "principal_id": meta["users"][who],
    }


# -- driving -------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait(port: int, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server on port {port} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server on port {port} did not start")


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(
    url: str, token: str | None, connections: int, seconds: float
) -> tuple[float, float, float]:
    """req/s, p50 ms, p99 ms."""
    duration = f"-d{max(1, round(seconds))}s"
    command = ["wrk", "-t1", f"-c{connections}", duration, "--latency", url]
    if token:
        command[1:1] = ["-H", f"Authorization: Bearer {token}"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out:
        raise SystemExit(f"wrk saw errors on {url}:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]

    def pct(p: str) -> float:
        m = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        return float(m.group(1)) * _UNITS[m.group(2)] if m else float("nan")  # type: ignore

    return rps, pct("50"), pct("99")


def _sign_in(base: str, email: str) -> str:
    import httpx

    response = httpx.post(
        f"{base}/v1/auth/token", data={"username": email, "password": PASSWORD}, timeout=60
    )
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token


def _url(base: str, query: dict[str, str]) -> str:
    from urllib.parse import urlencode

    return f"{base}/v1/entities?limit=50" + ("&" + urlencode(query) if query else "")


def _check_same(api: str, raw: str, token: str) -> None:
    import httpx

    a = httpx.get(api, headers={"Authorization": f"Bearer {token}"}, timeout=60)
    b = httpx.get(raw, timeout=60)
    a.raise_for_status()
    b.raise_for_status()
    if a.json() != b.json():
        left, right = a.json(), b.json()
        detail = [
            (k, x.get(k), y.get(k))
            for x, y in zip(left["items"], right["items"], strict=False)
            for k in x
            if x.get(k) != y.get(k)
        ][:3]
        raise SystemExit(
            f"raw reference and API disagree on {api}: {len(left['items'])} vs "
            f"{len(right['items'])} items, cursors {left['next_cursor']!r} vs "
            f"{right['next_cursor']!r}, first differences {detail}"
        )


async def _sign_in_clients(base: str, emails: list[str], stop: asyncio.Event) -> int:
    import httpx

    done = 0
    async with httpx.AsyncClient(timeout=60) as http:

        async def one(email: str) -> None:
            nonlocal done
            while not stop.is_set():
                r = await http.post(
                    f"{base}/v1/auth/token", data={"username": email, "password": PASSWORD}
                )
                r.raise_for_status()
                done += 1

        tasks = [asyncio.create_task(one(email)) for email in emails]
        await stop.wait()
        await asyncio.gather(*tasks)
    return done


def healthz_under_sign_in(base: str, emails: list[str], seconds: float) -> None:
    alone = wrk(f"{base}/healthz", None, 4, seconds)

    async def run() -> tuple[tuple[float, float, float], int]:
        stop = asyncio.Event()
        signing = asyncio.create_task(_sign_in_clients(base, emails, stop))
        await asyncio.sleep(0.5)
        loaded = await asyncio.to_thread(wrk, f"{base}/healthz", None, 4, seconds)
        stop.set()
        return loaded, await signing

    loaded, sign_ins = asyncio.run(run())
    print(
        f"\n/healthz while {len(emails)} clients sign in back to back (argon2, 4 wrk connections)"
    )
    print(f"{'':28} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    print(f"{'alone':28} {alone[0]:8.0f} {alone[1]:8.2f} {alone[2]:8.2f}")
    print(f"{'during sign-ins':28} {loaded[0]:8.0f} {loaded[1]:8.2f} {loaded[2]:8.2f}")
    print(f"throughput kept: {loaded[0] / alone[0]:.2f}; sign-ins completed: {sign_ins}")


def main() -> int:
    if len(sys.argv) == 4 and sys.argv[1] == "--serve-raw":
        return serve_raw(sys.argv[2], int(sys.argv[3]))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=3)
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds per ratio case")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--keep", action="store_true", help="keep the database for the next run")
    parser.add_argument("--admin-url", default=DEFAULT_ADMIN_URL)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install -y wrk")

    from sqlalchemy.engine import make_url

    from practice_api.entities.repository import FEW_VISIBLE_ENTITIES
    from practice_api.schema import upgrade_to_head

    name = f"perf_bench_{args.small}_{args.large}"
    url = make_url(args.admin_url).set(database=name).render_as_string(False)
    dsn = _plain_dsn(url)
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
    if not asyncio.run(_admin(args.admin_url, f"SELECT 1 FROM pg_database WHERE datname='{name}'")):
        asyncio.run(_admin(args.admin_url, f'CREATE DATABASE "{name}"'))
    processes: list[subprocess.Popen[bytes]] = []
    try:
        upgrade_to_head(url)
        print(f"database {name}: loading (reused when already loaded)")
        meta = asyncio.run(load(url, {"small": args.small, "large": args.large}))

        api_port, raw_port = _free_port(), _free_port()
        env = {
            **os.environ,
            "PRACTICE_ENVIRONMENT": "development",
            "PRACTICE_DATABASE_URL": url,
            "PRACTICE_SECRET_KEY": SECRET,
            "PRACTICE_SEED_DEMO": "false",
            "PRACTICE_RUN_DISPATCHER": "false",
            "PRACTICE_LOGIN_ATTEMPTS_PER_ADDRESS": "1000000",
            "PRACTICE_LOGIN_FAILURES_PER_ACCOUNT": "1000000",
            "PRACTICE_RATE_LIMIT_REQUESTS": "1000000000",  # counted, never reached
            "PRACTICE_DATA_DIR": tempfile.mkdtemp(prefix="perf_bench_"),
        }
        uvicorn = [sys.executable, "-m", "uvicorn", "--loop", "uvloop", "--http", "httptools"]
        quiet = ["--no-access-log", "--log-level", "warning", "--host", "127.0.0.1"]
        processes.append(
            subprocess.Popen(
                [*uvicorn, *quiet, "--port", str(api_port), "--factory", APP_FACTORY],
                cwd=ROOT,
                env=env,
            )
        )
        cases: dict[str, Any] = {}
        queries: dict[str, tuple[str, dict[str, str]]] = {}
        for label in ("small", "large"):
            for n, (_case, who, params) in enumerate(SCALE_CASES):
                query = _query(meta[label], params)
                key = f"{label}-{n}"
                # As the API's bounded count decides (the wide user sees 5 %).
                size = args.small if label == "small" else args.large
                few = who != "wide" or size // 20 < FEW_VISIBLE_ENTITIES
                cases[key] = compile_case(meta[label], who, query, few)
                queries[key] = (who, query)
        spec = Path(tempfile.mkdtemp(prefix="perf_bench_")) / "cases.json"
        spec.write_text(json.dumps({"dsn": dsn, "cases": cases}))
        processes.append(
            subprocess.Popen([sys.executable, __file__, "--serve-raw", str(spec), str(raw_port)])
        )
        _wait(api_port, processes[0])
        _wait(raw_port, processes[1])
        api, raw = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{raw_port}"
        tokens = {
            (label, who): _sign_in(api, f"{who}-{label}@bench.example")
            for label in ("small", "large")
            for who in ("admin", "wide", "narrow")
        }
        for key, (who, query) in queries.items():
            label = key.split("-")[0]
            _check_same(_url(api, query), f"{raw}/raw/{key}", tokens[(label, who)])
        # Warm both (prepared statements, caches).
        for key, (who, query) in queries.items():
            label = key.split("-")[0]
            wrk(_url(api, query), tokens[(label, who)], 1, 1)
            wrk(f"{raw}/raw/{key}", None, 1, 1)

        print(
            f"\nList throughput against the raw reference ({args.large:,} entities, "
            f"{args.connections} connections, {args.rounds} interleaved rounds of "
            f"{args.seconds:g} s)"
        )
        print(
            f"{'case':22} {'API req/s':>10} {'p50':>7} {'p99':>7} "
            f"{'raw req/s':>10} {'p50':>7} {'p99':>7} {'API/raw':>8}"
        )
        for title, case in RATIO_CASES:
            n = [c[0] for c in SCALE_CASES].index(case)
            who, query = queries[f"large-{n}"]
            results: dict[str, list[tuple[float, float, float]]] = {"api": [], "raw": []}
            for _ in range(args.rounds):
                results["api"].append(
                    wrk(_url(api, query), tokens[("large", who)], args.connections, args.seconds)
                )
                results["raw"].append(
                    wrk(f"{raw}/raw/large-{n}", None, args.connections, args.seconds)
                )
            a = [statistics.mean(x) for x in zip(*results["api"], strict=True)]
            r = [statistics.mean(x) for x in zip(*results["raw"], strict=True)]
            print(
                f"{title:22} {a[0]:10.0f} {a[1]:7.2f} {a[2]:7.2f} {r[0]:10.0f} {r[1]:7.2f} "
                f"{r[2]:7.2f} {a[0] / r[0]:8.2f}"
            )

        print(
            f"\np50 per case, one connection, {args.seconds:g} s each "
            f"({args.small:,} vs {args.large:,} entities; ms)"
        )
        print(
            f"{'case':24} {'API small':>10} {'API large':>10} {'large/small':>12} "
            f"{'raw small':>10} {'raw large':>10}"
        )
        for n, (case, _who, _params) in enumerate(SCALE_CASES):
            row = {}
            for label in ("small", "large"):
                who, query = queries[f"{label}-{n}"]
                url_ = _url(api, query)
                row[("api", label)] = wrk(url_, tokens[(label, who)], 1, args.seconds)[1]
                row[("raw", label)] = wrk(f"{raw}/raw/{label}-{n}", None, 1, args.seconds)[1]
            print(
                f"{case:24} {row[('api', 'small')]:10.2f} {row[('api', 'large')]:10.2f} "
                f"{row[('api', 'large')] / row[('api', 'small')]:12.2f} "
                f"{row[('raw', 'small')]:10.2f} {row[('raw', 'large')]:10.2f}"
            )

        colleagues = [f"colleague{n}-small@bench.example" for n in range(10)]
        healthz_under_sign_in(api, colleagues, args.seconds)
        print(f"\nload average at the end: {os.getloadavg()[0]:.1f} ({os.cpu_count()} cores)")
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        if not args.keep:
            asyncio.run(_admin(args.admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            print(f"dropped {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
