"""Entities: the client profiles, who sees them, their owner, delete-or-archive."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event

from practice_api.access import principals
from practice_api.entities import dependents
from practice_api.entities.dependents import register_dependent, unregister_dependent
from tests.factories import create_entity, create_owner, events, owner_for
from tests.helpers import Api, problem


async def test_create_get_update_with_etags_and_events(api: Api, app: Any) -> None:
    admin = await api.sign_up_firm()
    response = await api.client.post(
        "/v1/entities",
        json={
            "name": "Nordic Timber AB",
            "kind": "company",
            "tax_id": "SE556677",
            "email": "A@X.io",
        },
        headers=admin.headers,
    )
    assert response.status_code == 201, response.text
    entity = response.json()
    assert response.headers["Location"] == f"/v1/entities/{entity['id']}"
    assert entity["status"] == "active"
    assert entity["access"] == "admin"
    assert entity["email"] == "a@x.io"
    assert entity["created_by_id"] == admin.user_id
    url = f"/v1/entities/{entity['id']}"

    got = await api.client.get(url, headers=admin.headers)
    etag = got.headers["ETag"]
    again = await api.client.get(url, headers={**admin.headers, "If-None-Match": etag})
    assert again.status_code == 304

    changed = await api.client.patch(
        url,
        json={"name": "Nordic Timber", "notes": "VAT quarterly"},
        headers={**admin.headers, "If-Match": etag},
    )
    assert changed.status_code == 200, changed.text
    assert changed.headers["ETag"] != etag
    stale = await api.client.patch(
        url, json={"name": "Lost update"}, headers={**admin.headers, "If-Match": etag}
    )
    problem(stale, 412, "stale_etag")
    assert (await api.client.get(url, headers=admin.headers)).json()["name"] == "Nordic Timber"

    [updated] = await events(app, "entity.updated")
    assert updated.entity_id is not None and str(updated.entity_id) == entity["id"]
    assert updated.payload["changes"]["name"] == {"old": "Nordic Timber AB", "new": "Nordic Timber"}
    assert len(await events(app, "entity.created")) == 1


async def test_external_ref_is_unique_per_firm(api: Api) -> None:
    admin = await api.sign_up_firm()
    other = await api.sign_up_firm("Other Audit")
    await create_entity(api, admin, external_ref="crm-1")
    duplicate = await api.client.post(
        "/v1/entities", json={"name": "X", "external_ref": "crm-1"}, headers=admin.headers
    )
    problem(duplicate, 409, "external_ref_taken")
    await create_entity(api, other, external_ref="crm-1")  # another firm: fine


async def test_staff_see_owned_created_entities_others_get_404(api: Api) -> None:
    admin = await api.sign_up_firm()
    owner_staff = await api.add_staff(admin)
    creator = await api.add_staff(admin)
    stranger = await api.add_staff(admin)
    outsider = await api.sign_up_firm("Other Audit")
    owner = await owner_for(api, admin, owner_staff)

    owned = await create_entity(api, admin, name="Owned", owner_id=owner["id"])
    created = await create_entity(api, creator, name="Created")
    handed_over = await create_entity(api, creator, name="Handed", owner_id=owner["id"])
    await create_entity(api, admin, name="Admin only")

    async def names(actor: Any) -> list[str]:
        response = await api.client.get("/v1/entities", headers=actor.headers)
        assert response.status_code == 200, response.text
        return [(e["name"], e["access"]) for e in response.json()["items"]]

    assert await names(owner_staff) == [("Handed", "owner"), ("Owned", "owner")]
    assert await names(creator) == [("Created", "owner"), ("Handed", "viewer")]
    assert await names(stranger) == []
    assert len(await names(admin)) == 4
    assert await names(outsider) == []

    for actor in (stranger, outsider):
        problem(
            await api.client.get(f"/v1/entities/{owned['id']}", headers=actor.headers),
            404,
            "entity_not_found",
        )
    # The creator keeps read access to what they handed over, but may not change it.
    problem(
        await api.client.patch(
            f"/v1/entities/{handed_over['id']}", json={"name": "X"}, headers=creator.headers
        ),
        403,
        "entity_update_forbidden",
    )
    assert created["access"] == "owner"


async def test_list_filters_order_and_pages(api: Api) -> None:
    admin = await api.sign_up_firm()
    office = (
        await api.client.post("/v1/offices", json={"name": "Oslo"}, headers=admin.headers)
    ).json()
    owner = await create_owner(api, admin, name="Olga Owner")
    a = await create_entity(api, admin, name="Alpha", owner_id=owner["id"], office_id=office["id"])
    b = await create_entity(api, admin, name="Beta", tax_id="NO-999", email="beta@example.com")
    c = await create_entity(api, admin, name="Gamma")
    await api.client.patch(
        f"/v1/entities/{c['id']}", json={"status": "archived"}, headers=admin.headers
    )

    async def ids(query: str) -> list[str]:
        response = await api.client.get(f"/v1/entities?{query}", headers=admin.headers)
        assert response.status_code == 200, response.text
        return [e["id"] for e in response.json()["items"]]

    assert await ids(f"owner_id={owner['id']}") == [a["id"]]
    assert await ids("owner_id=none") == [b["id"], c["id"]]
    assert await ids(f"office_id={office['id']}") == [a["id"]]
    assert await ids("status=archived") == [c["id"]]
    assert await ids("q=no-99") == [b["id"]]
    assert await ids("q=BETA@") == [b["id"]]
    assert await ids(f"created_by={admin.user_id}") == [a["id"], b["id"], c["id"]]
    assert await ids("order_by=-name") == [c["id"], b["id"], a["id"]]
    problem(await api.client.get("/v1/entities?owner_id=bogus", headers=admin.headers), 422)

    first = (await api.client.get("/v1/entities?limit=2", headers=admin.headers)).json()
    assert [e["id"] for e in first["items"]] == [a["id"], b["id"]]
    second = (
        await api.client.get(
            f"/v1/entities?limit=2&cursor={first['next_cursor']}", headers=admin.headers
        )
    ).json()
    assert [e["id"] for e in second["items"]] == [c["id"]]
    assert second["next_cursor"] is None


async def test_ownership_setting_requires_an_owner(api: Api) -> None:
    admin = await api.sign_up_firm()
    unowned = await create_entity(api, admin, name="Before the setting")
    turned_on = await api.client.patch(
        "/v1/firm", json={"client_ownership_enabled": True}, headers=admin.headers
    )
    assert turned_on.status_code == 200, turned_on.text

    missing = await api.client.post("/v1/entities", json={"name": "X"}, headers=admin.headers)
    body = problem(missing, 422, "owner_required")
    assert body["errors"][0]["loc"] == ["body", "owner_id"]

    owner = await create_owner(api, admin)
    await create_entity(api, admin, name="Owned", owner_id=owner["id"])
    # Only creating needs an owner: an existing client may be left unowned (the seed's way).
    cleared = await api.client.put(
        f"/v1/entities/{unowned['id']}/owner", json={"owner_id": None}, headers=admin.headers
    )
    assert cleared.status_code == 200 and cleared.json()["owner"] is None

    turned_off = await api.client.patch(
        "/v1/firm", json={"client_ownership_enabled": False}, headers=admin.headers
    )
    assert turned_off.status_code == 200
    await create_entity(api, admin, name="Optional again")


async def test_change_owner_by_owner_and_admin_records_old_and_new(api: Api, app: Any) -> None:
    admin = await api.sign_up_firm()
    alice = await api.add_staff(admin)
    bob = await api.add_staff(admin)
    alice_owner = await owner_for(api, admin, alice)
    bob_owner = await owner_for(api, admin, bob)
    entity = await create_entity(api, admin, owner_id=alice_owner["id"])
    url = f"/v1/entities/{entity['id']}/owner"

    problem(await api.client.put(url, json={"owner_id": bob_owner["id"]}, headers=bob.headers), 404)
    moved = await api.client.put(url, json={"owner_id": bob_owner["id"]}, headers=alice.headers)
    assert moved.status_code == 200, moved.text
    assert moved.json()["owner"]["id"] == bob_owner["id"]
    assert moved.json()["access"] != "owner"  # alice gave it away
    problem(await api.client.get(f"/v1/entities/{entity['id']}", headers=alice.headers), 404)
    back = await api.client.put(url, json={"owner_id": alice_owner["id"]}, headers=admin.headers)
    assert back.status_code == 200

    changes = await events(app, "entity.owner_changed")
    assert [(e.payload["old"]["id"], e.payload["new"]["id"]) for e in changes] == [
        (alice_owner["id"], bob_owner["id"]),
        (bob_owner["id"], alice_owner["id"]),
    ]
    unknown = await api.client.put(
        url, json={"owner_id": "00000000-0000-7000-8000-000000000000"}, headers=admin.headers
    )
    problem(unknown, 422, "owner_not_found")


@pytest.fixture
def entity_has_files() -> Iterator[None]:
    async def count(_session: Any, _entity_id: Any) -> int:
        return 3

    real = dependents._dependents.get("files")
    register_dependent("files", count)
    yield
    unregister_dependent("files")
    if real is not None:  # the files domain's own counter
        register_dependent("files", real)


async def test_delete_destroys_an_entity_without_dependents(api: Api, app: Any) -> None:
    admin = await api.sign_up_firm()
    entity = await create_entity(api, admin)
    deleted = await api.client.delete(f"/v1/entities/{entity['id']}", headers=admin.headers)
    assert deleted.status_code == 204
    problem(await api.client.get(f"/v1/entities/{entity['id']}", headers=admin.headers), 404)
    assert len(await events(app, "entity.deleted")) == 1


async def test_delete_archives_an_entity_with_dependents(
    api: Api, app: Any, entity_has_files: None
) -> None:
    admin = await api.sign_up_firm()
    entity = await create_entity(api, admin)
    answer = await api.client.delete(f"/v1/entities/{entity['id']}", headers=admin.headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "archived"
    assert answer.json()["archived_at"] is not None
    still = await api.client.get(f"/v1/entities/{entity['id']}", headers=admin.headers)
    assert still.json()["status"] == "archived"
    [archived] = await events(app, "entity.archived")
    assert archived.payload["dependents"] == {"files": 3}
    assert await events(app, "entity.deleted") == []


@pytest.mark.committed  # counts the statements of real transactions (no savepoints)
async def test_listing_costs_a_fixed_number_of_statements(
    api: Api, app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The principal is looked up once and remembered: keep it for the whole test.
    monkeypatch.setattr(principals, "PRINCIPAL_CACHE_SECONDS", 600)
    admin = await api.sign_up_firm()
    staff = await api.add_staff(admin)
    staff_owner = await owner_for(api, admin, staff)
    for i in range(50):
        if i % 2:
            owner_id = staff_owner["id"]
        else:
            owner_id = (await create_owner(api, admin, name=f"Owner {i:02d}"))["id"]
        await create_entity(api, staff, name=f"Entity {i:02d}", owner_id=owner_id)

    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    engine = app.state.runtime.engine.sync_engine
    costs: dict[tuple[str, int], int] = {}
    event.listen(engine, "before_cursor_execute", count)
    try:
        for who, actor in (("admin", admin), ("staff", staff)):
            await api.client.get("/v1/entities?limit=1", headers=actor.headers)
            for limit in (5, 50):
                statements.clear()
                response = await api.client.get(
                    f"/v1/entities?limit={limit}", headers=actor.headers
                )
                assert response.status_code == 200
                items = response.json()["items"]
                assert len(items) == limit
                assert all(item["owner"] is not None for item in items)
                costs[(who, limit)] = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert costs[("admin", 5)] == costs[("admin", 50)]
    assert costs[("staff", 5)] == costs[("staff", 50)]
    print("statements per entity list:", costs)
    assert costs[("staff", 50)] <= 6, costs
