#!/usr/bin/env python3
"""The portal dashboard with 10,000 documents across a contact's entities, on PostgreSQL.

Creates a throwaway database (name starting ``tasks_bench``), a firm, a contact with access
to 20 entities, 500 tasks (5 requested by the contact, 5 cancelled) holding 10,000 output
documents due across a year (a third read by the contact), and 4 more firms of the same
shape around it (``--other-firms``: the tables hold others' rows too), then calls
``GET /v1/portal/dashboard`` in-process through the ASGI app and prints p50 / p95, the SQL
statements per call with the time spent in them, and the CPU time of this process per call
(the app's own work: these two carry over better than the wall clock on a shared machine).
The target is a p50 under 20 ms.

``--explain`` prints EXPLAIN (ANALYZE, BUFFERS) of every statement of one call instead.

    .venv/bin/python scripts/bench_dashboard.py [--documents 10000] [--calls 200] [--explain]
        [--other-firms 4] [--admin-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import event, insert, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from practice_api.app import create_app  # noqa: E402
from practice_api.contacts.models import Contact, EntityContact  # noqa: E402
from practice_api.core.time import utcnow  # noqa: E402
from practice_api.db import make_engine  # noqa: E402
from practice_api.entities.models import Entity  # noqa: E402
from practice_api.schema import upgrade_to_head  # noqa: E402
from practice_api.settings import Settings  # noqa: E402
from practice_api.tasks.models import Task, TaskOutput, TaskOutputReadMark  # noqa: E402

DEFAULT_ADMIN_URL = os.environ.get(
    "PRACTICE_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
PASSWORD = "correct horse battery"


async def admin_sql(url: str, statement: str) -> None:
    engine = make_engine(url, pool=False)
    try:
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


async def seed(
    app: Any, http: httpx.AsyncClient, documents: int, other_firms: int
) -> dict[str, str]:
    """The measured firm and contact, and ``other_firms`` more of the same shape (a shared
    database: the contact's documents are a part of the tables, as in production)."""
    runtime = app.state.runtime
    contacts = []
    for number in range(1 + other_firms):
        email = f"admin-{secrets.token_hex(3)}@bench.example.com"
        signup = await http.post(
            "/v1/firms",
            json={
                "firm_name": f"Bench {number}",
                "admin_name": "A",
                "admin_email": email,
                "admin_password": PASSWORD,
            },
        )
        firm_id = uuid.UUID(signup.json()["firm"]["id"])
        async with runtime.sessionmaker() as session:
            contacts.append(await seed_firm(runtime, session, firm_id, documents))
            await session.commit()
    # As autovacuum would have (statistics and the visibility map of a settled database);
    # outside a transaction, or the statistics roll back with it.
    async with runtime.engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text("VACUUM ANALYZE"))
    token = await http.post("/v1/auth/token", data={"username": contacts[0], "password": PASSWORD})
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


async def seed_firm(runtime: Any, session: Any, firm_id: uuid.UUID, documents: int) -> str:
    """A contact with access to 20 entities, 500 tasks (5 of them requested by the contact,
    5 cancelled) holding ``documents`` output documents due across a year, a third of them
    read by the contact. Returns the contact's e-mail."""
    today = dt.date.today()
    contact_email = f"c-{secrets.token_hex(3)}@client.example.com"
    contact = Contact(
        firm_id=firm_id,
        name="Carla",
        email=contact_email,
        portal_status="active",
        password_hash=runtime.hasher.hash(PASSWORD),
    )
    session.add(contact)
    entities = [Entity(firm_id=firm_id, name=f"Client {i}", kind="company") for i in range(20)]
    session.add_all(entities)
    await session.flush()
    session.add_all(
        [
            EntityContact(firm_id=firm_id, entity_id=e.id, contact_id=contact.id, role="viewer")
            for e in entities
        ]
    )
    await session.flush()
    tasks = []
    for i in range(500):
        due = today + dt.timedelta(days=(i % 365) - 180)
        tasks.append(
            {
                "id": uuid.uuid4(),
                "firm_id": firm_id,
                "entity_id": entities[i % 20].id,
                "title": f"Task {i}",
                "due_date": due,
                "due_key": due,
                "stages": ["To do", "Done"],
                "stage": "To do",
                "status": "cancelled" if i % 100 == 1 else "open",
                "origin": "client" if i % 100 == 0 else "staff",
                "requested_by_contact_id": contact.id if i % 100 == 0 else None,
                "created_by_kind": "system",
                "created_by_name": "system",
                "version": 1,
                "created_at": utcnow(),
                "updated_at": utcnow(),
            }
        )
    await session.execute(insert(Task), tasks)
    outputs, reads = [], []
    for i in range(documents):
        task = tasks[i % len(tasks)]
        output_id = uuid.uuid4()
        outputs.append(
            {
                "id": output_id,
                "firm_id": firm_id,
                "task_id": task["id"],
                "entity_id": task["entity_id"],
                "name": f"Document {i}",
                "due_date": today + dt.timedelta(days=(i % 365) - 180),
                "visible_to_client": True,
                "position": i // len(tasks),
                "version": 1,
                "created_at": utcnow(),
                "updated_at": utcnow(),
            }
        )
        if i % 3 == 0:
            reads.append({"output_id": output_id, "contact_id": contact.id, "firm_id": firm_id})
    for start in range(0, len(outputs), 2000):
        await session.execute(insert(TaskOutput), outputs[start : start + 2000])
    await session.execute(insert(TaskOutputReadMark), reads)
    return contact_email


