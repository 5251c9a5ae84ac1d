"""Daily digests (issue 15, item 4), through a real SMTP server: one e-mail for a day's
events at the firm's hour in its time zone, none when nothing happened, in-app at once,
and each digest sent once by two workers racing on PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest

from practice_api.core.time import travel_to, zone
from practice_api.db import make_engine, make_sessionmaker
from practice_api.events.digests import build_due_digests, due_moment
from practice_api.events.dispatcher import Dispatcher
from tests.event_helpers import SmtpServer, deliveries
from tests.factories import create_entity, owner_for
from tests.helpers import Actor, Api

pytest_plugins = ["tests.event_fixtures"]

BERLIN = "Europe/Berlin"


def next_digest(hours_ahead: int = 3) -> tuple[int, dt.datetime]:
    """A digest hour a few hours from now and its next moment (tokens live in real time, so
    the story happens now and the clock only moves forward)."""
    now = dt.datetime.now(dt.UTC)
    hour = (now.astimezone(zone(BERLIN)).hour + hours_ahead) % 24
    moment, _ = due_moment(now, BERLIN, hour)
    return hour, moment + dt.timedelta(days=1)


@pytest.fixture
def settings_overrides(smtp_server: SmtpServer) -> dict[str, Any]:
    return {"smtp_url": smtp_server.url, "app_link_url": "https://app.example.com"}


async def digest_firm(api: Api, hour: int) -> Actor:
    admin = await api.sign_up_firm("Acme Audit")
    changed = await api.client.patch(
        "/v1/firm", json={"time_zone": BERLIN, "digest_hour": hour}, headers=admin.headers
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["digest_hour"] == hour
    return admin


async def choose_digest(api: Api, user: Actor, event_type: str = "entity.updated") -> None:
    chosen = await api.client.put(
        "/v1/notification-preferences",
        json={
            "preferences": [
                {
                    "event_type": event_type,
                    "channel": "email",
                    "enabled": True,
                    "frequency": "daily_digest",
                }
            ]
        },
        headers=user.headers,
    )
    assert chosen.status_code == 200, chosen.text
    [email] = [
        p
        for p in chosen.json()["items"]
        if p["event_type"] == event_type and p["channel"] == "email"
    ]
    assert email["frequency"] == "daily_digest" and email["enabled"] is True


async def owned_entities(api: Api, admin: Actor, user: Actor, names: list[str]) -> list[str]:
    owner = await owner_for(api, admin, user)
    return [(await create_entity(api, admin, name=n, owner_id=owner["id"]))["id"] for n in names]


async def rename(api: Api, admin: Actor, entity_id: str, name: str) -> None:
    response = await api.client.patch(
        f"/v1/entities/{entity_id}", json={"name": name}, headers=admin.headers
    )
    assert response.status_code == 200, response.text


def test_the_digest_moment_is_the_firms_hour_in_its_time_zone() -> None:
    now = dt.datetime(2026, 3, 10, 6, 59, tzinfo=dt.UTC)  # 07:59 in Berlin
    moment, day = due_moment(now, BERLIN, 8)
    assert (moment, day) == (dt.datetime(2026, 3, 9, 7, 0, tzinfo=dt.UTC), dt.date(2026, 3, 9))
    moment, day = due_moment(now + dt.timedelta(minutes=1), BERLIN, 8)
    assert (moment, day) == (dt.datetime(2026, 3, 10, 7, 0, tzinfo=dt.UTC), dt.date(2026, 3, 10))
    # Summer time: 08:00 in Berlin is 06:00 UTC.
    moment, _ = due_moment(dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.UTC), BERLIN, 8)
    assert moment == dt.datetime(2026, 7, 1, 6, 0, tzinfo=dt.UTC)


async def test_a_digest_user_gets_one_email_for_three_events_and_none_the_next_day(
    api: Api, app: Any, dispatcher: Dispatcher, smtp_server: SmtpServer
) -> None:
    sessionmaker = app.state.runtime.sessionmaker
    hour, moment = next_digest()
    admin = await digest_firm(api, hour)
    sam = await api.add_staff(admin, name="Sam Staff")
    ids = await owned_entities(api, admin, sam, ["Bergmann GmbH", "Nordic Timber AS"])
    await choose_digest(api, sam)
    await dispatcher.drain()
    smtp_server.messages.clear()

    await rename(api, admin, ids[0], "Bergmann & Söhne GmbH")
    await rename(api, admin, ids[1], "Nordic Timber ASA")
    await rename(api, admin, ids[0], "Bergmann Holding")
    await dispatcher.drain()
    assert smtp_server.messages == []  # held for the digest
    # In-app stays immediate.
    inbox = (await api.client.get("/v1/notifications", headers=sam.headers)).json()
    assert [n["type"] for n in inbox["items"]].count("entity.updated") == 3
    assert len(await deliveries(app, channel="email", status="held")) == 3

    with travel_to(moment - dt.timedelta(minutes=1)):  # before the firm's hour: nothing yet
        assert await build_due_digests(sessionmaker) == 0
        await dispatcher.drain()
        assert smtp_server.messages == []

    with travel_to(moment + dt.timedelta(minutes=5)):
        assert await build_due_digests(sessionmaker) == 1
        assert await build_due_digests(sessionmaker) == 0  # once a day
        await dispatcher.drain()
    [mail] = smtp_server.messages
    assert mail.rcpt_tos == [sam.email]
    message = mail.message
    assert message["Subject"] == (
        "[Acme Audit] Your daily digest: 3 updates on Bergmann Holding, Nordic Timber ASA"
    )
    assert message["From"].startswith("Acme Audit <")
    text = message.get_body(("plain",)).get_content()
    lines = [line.partition(" (")[0] for line in text.splitlines() if line.startswith("- ")]
    assert lines == [
        "- Bergmann Holding: Alice Admin updated the client",
        "- Nordic Timber ASA: Alice Admin updated the client",
        "- Bergmann Holding: Alice Admin updated the client",
    ]
    assert f"https://app.example.com/clients/{ids[0]}" in text
    assert message["List-Unsubscribe"] == "<https://app.example.com/settings/notifications>"
    assert {d.status for d in await deliveries(app, channel="email")} >= {"digested"}
    [digest] = await deliveries(app, channel="digest")
    assert digest.status == "delivered"
    assert digest.digest_date == moment.astimezone(zone(BERLIN)).date()

    smtp_server.messages.clear()
    with travel_to(moment + dt.timedelta(days=1, minutes=5)):  # nothing happened since
        assert await build_due_digests(sessionmaker) == 0
        await dispatcher.drain()
    assert smtp_server.messages == []


@pytest.mark.committed  # two workers' transactions really race
async def test_two_workers_send_each_digest_once(
    api: Api, app: Any, backend: str, settings: Any, smtp_server: SmtpServer
) -> None:
    if backend != "postgresql":
        pytest.skip("the race needs concurrent writers (PostgreSQL)")
    hour, moment = next_digest()
    admin = await digest_firm(api, hour)
    users = [await api.add_staff(admin, name=f"User {i}") for i in range(8)]
    for i, user in enumerate(users):
        [entity_id] = await owned_entities(api, admin, user, [f"Client {i}"])
        await choose_digest(api, user)
        await rename(api, admin, entity_id, f"Client {i} renamed")
        await rename(api, admin, entity_id, f"Client {i} renamed again")

    engines = [make_engine(settings.resolved_database_url) for _ in range(2)]
    makers = [make_sessionmaker(engine) for engine in engines]
    workers = [Dispatcher(maker, settings, name=f"worker-{i}") for i, maker in enumerate(makers)]
    try:
        with travel_to(moment + dt.timedelta(minutes=1)):
            built = await asyncio.gather(*(build_due_digests(m) for m in makers))
            assert sum(built) == 8
            await asyncio.gather(*(w.drain() for w in workers))
            again = await asyncio.gather(*(build_due_digests(m) for m in makers))
            assert again == [0, 0]
            await asyncio.gather(*(w.drain() for w in workers))
    finally:
        for worker in workers:
            await worker.aclose()
        for engine in engines:
            await engine.dispose()
    digests = [m for m in smtp_server.messages if "daily digest" in m.message["Subject"]]
    assert sorted(m.rcpt_tos[0] for m in digests) == sorted(u.email for u in users)
    assert all("2 updates" in m.message["Subject"] for m in digests)


async def test_contacts_choose_a_digest_too_and_it_links_into_the_portal(
    api: Api, app: Any, dispatcher: Dispatcher, smtp_server: SmtpServer
) -> None:
    from tests.contact_helpers import create_discussion, create_group, portal_contact

    hour, moment = next_digest()
    admin = await digest_firm(api, hour)
    entity = await create_entity(api, admin, name="Nordic Timber AS")
    contact, client = await portal_contact(api, app, admin, entity["id"])
    await choose_digest(api, client, "discussion.created")
    group = await create_group(api, admin, entity["id"], [contact["id"]])
    for subject in ("Year end", "Payroll"):
        await create_discussion(api, admin, entity["id"], [group["id"]], subject)
    await dispatcher.drain()
    assert [m for m in smtp_server.messages if m.rcpt_tos == [contact["email"]]] == []

    with travel_to(moment + dt.timedelta(minutes=1)):
        assert await build_due_digests(app.state.runtime.sessionmaker) == 1
        await dispatcher.drain()
    [mail] = [m for m in smtp_server.messages if m.rcpt_tos == [contact["email"]]]
    assert mail.message["Subject"] == (
        "[Acme Audit] Your daily digest: 2 updates on Nordic Timber AS"
    )
    text = mail.message.get_body(("plain",)).get_content()
    assert '- Nordic Timber AS: Alice Admin started the discussion "Year end"' in text
    assert "http://127.0.0.1:8000/portal/clients/" in text
    assert "https://app.example.com" not in text
    assert mail.message["List-Unsubscribe"] == (
        "<http://127.0.0.1:8000/portal/settings/notifications>"
    )
