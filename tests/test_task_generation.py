"""Recurring generation: one task per entity, type and period, on the firm's calendar, with
two workers racing and after a crash mid-run (issue 17)."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from practice_api.core.time import travel_to
from practice_api.db import make_engine, make_sessionmaker
from practice_api.events.models import Event
from practice_api.settings import Settings
from practice_api.tasks import generation
from practice_api.tasks.models import Task, TaskInput, TaskOutput
from practice_api.tasks.periods import output_due, parse_period, period_of, recurrence_due
from tests.factories import create_entity
from tests.helpers import Actor, Api, problem
from tests.task_helpers import create_type, set_firm, subscribe

UTC = dt.UTC


async def _tasks(api: Api, admin: Actor, query: str = "") -> list[dict[str, Any]]:
    response = await api.client.get(f"/v1/tasks?limit=200&{query}", headers=admin.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def _run(api: Api, admin: Actor) -> int:
    response = await api.client.post("/v1/task-generation-runs", headers=admin.headers)
    assert response.status_code == 200, response.text
    return int(response.json()["created"])


def test_period_rules_clamp_month_ends() -> None:
    january = parse_period("2026-01")
    assert january is not None and january.end == dt.date(2026, 1, 31)
    assert recurrence_due({"day": 31, "months_after": 1}, january) == dt.date(2026, 2, 28)
    leap = parse_period("2028-01")
    assert leap is not None
    assert recurrence_due({"day": 30, "months_after": 1}, leap) == dt.date(2028, 2, 29)
    q4 = parse_period("2026-Q4")
    assert q4 is not None and (q4.start, q4.end) == (dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    assert recurrence_due({"day": 15, "months_after": 1}, q4) == dt.date(2027, 1, 15)
    year = period_of(dt.date(2026, 6, 1), "yearly")
    assert year.key == "2026" and year.next().key == "2027"
    rule = {"kind": "day_of_month_after_period", "day": 20, "months_after": 1}
    assert output_due(rule, january, None) == dt.date(2026, 2, 20)
    after = {"kind": "days_after_task_due", "days": 5}
    assert output_due(after, january, dt.date(2026, 2, 26)) == dt.date(2026, 3, 3)
    assert parse_period("2026-13") is None and parse_period("26-01") is None


async def test_monthly_type_generates_each_period_once_ahead_of_time(api: Api, app: Any) -> None:
    admin = await api.sign_up_firm()
    await set_firm(api, admin, task_days_ahead=7)
    task_type = await create_type(api, admin)
    entities = [await create_entity(api, admin) for _ in range(3)]
    with travel_to(dt.datetime(2026, 1, 10, 9, tzinfo=UTC)):
        for entity in entities:
            await subscribe(api, admin, entity["id"], task_type["id"])
        assert await _run(api, admin) == 3
        assert await _run(api, admin) == 0
    tasks = await _tasks(api, admin)
    assert {(t["period"], t["due_date"], t["origin"]) for t in tasks} == {
        ("2026-01", "2026-02-28", "recurrence")
    }
    first = tasks[0]
    assert len(first["inputs"]) == 2 and len(first["outputs"]) == 2
    assert {o["due_date"] for o in first["outputs"]} == {"2026-02-20", "2026-03-05"}
    assert first["title"] == "Monthly close 2026-01" and first["stage"] == "To do"

    # seven days before February starts, February's tasks appear
    with travel_to(dt.datetime(2026, 1, 24, 23, tzinfo=UTC)):
        assert await _run(api, admin) == 0
    with travel_to(dt.datetime(2026, 1, 25, 0, 30, tzinfo=UTC)):
        assert await _run(api, admin) == 3
    february = await _tasks(api, admin, "period=2026-02")
    assert {t["due_date"] for t in february} == {"2026-03-31"}

    # archiving the type stops new tasks; unsubscribing too
    await api.client.post(f"/v1/task-types/{task_type['id']}/archive", headers=admin.headers)
    with travel_to(dt.datetime(2026, 3, 1, 12, tzinfo=UTC)):
        assert await _run(api, admin) == 0
    await api.client.post(f"/v1/task-types/{task_type['id']}/unarchive", headers=admin.headers)
    removed = await api.client.delete(
        f"/v1/entities/{entities[0]['id']}/task-subscriptions/{task_type['id']}",
        headers=admin.headers,
    )
    assert removed.status_code == 204
    with travel_to(dt.datetime(2026, 3, 1, 12, tzinfo=UTC)):
        assert await _run(api, admin) == 2  # March, for the two entities still subscribed
    assert len(await _tasks(api, admin, "period=2026-03")) == 2
    assert len(await _tasks(api, admin)) == 3 + 3 + 2


async def test_periods_follow_the_firm_time_zone_across_a_dst_change(api: Api, app: Any) -> None:
    admin = await api.sign_up_firm()
    await set_firm(api, admin, task_days_ahead=0)
    task_type = await create_type(api, admin)
    entity = await create_entity(api, admin)
    await subscribe(api, admin, entity["id"], task_type["id"], starts_on="2026-03-01")
    # 22:30 UTC on March 31: still March in UTC, already April 1 in Paris (CEST since the
    # change to summer time on March 29)
    moment = dt.datetime(2026, 3, 31, 22, 30, tzinfo=UTC)
    with travel_to(moment):
        assert await _run(api, admin) == 1
        assert [t["period"] for t in await _tasks(api, admin)] == ["2026-03"]
        await set_firm(api, admin, time_zone="Europe/Paris")
        assert await _run(api, admin) == 1
    april = await _tasks(api, admin, "period=2026-04")
    assert len(april) == 1
    assert april[0]["due_date"] == "2026-05-31"
    assert {o["due_date"] for o in april[0]["outputs"]} == {"2026-05-20", "2026-06-05"}
    # New York in November (back to standard time on November 1): 03:30 UTC on Dec 1 is
    # still November 30 there
    await set_firm(api, admin, time_zone="America/New_York")
    with travel_to(dt.datetime(2026, 12, 1, 3, 30, tzinfo=UTC)):
        await _run(api, admin)
        assert await _tasks(api, admin, "period=2026-12") == []
    with travel_to(dt.datetime(2026, 12, 1, 5, 30, tzinfo=UTC)):
        await _run(api, admin)
        assert len(await _tasks(api, admin, "period=2026-12")) == 1


async def _counts(app: Any) -> tuple[int, int, int, int]:
    async with app.state.runtime.sessionmaker() as session:
        tasks = await session.scalar(select(func.count()).select_from(Task))
        inputs = await session.scalar(select(func.count()).select_from(TaskInput))
        outputs = await session.scalar(select(func.count()).select_from(TaskOutput))
        created = await session.scalar(
            select(func.count()).select_from(Event).where(Event.type == "task.created")
        )
        return int(tasks or 0), int(inputs or 0), int(outputs or 0), int(created or 0)


@pytest.mark.committed  # two workers' transactions really race
@pytest.mark.committed  # the two workers use their own connections: the rows must be real
async def test_two_workers_racing_make_one_task_per_entity_and_period(
    api: Api, app: Any, settings: Settings
) -> None:
    admin = await api.sign_up_firm()
    await set_firm(api, admin, task_days_ahead=0)
    task_type = await create_type(api, admin)
    entities = [await create_entity(api, admin) for _ in range(12)]
    for entity in entities:
        await subscribe(api, admin, entity["id"], task_type["id"], starts_on="2026-01-01")
    engines = [make_engine(settings.resolved_database_url) for _ in range(2)]
    try:
        makers = [make_sessionmaker(engine) for engine in engines]
        with travel_to(dt.datetime(2026, 2, 15, 12, tzinfo=UTC)):
            made = await asyncio.gather(*(generation.generate_tasks(m) for m in makers))
    finally:
        for engine in engines:
            await engine.dispose()
    assert sum(made) == 12 * 2  # January and February, each made by exactly one worker
    assert await _counts(app) == (24, 48, 48, 24)
    tasks = await _tasks(api, admin)
    assert len({(t["entity_id"], t["period"]) for t in tasks}) == 24


async def test_a_crash_mid_run_leaves_whole_tasks_and_the_next_run_finishes(
    api: Api, app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = await api.sign_up_firm()
    await set_firm(api, admin, task_days_ahead=0)
    task_type = await create_type(api, admin)
    for _ in range(5):
        entity = await create_entity(api, admin)
        await subscribe(api, admin, entity["id"], task_type["id"], starts_on="2026-01-01")
    made: list[uuid.UUID] = []

    async def crash_after_two(entity_id: uuid.UUID) -> None:
        made.append(entity_id)
        if len(made) == 2:
            raise RuntimeError("worker killed")

    monkeypatch.setattr(generation, "after_task_hook", crash_after_two)
    with travel_to(dt.datetime(2026, 1, 5, tzinfo=UTC)):
        with pytest.raises(RuntimeError):
            await generation.generate_tasks(app.state.runtime.sessionmaker)
        assert await _counts(app) == (2, 4, 4, 2)
        monkeypatch.setattr(generation, "after_task_hook", None)
        assert await generation.generate_tasks(app.state.runtime.sessionmaker) == 3
        assert await generation.generate_tasks(app.state.runtime.sessionmaker) == 0
    assert await _counts(app) == (5, 10, 10, 5)


async def test_subscriptions_need_a_recurring_type_and_are_listed(api: Api) -> None:
    admin = await api.sign_up_firm()
    entity = await create_entity(api, admin)
    one_off = await create_type(api, admin, name="One-off", recurrence=None)
    problem(
        await api.client.put(
            f"/v1/entities/{entity['id']}/task-subscriptions/{one_off['id']}",
            json={},
            headers=admin.headers,
        ),
        409,
        "task_type_not_recurring",
    )
    monthly = await create_type(api, admin)
    first = await api.client.put(
        f"/v1/entities/{entity['id']}/task-subscriptions/{monthly['id']}",
        json={"starts_on": "2026-01-01"},
        headers=admin.headers,
    )
    assert first.status_code == 201
    again = await api.client.put(
        f"/v1/entities/{entity['id']}/task-subscriptions/{monthly['id']}",
        json={"starts_on": "2026-02-01"},
        headers=admin.headers,
    )
    assert again.status_code == 200 and again.json()["starts_on"] == "2026-02-01"
    listed = await api.client.get(
        f"/v1/entities/{entity['id']}/task-subscriptions", headers=admin.headers
    )
    assert [s["task_type_id"] for s in listed.json()["items"]] == [monthly["id"]]
