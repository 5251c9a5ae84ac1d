#!/usr/bin/env python3
"""The portal dashboard with 10,000 documents across a contact's entities, on PostgreSQL.

Creates a throwaway database (name starting ``tasks_bench``), a firm, a contact with access
to 20 entities, 500 tasks holding 10,000 output documents due across a year (some read by
the contact), then calls ``GET /v1/portal/dashboard`` in-process through the ASGI app and
prints p50 / p95 and the SQL statements per call. The target is a p50 under 20 ms.

    .venv/bin/python scripts/bench_dashboard.py [--documents 10000] [--calls 200]
        [--admin-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres]
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


async def seed(app: Any, http: httpx.AsyncClient, documents: int) -> dict[str, str]:
    email = f"admin-{secrets.token_hex(3)}@bench.example.com"
    signup = await http.post(
        "/v1/firms",
        json={
            "firm_name": "Bench",
            "admin_name": "A",
            "admin_email": email,
            "admin_password": PASSWORD,
        },
    )
    firm_id = uuid.UUID(signup.json()["firm"]["id"])
    contact_email = f"c-{secrets.token_hex(3)}@client.example.com"
    runtime = app.state.runtime
    today = dt.date.today()
    async with runtime.sessionmaker() as session:
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
                    "status": "open",
                    "origin": "staff",
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
        await session.commit()
    async with runtime.engine.connect() as connection:
        await connection.execute(text("ANALYZE"))
    token = await http.post(
        "/v1/auth/token", data={"username": contact_email, "password": PASSWORD}
    )
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--admin-url", default=DEFAULT_ADMIN_URL)
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
                headers = await seed(app, http, args.documents)
                statements: list[str] = []
                engine = app.state.runtime.engine.sync_engine

                sql_ms: list[float] = []

                def count(*a: Any) -> None:
                    statements.append(a[2])
                    a[0].info["started"] = time.perf_counter()

                def done(*a: Any) -> None:
                    sql_ms.append((time.perf_counter() - a[0].info.pop("started")) * 1000)

                for _ in range(10):  # warm up
                    response = await http.get("/v1/portal/dashboard", headers=headers)
                    assert response.status_code == 200, response.text
                event.listen(engine, "before_cursor_execute", count)
                event.listen(engine, "after_cursor_execute", done)
                timings = []
                for _ in range(args.calls):
                    started = time.perf_counter()
                    response = await http.get("/v1/portal/dashboard", headers=headers)
                    timings.append((time.perf_counter() - started) * 1000)
                event.remove(engine, "before_cursor_execute", count)
                event.remove(engine, "after_cursor_execute", done)
                body = response.json()
                assert response.status_code == 200, response.text
            await app.state.runtime.engine.dispose()
        timings.sort()
        print(
            f"documents {args.documents}: dashboard p50 {statistics.median(timings):.1f} ms, "
            f"p95 {timings[int(len(timings) * 0.95) - 1]:.1f} ms over {args.calls} calls; "
            f"{len(statements) / args.calls:.1f} SQL statements per call "
            f"({sum(sql_ms) / args.calls:.1f} ms of SQL); counts {body['counts']}"
        )
    finally:
        await admin_sql(args.admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
