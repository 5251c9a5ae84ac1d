#!/usr/bin/env python3
"""File request lists and the reminder job at size, on PostgreSQL (in-process, httpx).

Loads one firm with N file requests of M items each (INSERT ... SELECT generate_series)
into a throwaway database `filereq_bench`, then prints: the p50 of the firm-wide list
(50 and 200 per page), a filtered list, the portal list of the contact every request is
addressed to, the SQL statements per page (the same whatever the page size), and one
reminder round with every schedule due the same day (one digest e-mail for the contact).

    .venv/bin/python scripts/bench_file_requests.py [--requests 20000] [--items 10]
        [--admin-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

DEFAULT_ADMIN_URL = os.environ.get(
    "PRACTICE_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
NAME = "filereq_bench"


async def _admin(url: str, statement: str) -> None:
    from sqlalchemy import text

    from practice_api.db import make_engine

    engine = make_engine(url, pool=False)
    try:
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


async def main(args: argparse.Namespace) -> None:
    import httpx
    from sqlalchemy import event, text
    from sqlalchemy.engine import make_url
    from tests.conftest import make_settings
    from tests.contact_helpers import portal_contact
    from tests.factories import create_entity
    from tests.helpers import Api

    from practice_api.app import create_app
    from practice_api.core.time import travel_to
    from practice_api.reminders.service import send_due_reminders
    from practice_api.schema import upgrade_to_head

    await _admin(args.admin_url, f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)')
    await _admin(args.admin_url, f'CREATE DATABASE "{NAME}"')
    url = make_url(args.admin_url).set(database=NAME).render_as_string(False)
    try:
        await asyncio.to_thread(upgrade_to_head, url)
        app = create_app(make_settings(url, Path(tempfile.mkdtemp())))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            api = Api(client)
            admin = await api.sign_up_firm("Bench Audit")
            entity = await create_entity(api, admin, name="Big Client")
            contact, contact_actor = await portal_contact(
                api, app, admin, entity["id"], "contributor"
            )
            made = await client.post(
                f"/v1/entities/{entity['id']}/file-requests",
                json={
                    "subject": "Seed",
                    "recipients": [contact["id"]],
                    "items": [{"title": "x"}],
                    "due_date": (dt.date.today() + dt.timedelta(days=5)).isoformat(),
                },
                headers=admin.headers,
            )
            assert made.status_code == 201, made.text
            seed = made.json()["id"]
            started = time.perf_counter()
            engine = app.state.runtime.engine
            async with engine.begin() as connection:
                n, m = args.requests, args.items
                await connection.execute(
                    text(f"""
                    INSERT INTO file_requests (id, firm_id, entity_id, subject, description,
                        due_date, status, waiting, created_by_id, created_by_name,
                        created_at, updated_at, version)
                    SELECT gen_random_uuid(), r.firm_id, r.entity_id, 'Request ' || g,
                        '', r.due_date + (g % 30),
                        (ARRAY['open','in_progress','submitted'])[g % 3 + 1],
                        g % 3 <> 2, r.created_by_id, r.created_by_name,
                        now() - (g || ' seconds')::interval, now(), 1
                    FROM file_requests r, generate_series(1, {n}) g WHERE r.id = '{seed}'""")
                )
                await connection.execute(
                    text(f"""
                    INSERT INTO file_request_recipients (request_id, contact_id)
                    SELECT fr.id, rr.contact_id FROM file_requests fr, file_request_recipients rr
                    WHERE rr.request_id = '{seed}' AND fr.id <> '{seed}'""")
                )
                await connection.execute(
                    text(f"""
                    INSERT INTO file_request_items (id, firm_id, request_id, position, title,
                        description, status, uploads, created_at, updated_at)
                    SELECT gen_random_uuid(), fr.firm_id, fr.id, k, 'Item ' || k, '',
                        (ARRAY['open','submitted','accepted','returned'])[k % 4 + 1],
                        0, now(), now()
                    FROM file_requests fr, generate_series(1, {m}) k WHERE fr.id <> '{seed}'""")
                )
                await connection.execute(
                    text(f"""
                    INSERT INTO reminder_schedules (id, firm_id, entity_id, subject_kind,
                        subject_id, due_date, anchor_date, enabled, active, next_slot, created_at)
                    SELECT gen_random_uuid(), s.firm_id, s.entity_id, 'file_request', fr.id,
                        s.due_date, s.anchor_date, true, true, s.next_slot, now()
                    FROM file_requests fr, reminder_schedules s
                    WHERE s.subject_id = '{seed}' AND fr.id <> '{seed}'""")
                )
                await connection.execute(
                    text(f"""
                    INSERT INTO reminder_recipients (schedule_id, recipient_kind, recipient_id)
                    SELECT s.id, 'contact', '{contact["id"]}' FROM reminder_schedules s
                    WHERE s.subject_id <> '{seed}'""")
                )
                await connection.execute(text("ANALYZE"))
            print(
                f"loaded {args.requests} requests x {args.items} items "
                f"in {time.perf_counter() - started:.1f} s"
            )

            statements: list[str] = []

            def count(*a: Any) -> None:
                statements.append(str(a[2]))

            async def timed(path: str, actor: Any, runs: int = 15) -> tuple[float, int]:
                times = []
                for _ in range(runs):
                    statements.clear()
                    event.listen(engine.sync_engine, "before_cursor_execute", count)
                    t = time.perf_counter()
                    response = await client.get(path, headers=actor.headers)
                    times.append((time.perf_counter() - t) * 1000)
                    event.remove(engine.sync_engine, "before_cursor_execute", count)
                    assert response.status_code == 200, response.text
                return statistics.median(times), len(statements)

            for label, path, actor in (
                ("firm-wide list, 50 per page", "/v1/file-requests?limit=50", admin),
                ("firm-wide list, 200 per page", "/v1/file-requests?limit=200", admin),
                ("status=open&overdue=false", "/v1/file-requests?status=open&overdue=false", admin),
                (
                    "entity list by recipient",
                    f"/v1/entities/{entity['id']}/file-requests?recipient_id={contact['id']}",
                    admin,
                ),
                ("portal list (waiting first)", "/v1/portal/file-requests?limit=50", contact_actor),
                ("one request with its items", f"/v1/file-requests/{seed}", admin),
            ):
                p50, count_statements = await timed(path, actor)
                print(f"{label:40s} p50 {p50:7.1f} ms  {count_statements} statements")

            due = dt.date.today() + dt.timedelta(days=2)
            with travel_to(dt.datetime.combine(due, dt.time(12), tzinfo=dt.UTC)):
                t = time.perf_counter()
                sent = await send_due_reminders(app.state.runtime.sessionmaker)
                print(
                    f"reminder round over {args.requests + 1} due schedules: {sent} e-mail "
                    f"in {time.perf_counter() - t:.1f} s"
                )
        await app.state.runtime.engine.dispose()
    finally:
        await _admin(args.admin_url, f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)')


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--items", type=int, default=10)
    parser.add_argument("--admin-url", default=DEFAULT_ADMIN_URL)
    asyncio.run(main(parser.parse_args()))
