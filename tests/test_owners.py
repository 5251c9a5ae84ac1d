"""The owner list, removing owners, bulk transfers, and deleting a user who is an owner."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from practice_api.core.errors import Conflict
from practice_api.owners import service as owners_service
from tests.factories import (
    create_entity,
    create_owner,
    entity_owner_ids,
    events,
    insert_entities,
    owner_for,
)
from tests.helpers import Api, problem


async def test_owner_list_entries_users_and_named_people(api: Api) -> None:
    admin = await api.sign_up_firm()
    staff = await api.create_user(admin, name="Una User")
    by_user = await create_owner(api, admin, user_id=staff["id"])
    assert (by_user["kind"], by_user["name"], by_user["user_id"]) == (
        "user",
        "Una User",
        staff["id"],
    )
    assert by_user["email"] == staff["email"]

    again = await api.client.post(
        "/v1/owners", json={"user_id": staff["id"]}, headers=admin.headers
    )
    assert problem(again, 409, "owner_exists")["owner_id"] == by_user["id"]
    # A manual entry with a user's e-mail is that user: not a second entry.
    same_mail = await api.client.post(
        "/v1/owners",
        json={"name": "Una (manual)", "email": staff["email"].upper()},
        headers=admin.headers,
    )
    problem(same_mail, 409, "owner_exists")

    other = await api.create_user(admin, name="Otto Other")
    linked = await create_owner(api, admin, name="Otto typed by hand", email=other["email"])
    assert (linked["kind"], linked["user_id"], linked["name"]) == (
        "user",
        other["id"],
        "Otto Other",
    )

    manual = await create_owner(api, admin, name="Mona Manual", email="mona@example.com")
    assert (manual["kind"], manual["user_id"]) == ("manual", None)
    renamed = await api.client.patch(
        f"/v1/owners/{manual['id']}", json={"name": "Mona M."}, headers=admin.headers
    )
    assert renamed.json()["name"] == "Mona M."
    problem(
        await api.client.patch(
            f"/v1/owners/{by_user['id']}", json={"name": "X"}, headers=admin.headers
        ),
        422,
        "owner_is_user",
    )
    problem(
        await api.client.post(
            "/v1/owners", json={"user_id": staff["id"], "name": "Both"}, headers=admin.headers
        ),
        422,
    )

    await create_entity(api, admin, owner_id=manual["id"])
    await create_entity(api, admin, owner_id=manual["id"])
    listed = (await api.client.get("/v1/owners", headers=admin.headers)).json()["items"]
    counts = {o["id"]: o["entity_count"] for o in listed}
    assert counts == {manual["id"]: 2, by_user["id"]: 0, linked["id"]: 0}
    got = await api.client.get(f"/v1/owners/{manual['id']}", headers=admin.headers)
    assert got.json()["entity_count"] == 2 and "ETag" in got.headers
    only_manual = await api.client.get("/v1/owners?kind=manual", headers=admin.headers)
    assert [o["id"] for o in only_manual.json()["items"]] == [manual["id"]]


async def test_only_admins_manage_the_owner_list(api: Api) -> None:
    admin = await api.sign_up_firm()
    staff = await api.add_staff(admin)
    owner = await create_owner(api, admin)
    assert (await api.client.get("/v1/owners", headers=staff.headers)).status_code == 200
    assert (
        await api.client.get(f"/v1/owners/{owner['id']}", headers=staff.headers)
    ).status_code == 200
    for response in (
        await api.client.post("/v1/owners", json={"name": "X"}, headers=staff.headers),
        await api.client.patch(
            f"/v1/owners/{owner['id']}", json={"name": "X"}, headers=staff.headers
        ),
        await api.client.delete(f"/v1/owners/{owner['id']}", headers=staff.headers),
        await api.client.post(
            f"/v1/owners/{owner['id']}/transfer",
            json={"to_owner_id": owner["id"]},
            headers=staff.headers,
        ),
    ):
        problem(response, 403, "admin_required")
    outsider = await api.sign_up_firm("Other Audit")
    problem(await api.client.get(f"/v1/owners/{owner['id']}", headers=outsider.headers), 404)


async def test_remove_owner_asks_where_the_entities_go(api: Api, app: Any) -> None:
    admin = await api.sign_up_firm()
    leaving = await create_owner(api, admin, name="Leaving")
    staying = await create_owner(api, admin, name="Staying")
    ids = [
        uuid.UUID((await create_entity(api, admin, owner_id=leaving["id"]))["id"]) for _ in "abc"
    ]
    url = f"/v1/owners/{leaving['id']}"

    body = problem(await api.client.delete(url, headers=admin.headers), 409, "owner_has_entities")
    assert body["entity_count"] == 3
    assert await entity_owner_ids(app, ids) == {uuid.UUID(leaving["id"])}
    assert (await api.client.get(url, headers=admin.headers)).status_code == 200

    problem(
        await api.client.delete(f"{url}?transfer_to={leaving['id']}", headers=admin.headers),
        422,
        "transfer_to_same_owner",
    )
    problem(
        await api.client.delete(
            f"{url}?transfer_to={staying['id']}&transfer=none", headers=admin.headers
        ),
        422,
    )
    await api.client.patch(
        "/v1/firm", json={"client_ownership_enabled": True}, headers=admin.headers
    )
    done = await api.client.delete(f"{url}?transfer_to={staying['id']}", headers=admin.headers)
    assert done.status_code == 204, done.text
    assert await entity_owner_ids(app, ids) == {uuid.UUID(staying["id"])}
    problem(await api.client.get(url, headers=admin.headers), 404, "owner_not_found")
    assert len(await events(app, "entity.owner_changed")) == 3
    [transferred] = await events(app, "owners.transferred")
    assert transferred.payload["count"] == 3
    assert len(await events(app, "owner.deleted")) == 1


async def test_remove_owner_leaving_entities_unowned(api: Api, app: Any) -> None:
    admin = await api.sign_up_firm()
    leaving = await create_owner(api, admin)
    entity = await create_entity(api, admin, owner_id=leaving["id"])
    empty = await create_owner(api, admin)
    assert (
        await api.client.delete(f"/v1/owners/{empty['id']}", headers=admin.headers)
    ).status_code == 204
    done = await api.client.delete(
        f"/v1/owners/{leaving['id']}?transfer=none", headers=admin.headers
    )
    assert done.status_code == 204, done.text
    got = await api.client.get(f"/v1/entities/{entity['id']}", headers=admin.headers)
    assert got.json()["owner"] is None


async def test_bulk_transfer_all_or_chosen(api: Api, app: Any) -> None:
    admin = await api.sign_up_firm()
    source = await create_owner(api, admin)
    target = await create_owner(api, admin)
    ids = [(await create_entity(api, admin, owner_id=source["id"]))["id"] for _ in range(4)]
    foreign = (await create_entity(api, admin, owner_id=target["id"]))["id"]
    url = f"/v1/owners/{source['id']}/transfer"

    refused = await api.client.post(
        url,
        json={"to_owner_id": target["id"], "entity_ids": [ids[0], foreign]},
        headers=admin.headers,
    )
    assert problem(refused, 422, "entities_not_owned")["entity_ids"] == [foreign]
    assert await entity_owner_ids(app, [uuid.UUID(i) for i in ids]) == {uuid.UUID(source["id"])}

    chosen = await api.client.post(
        url, json={"to_owner_id": target["id"], "entity_ids": ids[:2]}, headers=admin.headers
    )
    assert chosen.status_code == 200, chosen.text
    assert chosen.json() == {
        "from_owner_id": source["id"],
        "to_owner_id": target["id"],
        "moved": 2,
    }
    rest = await api.client.post(url, json={"to_owner_id": target["id"]}, headers=admin.headers)
    assert rest.json()["moved"] == 2
    assert await entity_owner_ids(app, [uuid.UUID(i) for i in ids]) == {uuid.UUID(target["id"])}
    assert len(await events(app, "entity.owner_changed")) == 4
    assert [e.payload["count"] for e in await events(app, "owners.transferred")] == [2, 2]
    source_now = await api.client.get(f"/v1/owners/{source['id']}", headers=admin.headers)
    assert source_now.json()["entity_count"] == 0


async def test_transfer_of_500_entities_is_one_transaction(
    api: Api, app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = await api.sign_up_firm()
    source = await create_owner(api, admin)
    target = await create_owner(api, admin)
    ids = await insert_entities(app, admin.firm_id, 500, owner_id=source["id"])

    real_record_event = owners_service.record_event
    seen = 0

    async def fail_midway(*args: Any, **kwargs: Any) -> Any:
        nonlocal seen
        seen += 1
        if seen == 250:
            raise Conflict("Injected failure halfway through.", code="injected")
        return await real_record_event(*args, **kwargs)

    monkeypatch.setattr(owners_service, "record_event", fail_midway)
    url = f"/v1/owners/{source['id']}/transfer"
    failed = await api.client.post(url, json={"to_owner_id": target["id"]}, headers=admin.headers)
    problem(failed, 409, "injected")
    assert await entity_owner_ids(app, ids) == {uuid.UUID(source["id"])}
    assert await events(app, "entity.owner_changed") == []

    monkeypatch.setattr(owners_service, "record_event", real_record_event)
    done = await api.client.post(url, json={"to_owner_id": target["id"]}, headers=admin.headers)
    assert done.json()["moved"] == 500
    assert await entity_owner_ids(app, ids) == {uuid.UUID(target["id"])}


async def test_deleting_a_user_who_owns_entities(api: Api, app: Any) -> None:
    admin = await api.sign_up_firm()
    leaving = await api.add_staff(admin)
    leaving_owner = await owner_for(api, admin, leaving)
    successor = await create_owner(api, admin, name="Successor")
    ids = [uuid.UUID((await create_entity(api, admin, owner_id=leaving_owner["id"]))["id"])]
    url = f"/v1/users/{leaving.user_id}"

    body = problem(await api.client.delete(url, headers=admin.headers), 409, "owner_has_entities")
    assert body["entity_count"] == 1
    assert (await api.client.get(url, headers=admin.headers)).status_code == 200
    assert (await api.client.get("/v1/me", headers=leaving.headers)).status_code == 200

    done = await api.client.delete(f"{url}?transfer_to={successor['id']}", headers=admin.headers)
    assert done.status_code == 204, done.text
    assert await entity_owner_ids(app, ids) == {uuid.UUID(successor["id"])}
    problem(await api.client.get(f"/v1/owners/{leaving_owner['id']}", headers=admin.headers), 404)
    [moved] = await events(app, "owners.transferred")
    assert moved.payload["reason"] == "user_deleted"

    # A user without entities (or without an owner entry) is deleted as before.
    plain = await api.create_user(admin)
    assert (
        await api.client.delete(f"/v1/users/{plain['id']}", headers=admin.headers)
    ).status_code == 204
    unowning = await api.add_staff(admin)
    await owner_for(api, admin, unowning)
    entity = await create_entity(api, admin, owner_id=(await owner_for(api, admin, unowning))["id"])
    done = await api.client.delete(
        f"/v1/users/{unowning.user_id}?transfer=none", headers=admin.headers
    )
    assert done.status_code == 204
    got = await api.client.get(f"/v1/entities/{entity['id']}", headers=admin.headers)
    assert got.json()["owner"] is None


async def test_transfer_none_leaves_clients_unowned_even_with_ownership_on(
    api: Api, app: Any
) -> None:
    admin = await api.sign_up_firm()
    leaving = await api.add_staff(admin)
    owner = await owner_for(api, admin, leaving)
    ids = [
        (await create_entity(api, admin, owner_id=owner["id"], name=f"Left {i}"))["id"]
        for i in range(3)
    ]
    on = await api.client.patch(
        "/v1/firm", json={"client_ownership_enabled": True}, headers=admin.headers
    )
    assert on.status_code == 200
    done = await api.client.delete(
        f"/v1/users/{leaving.user_id}?transfer=none", headers=admin.headers
    )
    assert done.status_code == 204, done.text
    unowned = await api.client.get("/v1/entities?owner_id=none", headers=admin.headers)
    assert sorted(e["id"] for e in unowned.json()["items"]) == sorted(ids)
    # Creating still requires an owner.
    problem(
        await api.client.post("/v1/entities", json={"name": "New"}, headers=admin.headers),
        422,
        "owner_required",
    )


async def test_split_handover_divides_the_clients_in_one_atomic_call(api: Api, app: Any) -> None:
    admin = await api.sign_up_firm()
    leaver = await api.add_staff(admin, name="Lea Leaver")
    source = await owner_for(api, admin, leaver)
    bob = await create_owner(api, admin, name="Bob Builder")
    carol = await create_owner(api, admin, name="Carol Clerk")
    ids = [
        (await create_entity(api, admin, owner_id=source["id"], name=f"C{i}"))["id"]
        for i in range(5)
    ]
    other = await create_entity(api, admin, owner_id=bob["id"])
    url = f"/v1/owners/{source['id']}/handover"

    # One bad group changes nothing.
    for groups, code in (
        (
            [
                {"entity_ids": ids[:2], "to_owner_id": bob["id"]},
                {"entity_ids": [other["id"]], "to_owner_id": carol["id"]},
            ],
            "entities_not_owned",
        ),
        (
            [
                {"entity_ids": ids[:2], "to_owner_id": bob["id"]},
                {"entity_ids": ids[2:], "to_owner_id": str(uuid.uuid4())},
            ],
            "owner_not_found",
        ),
        (
            [
                {"entity_ids": ids[:2], "to_owner_id": bob["id"]},
                {"entity_ids": ids[1:], "to_owner_id": carol["id"]},
            ],
            "handover_duplicate_entity",
        ),
    ):
        problem(
            await api.client.post(url, json={"groups": groups}, headers=admin.headers), 422, code
        )
        assert await entity_owner_ids(app, [uuid.UUID(i) for i in ids]) == {uuid.UUID(source["id"])}
    assert await events(app, "entity.owner_changed") == []

    done = await api.client.post(
        url,
        json={
            "groups": [
                {"entity_ids": ids[:2], "to_owner_id": bob["id"]},
                {"entity_ids": ids[2:4], "to_owner_id": carol["id"]},
                {"entity_ids": ids[4:], "to_owner_id": None},
            ]
        },
        headers=admin.headers,
    )
    assert done.status_code == 200, done.text
    assert done.json() == {
        "from_owner_id": source["id"],
        "moved": 5,
        "groups": [
            {"to_owner_id": bob["id"], "moved": 2},
            {"to_owner_id": carol["id"], "moved": 2},
            {"to_owner_id": None, "moved": 1},
        ],
    }
    assert await entity_owner_ids(app, [uuid.UUID(i) for i in ids[:2]]) == {uuid.UUID(bob["id"])}
    assert await entity_owner_ids(app, [uuid.UUID(i) for i in ids[2:4]]) == {uuid.UUID(carol["id"])}
    assert await entity_owner_ids(app, [uuid.UUID(ids[4])]) == {None}
    assert len(await events(app, "entity.owner_changed")) == 5


async def test_a_deactivated_owner_shows_inactive_and_cannot_be_chosen(api: Api) -> None:
    admin = await api.sign_up_firm()
    gone = await api.add_staff(admin, name="Gone User")
    owner = await owner_for(api, admin, gone)
    entity = await create_entity(api, admin, owner_id=owner["id"])
    other = await create_owner(api, admin, name="Manual Owner")
    off = await api.client.post(f"/v1/users/{gone.user_id}/deactivate", headers=admin.headers)
    assert off.status_code == 200, off.text

    listed = await api.client.get("/v1/owners", headers=admin.headers)
    by_id = {o["id"]: o for o in listed.json()["items"]}
    assert by_id[owner["id"]]["active"] is False and by_id[owner["id"]]["entity_count"] == 1
    assert by_id[other["id"]]["active"] is True
    choosable = await api.client.get("/v1/owners?active=true", headers=admin.headers)
    assert owner["id"] not in [o["id"] for o in choosable.json()["items"]]
    inactive = await api.client.get("/v1/owners?active=false", headers=admin.headers)
    assert [o["id"] for o in inactive.json()["items"]] == [owner["id"]]

    problem(
        await api.client.post(
            "/v1/entities", json={"name": "New", "owner_id": owner["id"]}, headers=admin.headers
        ),
        422,
        "owner_inactive",
    )
    problem(
        await api.client.put(
            f"/v1/entities/{entity['id']}/owner",
            json={"owner_id": owner["id"]},
            headers=admin.headers,
        ),
        422,
    )
    problem(
        await api.client.post(
            f"/v1/owners/{other['id']}/transfer",
            json={"to_owner_id": owner["id"]},
            headers=admin.headers,
        ),
        422,
        "owner_inactive",
    )
    # Their clients can still be handed over.
    moved = await api.client.post(
        f"/v1/owners/{owner['id']}/transfer",
        json={"to_owner_id": other["id"]},
        headers=admin.headers,
    )
    assert moved.status_code == 200 and moved.json()["moved"] == 1
