"""Reminders with a controlled clock: slots relative to the due date in the firm's zone, a
daily digest per recipient, stop rules, two racing workers, and POST .../remind."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest

from practice_api.core.time import local_today, travel_to, utcnow
from practice_api.db import make_engine, make_sessionmaker
from practice_api.events.dispatcher import Dispatcher
from practice_api.reminders.service import send_due_reminders
from tests.event_helpers import SmtpServer
from tests.file_request_helpers import create_request, firm_with_contacts, upload
from tests.helpers import Api, problem

pytest_plugins = ["tests.event_fixtures"]

ZONE = "Pacific/Auckland"  # far from UTC: the local day is not the UTC day


@pytest.fixture
def settings_overrides(smtp_server: SmtpServer) -> dict[str, Any]:
    return {"smtp_url": smtp_server.url}


def at_local(day: dt.date, hour: int = 9) -> dt.datetime:
    from practice_api.core.time import zone

    return dt.datetime.combine(day, dt.time(hour), tzinfo=zone(ZONE)).astimezone(dt.UTC)


async def _firm(api: Api, app: Any) -> Any:
    f = await firm_with_contacts(api, app)
    changed = await api.client.patch("/v1/firm", json={"time_zone": ZONE}, headers=f.admin.headers)
    assert changed.status_code == 200
    return f


async def _send(app: Any, dispatcher: Dispatcher, batch: int = 200) -> int:
    sent = await send_due_reminders(app.state.runtime.sessionmaker, batch=batch)
    await dispatcher.drain()
    return sent


def _reminders(smtp_server: SmtpServer, email: str) -> list[Any]:
    return [
        m.message
        for m in smtp_server.messages
        if m.rcpt_tos == [email] and "Reminder" in m.message["Subject"]
    ]


async def test_sent_at_minus_three_days_once_then_none_after_submission(
    api: Api, app: Any, dispatcher: Dispatcher, smtp_server: SmtpServer
) -> None:
    f = await _firm(api, app)
    today = local_today(ZONE)
    due = today + dt.timedelta(days=10)
    made = (await create_request(api, f, due_date=due.isoformat())).json()
    await dispatcher.drain()
    smtp_server.messages.clear()

    with travel_to(at_local(due - dt.timedelta(days=4))):
        assert await _send(app, dispatcher) == 0
    with travel_to(at_local(due - dt.timedelta(days=3))):
        assert await _send(app, dispatcher) == 1
        assert await _send(app, dispatcher) == 0  # the slot is taken
    [message] = _reminders(smtp_server, f.contact["email"])
    body = message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    assert "Year-end 2026 (due " + due.isoformat() + ")" in body
    assert "  - Bank statements" in body

    detail = (
        await api.client.get(f"/v1/file-requests/{made['id']}", headers=f.admin.headers)
    ).json()
    assert detail["reminders"]["last_sent_on"] == (due - dt.timedelta(days=3)).isoformat()
    assert detail["reminders"]["next_on"] == (due - dt.timedelta(days=1)).isoformat()

    await upload(api, f.contact_actor, made["id"], made["items"][0]["id"])
    smtp_server.messages.clear()
    for offset in (-1, 0, 3, 7):
        with travel_to(at_local(due + dt.timedelta(days=offset))):
            assert await _send(app, dispatcher) == 0
    assert _reminders(smtp_server, f.contact["email"]) == []


async def test_one_digest_for_two_requests_and_every_n_days_without_due_date(
    api: Api, app: Any, dispatcher: Dispatcher, smtp_server: SmtpServer
) -> None:
    f = await _firm(api, app)
    today = local_today(ZONE)
    due = today + dt.timedelta(days=5)
    await create_request(api, f, subject="Year end", due_date=due.isoformat())
    await create_request(
        api, f, subject="Payroll", due_date=due.isoformat(), items=[{"title": "Slips"}]
    )
    no_due = (
        await create_request(
            api, f, subject="Open-ended", reminders={"every_days": 2}, items=[{"title": "ID"}]
        )
    ).json()
    await dispatcher.drain()
    smtp_server.messages.clear()

    with travel_to(at_local(today + dt.timedelta(days=2))):  # -3d of both, +2d of the third
        assert await _send(app, dispatcher, batch=1) == 1  # batches of one schedule each
        assert await _send(app, dispatcher) == 0  # every slot of the day is taken
    [digest] = _reminders(smtp_server, f.contact["email"])
    body = digest.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    assert "3 item(s) still wait for you" in body
    for text in ("Year end", "Payroll", "Open-ended", "  - Slips", "  - ID"):
        assert text in body
    detail = (
        await api.client.get(f"/v1/file-requests/{no_due['id']}", headers=f.admin.headers)
    ).json()
    assert detail["reminders"]["every_days"] == 2


@pytest.mark.committed  # two workers' transactions really race
async def test_two_workers_racing_send_a_slot_once(
    api: Api, app: Any, dispatcher: Dispatcher, smtp_server: SmtpServer, database_url: str
) -> None:
    f = await _firm(api, app)
    today = local_today(ZONE)
    for n in range(3):
        await create_request(
            api, f, subject=f"Request {n}", due_date=(today + dt.timedelta(days=5)).isoformat()
        )
    await dispatcher.drain()
    smtp_server.messages.clear()
    engines = [make_engine(database_url) for _ in range(2)]
    try:
        with travel_to(at_local(today + dt.timedelta(days=2), hour=23)):
            results = await asyncio.gather(
                *(send_due_reminders(make_sessionmaker(engine)) for engine in engines)
            )
            await dispatcher.drain()
    finally:
        for engine in engines:
            await engine.dispose()
    assert sorted(results) == [0, 1]
    assert len(_reminders(smtp_server, f.contact["email"])) == 1


async def test_remind_now_at_most_once_an_hour(
    api: Api, app: Any, dispatcher: Dispatcher, smtp_server: SmtpServer
) -> None:
    f = await _firm(api, app)
    made = (await create_request(api, f)).json()
    await dispatcher.drain()
    smtp_server.messages.clear()
    path = f"/v1/file-requests/{made['id']}/remind"
    first = await api.client.post(path, headers=f.admin.headers)
    assert first.status_code == 202 and first.json() == {"sent": 1}
    again = await api.client.post(path, headers=f.admin.headers)
    problem(again, 429)
    assert 3500 <= int(again.headers["Retry-After"]) <= 3600
    await dispatcher.drain()
    assert len(_reminders(smtp_server, f.contact["email"])) == 1
    problem(await api.client.post(path, headers=f.viewer.headers), 403)
    with travel_to(utcnow() + dt.timedelta(minutes=61)):
        admin = await api.sign_in(f.admin.email)
        later = await api.client.post(path, headers=admin.headers)
        assert later.status_code == 202, later.text


async def test_firm_default_schedule_and_cancel_stop_reminders(
    api: Api, app: Any, dispatcher: Dispatcher, smtp_server: SmtpServer
) -> None:
    f = await _firm(api, app)
    defaults = await api.client.get("/v1/reminder-settings", headers=f.viewer.headers)
    assert defaults.json() == {"enabled": True, "offsets": [-3, -1, 0, 3, 7], "every_days": 7}
    problem(
        await api.client.put(
            "/v1/reminder-settings",
            json={"offsets": [-5], "every_days": 3},
            headers=f.viewer.headers,
        ),
        403,
        "admin_required",
    )
    changed = await api.client.put(
        "/v1/reminder-settings", json={"offsets": [-5, 0], "every_days": 3}, headers=f.admin.headers
    )
    assert changed.status_code == 200, changed.text
    today = local_today(ZONE)
    due = today + dt.timedelta(days=10)
    made = (await create_request(api, f, due_date=due.isoformat())).json()
    detail = (
        await api.client.get(f"/v1/file-requests/{made['id']}", headers=f.admin.headers)
    ).json()
    assert detail["reminders"]["next_on"] == (due - dt.timedelta(days=5)).isoformat()
    await dispatcher.drain()
    smtp_server.messages.clear()
    with travel_to(at_local(due - dt.timedelta(days=6))):
        assert await _send(app, dispatcher) == 0
    with travel_to(at_local(due - dt.timedelta(days=5))):
        assert await _send(app, dispatcher) == 1
    with travel_to(at_local(due - dt.timedelta(days=3))):  # the old -3d slot: not any more
        assert await _send(app, dispatcher) == 0

    cancelled = await api.client.post(
        f"/v1/file-requests/{made['id']}/cancel",
        json={"reason": "Sent by post"},
        headers=f.admin.headers,
    )
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["reminders"]["active"] is False
    with travel_to(at_local(due)):
        assert await _send(app, dispatcher) == 0
    reopened = await api.client.post(
        f"/v1/file-requests/{made['id']}/reopen", headers=f.admin.headers
    )
    assert reopened.status_code == 200 and reopened.json()["status"] == "open"
    assert reopened.json()["reminders"]["next_on"] == due.isoformat()
    with travel_to(at_local(due)):
        assert await _send(app, dispatcher) == 1
    assert len(_reminders(smtp_server, f.contact["email"])) == 2