async def explain(app: Any, http: httpx.AsyncClient, headers: dict[str, str]) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of each statement one dashboard call runs."""
    engine = app.state.runtime.engine.sync_engine
    seen: list[tuple[str, Any]] = []

    def capture(*a: Any) -> None:
        seen.append((a[2], a[3]))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        response = await http.get("/v1/portal/dashboard", headers=headers)
        assert response.status_code == 200, response.text
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    async with app.state.runtime.engine.connect() as connection:
        for number, (statement, parameters) in enumerate(seen, 1):
            plan = await connection.exec_driver_sql(
                "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters
            )
            print(f"--- statement {number}\n{statement}\n")
            print("\n".join(row[0] for row in plan))


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument(
        "--other-firms", type=int, default=4, help="more firms of the same shape around it"
    )
    parser.add_argument("--admin-url", default=DEFAULT_ADMIN_URL)
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE one call")
    args = parser.parse_args()

    name = f"tasks_bench_{os.getpid()}"
    await admin_sql(args.admin_url, f'CREATE DATABASE "{name}"')
    url = make_url(args.admin_url).set(database=name).render_as_string(False)
    try:
        await asyncio.to_thread(upgrade_to_head, url)
        with tempfile.TemporaryDirectory() as data_dir:
            settings = Settings(
                environment="test",
                database_url=url,
                data_dir=Path(data_dir),
                secret_key="bench-" + "x" * 40,
                password_hash_rounds=1,
                seed_demo=False,
                run_dispatcher=False,
            )
            app = create_app(settings)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
                headers = await seed(app, http, args.documents, args.other_firms)
                statements: list[str] = []
                engine = app.state.runtime.engine.sync_engine

                sql_ms: list[float] = []

                def count(*a: Any) -> None:
                    statements.append(a[2])
                    a[0].info["started"] = time.perf_counter()

                by_statement: dict[str, list[float]] = {}

                def done(*a: Any) -> None:
                    spent = (time.perf_counter() - a[0].info.pop("started")) * 1000
                    sql_ms.append(spent)
                    by_statement.setdefault(" ".join(a[2].split())[:70], []).append(spent)

                for _ in range(10):  # warm up
                    response = await http.get("/v1/portal/dashboard", headers=headers)
                    assert response.status_code == 200, response.text
                if args.explain:
                    await explain(app, http, headers)
                    await app.state.runtime.engine.dispose()
                    return 0
                event.listen(engine, "before_cursor_execute", count)
                event.listen(engine, "after_cursor_execute", done)
                timings = []
                cpu_started = time.process_time()
                for _ in range(args.calls):
                    started = time.perf_counter()
                    response = await http.get("/v1/portal/dashboard", headers=headers)
                    timings.append((time.perf_counter() - started) * 1000)
                cpu_ms = (time.process_time() - cpu_started) * 1000 / args.calls
                event.remove(engine, "before_cursor_execute", count)
                event.remove(engine, "after_cursor_execute", done)
                body = response.json()
                assert response.status_code == 200, response.text
                # The floor: the same stack answering the contact's profile (one small row).
                floor, floor_started = [], time.process_time()
                for _ in range(args.calls):
                    started = time.perf_counter()
                    assert (await http.get("/v1/portal/me", headers=headers)).status_code == 200
                    floor.append((time.perf_counter() - started) * 1000)
                floor_cpu = (time.process_time() - floor_started) * 1000 / args.calls
            await app.state.runtime.engine.dispose()
        timings.sort()
        print(
            f"documents {args.documents}: dashboard p50 {statistics.median(timings):.1f} ms, "
            f"p95 {timings[int(len(timings) * 0.95) - 1]:.1f} ms over {args.calls} calls; "
            f"{len(statements) / args.calls:.1f} SQL statements per call "
            f"({sum(sql_ms) / args.calls:.1f} ms of SQL); {cpu_ms:.1f} ms CPU per call in "
            f"this process; {len(response.content):,} bytes; counts {body['counts']}\n"
            f"floor (GET /v1/portal/me, same stack): p50 {statistics.median(floor):.1f} ms, "
            f"{floor_cpu:.1f} ms CPU per call"
        )
        for statement, spent in by_statement.items():
            print(f"  {len(spent):4d} x p50 {statistics.median(spent):6.2f} ms  {statement}")
    finally:
        await admin_sql(args.admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
