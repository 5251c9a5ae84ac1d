"""Bulk actions send one summary per recipient (issue 15, item 3), through a real SMTP server:
a transfer tells the old owner what left them and the new owner what came to them; bulk
shares tell each user once; quiet imports tell nobody."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from practice_api.events import bulk
from practice_api.events.dispatcher import Dispatcher
from practice_api.events.service import Actor as EventActor
from practice_api.events.service import record_event
from tests.event_helpers import SmtpServer, deliveries
from tests.factories import create_entity, events, insert_entities, owner_for
from tests.helpers import Api

pytest_plugins = ["tests.event_fixtures"]


@pytest.fixture
def settings_overrides(smtp_server: SmtpServer) -> dict[str, Any]:
    return {"smtp_url": smtp_server.url, "app_link_url": "https://app.example.com"}


def text_of(message: Any) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


async def test_a_50_client_transfer_sends_one_email_to_each_owner(
    api: Api, app: Any, dispatcher: Dispatcher, smtp_server: SmtpServer
) -> None:
    admin = await api.sign_up_firm("Acme Audit")
    olga = await api.add_staff(admin, name="Olga Old")
    nick = await api.add_staff(admin, name="Nick New")
    source, target = await owner_for(api, admin, olga), await owner_for(api, admin, nick)
    ids = await insert_entities(app, admin.firm_id, 50, owner_id=source["id"], prefix="Client")
    await dispatcher.drain()
    smtp_server.messages.clear()

    moved = await api.client.post(
        f"/v1/owners/{source['id']}/transfer",
        json={"to_owner_id": target["id"]},
        headers=admin.headers,
    )
    assert moved.status_code == 200 and moved.json()["moved"] == 50
    await dispatcher.drain()

    by_recipient = {tuple(m.rcpt_tos): m.message for m in smtp_server.messages}
    assert len(smtp_server.messages) == 2
    old = by_recipient[(olga.email,)]
    new = by_recipient[(nick.email,)]
    assert old["Subject"] == (
        "[Acme Audit] Alice Admin moved 50 clients away from you to Nick New: "
        "Client 0000, Client 0001, Client 0002 and 47 more"
    )
    assert new["Subject"] == (
        "[Acme Audit] Alice Admin made you the owner of 50 clients from Olga Old: "
        "Client 0000, Client 0001, Client 0002 and 47 more"
    )
    text = text_of(new)
    assert "- Client 0019 (from Olga Old)" in text and "Client 0020" not in text
    assert "... and 30 more." in text
    assert "https://app.example.com/clients" in text

    # Each item is still in the activity log and for webhooks, one by one.
    assert len(await events(app, "entity.owner_changed")) == 50
    assert len(await events(app, "owners.transferred")) == 1
    # In-app: one summary each, too.
    for person in (olga, nick):
        inbox = (await api.client.get("/v1/notifications", headers=person.headers)).json()
        assert [n["type"] for n in inbox["items"]] == ["bulk.summary", "user.created"]
    assert len(await deliveries(app, type="entity.owner_changed", channel="email")) == 0
    assert len(ids) == 50


async def test_a_transfer_of_one_client_reads_as_the_single_change(
    api: Api, dispatcher: Dispatcher, smtp_server: SmtpServer
) -> None:
    admin = await api.sign_up_firm("Acme Audit")
    olga = await api.add_staff(admin, name="Olga Old")
    nick = await api.add_staff(admin, name="Nick New")
    source, target = await owner_for(api, admin, olga), await owner_for(api, admin, nick)
    await create_entity(api, admin, name="Nordic Timber AS", owner_id=source["id"])
    await dispatcher.drain()
    smtp_server.messages.clear()
    moved = await api.client.post(
        f"/v1/owners/{source['id']}/transfer",
        json={"to_owner_id": target["id"]},
        headers=admin.headers,
    )
    assert moved.status_code == 200
    await dispatcher.drain()
    subjects = sorted(m.message["Subject"] for m in smtp_server.messages)
    assert subjects == [
        "[Acme Audit] Nordic Timber AS: Alice Admin made you the client's owner (it was Olga Old)",
        "[Acme Audit] Nordic Timber AS: Alice Admin moved the client from you to Nick New",
    ]


async def test_bulk_shares_tell_each_user_once(
    api: Api, app: Any, dispatcher: Dispatcher, smtp_server: SmtpServer
) -> None:
    admin = await api.sign_up_firm("Acme Audit")
    users = [await api.add_staff(admin, name=f"User {i}") for i in range(2)]
    entities = [await create_entity(api, admin, name=f"Client {i}") for i in range(3)]
    await dispatcher.drain()
    smtp_server.messages.clear()

    shared = await api.client.post(
        "/v1/shares/bulk",
        json={
            "entity_ids": [e["id"] for e in entities],
            "user_ids": [u.user_id for u in users],
            "notifications": ["file_uploaded"],
        },
        headers=admin.headers,
    )
    assert shared.status_code == 200, shared.text
    assert shared.json()["created"] == 6
    await dispatcher.drain()
    assert sorted(m.rcpt_tos[0] for m in smtp_server.messages) == sorted(u.email for u in users)
    for mail in smtp_server.messages:
        assert mail.message["Subject"].startswith(
            "[Acme Audit] Alice Admin shared 3 clients with you: "
        )
    assert len(await events(app, "share.created")) == 6


async def test_quiet_imports_notify_nobody_but_keep_the_log(
    api: Api, app: Any, dispatcher: Dispatcher, smtp_server: SmtpServer
) -> None:
    admin = await api.sign_up_firm()
    sam = await api.add_staff(admin)
    owner = await owner_for(api, admin, sam)
    [entity_id] = await insert_entities(app, admin.firm_id, 1, owner_id=owner["id"])
    await dispatcher.drain()
    smtp_server.messages.clear()
    async with app.state.runtime.sessionmaker() as session:
        async with bulk.quietly(session):
            await record_event(
                session,
                type="entity.updated",
                firm_id=uuid.UUID(admin.firm_id),
                actor=EventActor("staff", uuid.UUID(admin.user_id), "Alice Admin"),
                entity_id=entity_id,
                subject=("entity", entity_id),
                payload={"name": "Imported", "changes": {"name": {"old": "a", "new": "b"}}},
            )
        await session.commit()
    await dispatcher.drain()
    assert smtp_server.messages == []
    assert len(await events(app, "entity.updated")) == 1
    assert await deliveries(app, type="entity.updated") == []


async def test_a_split_handover_tells_each_person_once(
    api: Api, app: Any, dispatcher: Dispatcher, smtp_server: SmtpServer
) -> None:
    admin = await api.sign_up_firm("Acme Audit")
    lea, bob, carol = [await api.add_staff(admin, name=n) for n in ("Lea", "Bob", "Carol")]
    source = await owner_for(api, admin, lea)
    to_bob, to_carol = await owner_for(api, admin, bob), await owner_for(api, admin, carol)
    ids = await insert_entities(app, admin.firm_id, 6, owner_id=source["id"], prefix="Client")
    await dispatcher.drain()
    smtp_server.messages.clear()
    done = await api.client.post(
        f"/v1/owners/{source['id']}/handover",
        json={
            "groups": [
                {"entity_ids": [str(i) for i in ids[:4]], "to_owner_id": to_bob["id"]},
                {"entity_ids": [str(i) for i in ids[4:]], "to_owner_id": to_carol["id"]},
            ]
        },
        headers=admin.headers,
    )
    assert done.status_code == 200, done.text
    await dispatcher.drain()
    subjects = {m.rcpt_tos[0]: m.message["Subject"] for m in smtp_server.messages}
    assert len(smtp_server.messages) == 3
    assert subjects[lea.email].startswith(
        "[Acme Audit] Alice Admin moved 6 clients away from you (to Bob, to Carol): "
    )
    assert subjects[bob.email].startswith("[Acme Audit] Alice Admin made you the owner of 4 ")
    assert subjects[carol.email].startswith("[Acme Audit] Alice Admin made you the owner of 2 ")
