"""Contacts, their access, groups and discussions from the staff side; portal isolation."""

from __future__ import annotations

from typing import Any

from practice_api.events.dispatcher import Dispatcher
from tests.contact_helpers import (
    create_contact,
    create_discussion,
    create_group,
    grant,
    portal_contact,
)
from tests.factories import create_entity, events
from tests.helpers import Api, problem

pytest_plugins = ["tests.event_fixtures"]


async def test_contact_crud_with_etags_and_filters(api: Api, app: Any) -> None:
    admin = await api.sign_up_firm()
    entity = await create_entity(api, admin)
    contact = await create_contact(api, admin, name="Bo", email="bo@client.example.com")
    await create_contact(api, admin, name="Al", email="al@client.example.com")
    await grant(api, admin, entity["id"], contact["id"])

    listed = await api.client.get(
        "/v1/contacts", params={"entity_id": entity["id"]}, headers=admin.headers
    )
    assert [c["name"] for c in listed.json()["items"]] == ["Bo"]
    found = await api.client.get("/v1/contacts", params={"q": "AL@"}, headers=admin.headers)
    assert [c["name"] for c in found.json()["items"]] == ["Al"]

    got = await api.client.get(f"/v1/contacts/{contact['id']}", headers=admin.headers)
    etag = got.headers["ETag"]
    cached = await api.client.get(
        f"/v1/contacts/{contact['id']}", headers={**admin.headers, "If-None-Match": etag}
    )
    assert cached.status_code == 304
    changed = await api.client.patch(
        f"/v1/contacts/{contact['id']}",
        json={"notes": "prefers phone"},
        headers={**admin.headers, "If-Match": etag},
    )
    assert changed.status_code == 200 and changed.json()["notes"] == "prefers phone"
    stale = await api.client.patch(
        f"/v1/contacts/{contact['id']}",
        json={"notes": "x"},
        headers={**admin.headers, "If-Match": etag},
    )
    problem(stale, 412, "stale_etag")
    clash = await api.client.patch(
        f"/v1/contacts/{contact['id']}",
        json={"email": "AL@client.example.com"},
        headers=admin.headers,
    )
    problem(clash, 409, "contact_email_taken")

    grants = await api.client.get(f"/v1/entities/{entity['id']}/contacts", headers=admin.headers)
    [row] = grants.json()["items"]
    assert row["contact_id"] == contact["id"] and row["role"] == "viewer"
    again = await api.client.put(
        f"/v1/entities/{entity['id']}/contacts/{contact['id']}",
        json={"role": "contributor"},
        headers=admin.headers,
    )
    assert again.status_code == 200 and again.json()["role"] == "contributor"
    assert [e.type for e in await events(app, "entity_contact.updated")] == [
        "entity_contact.updated"
    ]

    deleted = await api.client.delete(f"/v1/contacts/{contact['id']}", headers=admin.headers)
    assert deleted.status_code == 204
    gone = await api.client.get(f"/v1/entities/{entity['id']}/contacts", headers=admin.headers)
    assert gone.json()["items"] == []


async def test_contacts_see_only_discussions_of_their_groups_and_entities(
    api: Api, app: Any, dispatcher: Dispatcher
) -> None:
    admin = await api.sign_up_firm()
    a = await create_entity(api, admin, name="A")
    b = await create_entity(api, admin, name="B")
    carla_row, carla = await portal_contact(api, app, admin, a["id"])
    dan_row, dan = await portal_contact(api, app, admin, a["id"])
    eve_row, eve = await portal_contact(api, app, admin, b["id"])
    group_a = await create_group(api, admin, a["id"], [carla_row["id"]])
    group_b = await create_group(api, admin, b["id"], [eve_row["id"]])
    on_a = await create_discussion(api, admin, a["id"], [group_a["id"]])
    on_b = await create_discussion(api, admin, b["id"], [group_b["id"]])

    # Carla's group: she sees it, with her group's members (her own e-mail only).
    seen = await api.client.get(f"/v1/portal/discussions/{on_a['id']}", headers=carla.headers)
    assert seen.status_code == 200
    [group] = seen.json()["groups"]
    assert group["members"] == [{"name": carla_row["name"], "email": carla_row["email"]}]
    # Dan has access to A but is in no group: not found. Eve (entity B) neither.
    problem(await api.client.get(f"/v1/portal/discussions/{on_a['id']}", headers=dan.headers), 404)
    problem(await api.client.get(f"/v1/portal/discussions/{on_a['id']}", headers=eve.headers), 404)
    problem(
        await api.client.get(f"/v1/portal/discussions/{on_b['id']}", headers=carla.headers), 404
    )
    problem(
        await api.client.post(
            f"/v1/portal/discussions/{on_b['id']}/comments",
            json={"body": "sneaky"},
            headers=carla.headers,
        ),
        404,
    )
    problem(await api.client.get(f"/v1/portal/entities/{b['id']}", headers=carla.headers), 404)

    # A staff comment notifies the contacts of the discussion's groups.
    await dispatcher.drain()
    staff_comment = await api.client.post(
        f"/v1/entities/{a['id']}/discussions/{on_a['id']}/comments",
        json={"body": "Draft attached soon."},
        headers=admin.headers,
    )
    assert staff_comment.status_code == 201
    await dispatcher.drain()
    carla_types = [
        n["type"]
        for n in (await api.client.get("/v1/notifications", headers=carla.headers)).json()["items"]
    ]
    assert carla_types.count("discussion.comment_created") == 1
    dan_types = [
        n["type"]
        for n in (await api.client.get("/v1/notifications", headers=dan.headers)).json()["items"]
    ]
    assert "discussion.comment_created" not in dan_types

    # Removing Carla's access takes her out of the entity's groups.
    await api.client.delete(
        f"/v1/entities/{a['id']}/contacts/{carla_row['id']}", headers=admin.headers
    )
    read = await api.client.get(
        f"/v1/entities/{a['id']}/contact-groups/{group_a['id']}", headers=admin.headers
    )
    assert read.json()["members"] == []
    assert dan_row["id"] != eve_row["id"]


async def test_discussions_keep_an_entity_from_being_deleted(api: Api, app: Any) -> None:
    admin = await api.sign_up_firm()
    entity = await create_entity(api, admin)
    await create_discussion(api, admin, entity["id"], [])
    response = await api.client.delete(f"/v1/entities/{entity['id']}", headers=admin.headers)
    assert response.status_code == 200 and response.json()["status"] == "archived"
