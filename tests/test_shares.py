"""Shares: sharing an entity with colleagues, roles, bulk sharing, and what viewers may not do."""

from __future__ import annotations

from typing import Any

from practice_api.entities.policy import (
    CanAuthorizeContacts,
    CanInitiateRequests,
    CanManageContacts,
)
from tests.factories import create_entity, events, owner_for
from tests.helpers import Actor, Api, problem


async def share(api: Api, by: Actor, entity_id: str, user_id: str, **body: Any) -> dict[str, Any]:
    response = await api.client.post(
        f"/v1/entities/{entity_id}/shares", json={"user_id": user_id, **body}, headers=by.headers
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_responsible_shares_across_offices_and_the_user_sees_it(api: Api, app: Any) -> None:
    admin = await api.sign_up_firm()
    offices = [
        (await api.client.post("/v1/offices", json={"name": n}, headers=admin.headers)).json()
        for n in ("Oslo", "Bergen")
    ]
    responsible = await api.add_staff(admin, office_id=offices[0]["id"])
    colleague = await api.add_staff(admin, office_id=offices[1]["id"])
    entity = await create_entity(
        api, admin, owner_id=(await owner_for(api, admin, responsible))["id"]
    )
    problem(await api.client.get(f"/v1/entities/{entity['id']}", headers=colleague.headers), 404)

    response = await api.client.post(
        f"/v1/entities/{entity['id']}/shares",
        json={"user_id": colleague.user_id, "notifications": ["response_received"]},
        headers=responsible.headers,
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["Location"] == f"/v1/entities/{entity['id']}/shares/{created['id']}"
    assert (created["role"], created["shared_by_id"]) == ("viewer", responsible.user_id)
    assert created["notifications"] == ["response_received"]

    seen = await api.client.get(f"/v1/entities/{entity['id']}", headers=colleague.headers)
    assert seen.status_code == 200 and seen.json()["access"] == "viewer"
    mine = await api.client.get("/v1/entities?shared_with_me=true", headers=colleague.headers)
    assert [e["id"] for e in mine.json()["items"]] == [entity["id"]]
    not_shared = await api.client.get(
        "/v1/entities?shared_with_me=true", headers=responsible.headers
    )
    assert not_shared.json()["items"] == []

    listed = await api.client.get(f"/v1/entities/{entity['id']}/shares", headers=colleague.headers)
    assert [s["user_id"] for s in listed.json()["items"]] == [colleague.user_id]
    [event] = await events(app, "share.created")
    assert event.payload["recipient_user_id"] == colleague.user_id
    assert str(event.entity_id) == entity["id"]


async def test_share_refusals(api: Api) -> None:
    admin = await api.sign_up_firm()
    responsible = await api.add_staff(admin)
    colleague = await api.add_staff(admin)
    outsider = await api.sign_up_firm("Other Audit")
    entity = await create_entity(
        api, admin, owner_id=(await owner_for(api, admin, responsible))["id"]
    )
    url = f"/v1/entities/{entity['id']}/shares"

    problem(
        await api.client.post(url, json={"user_id": outsider.user_id}, headers=admin.headers),
        404,
        "user_not_found",
    )
    problem(
        await api.client.post(url, json={"user_id": responsible.user_id}, headers=admin.headers),
        409,
        "share_with_responsible",
    )
    await share(api, admin, entity["id"], colleague.user_id)
    problem(
        await api.client.post(url, json={"user_id": colleague.user_id}, headers=admin.headers),
        409,
        "share_exists",
    )
    # Others may not share: a viewer gets 403, someone without access 404.
    stranger = await api.add_staff(admin)
    problem(
        await api.client.post(url, json={"user_id": stranger.user_id}, headers=colleague.headers),
        403,
        "share_forbidden",
    )
    problem(
        await api.client.post(url, json={"user_id": stranger.user_id}, headers=stranger.headers),
        404,
        "entity_not_found",
    )


async def test_roles_and_own_notifications(api: Api, app: Any) -> None:
    admin = await api.sign_up_firm()
    responsible = await api.add_staff(admin)
    viewer = await api.add_staff(admin)
    editor = await api.add_staff(admin)
    entity = await create_entity(
        api, admin, owner_id=(await owner_for(api, admin, responsible))["id"]
    )
    viewer_share = await share(api, responsible, entity["id"], viewer.user_id)
    await share(api, responsible, entity["id"], editor.user_id, role="editor")
    entity_url = f"/v1/entities/{entity['id']}"
    share_url = f"{entity_url}/shares/{viewer_share['id']}"

    assert (await api.client.get(entity_url, headers=editor.headers)).json()["access"] == "editor"
    edited = await api.client.patch(entity_url, json={"notes": "x"}, headers=editor.headers)
    assert edited.status_code == 200
    problem(
        await api.client.patch(entity_url, json={"notes": "y"}, headers=viewer.headers),
        403,
        "entity_update_forbidden",
    )
    # An editor may not change ownership or shares.
    problem(
        await api.client.put(
            f"{entity_url}/owner", json={"owner_id": None}, headers=editor.headers
        ),
        403,
        "owner_change_forbidden",
    )
    problem(
        await api.client.patch(share_url, json={"role": "editor"}, headers=editor.headers),
        403,
        "share_forbidden",
    )

    # The viewer manages the notifications of their own share, and nothing else.
    own = await api.client.patch(
        share_url,
        json={"notifications": ["file_uploaded", "request_completed"]},
        headers=viewer.headers,
    )
    assert own.status_code == 200, own.text
    assert own.json()["notifications"] == ["file_uploaded", "request_completed"]
    problem(
        await api.client.patch(share_url, json={"role": "editor"}, headers=viewer.headers),
        403,
        "share_forbidden",
    )
    etag = (await api.client.get(share_url, headers=viewer.headers)).headers["ETag"]
    promoted = await api.client.patch(
        share_url, json={"role": "editor"}, headers={**responsible.headers, "If-Match": etag}
    )
    assert promoted.json()["role"] == "editor"
    updates = await events(app, "share.updated")
    assert [list(e.payload["changes"]) for e in updates] == [["notifications"], ["role"]]

    removed = await api.client.delete(share_url, headers=admin.headers)
    assert removed.status_code == 204
    problem(await api.client.get(entity_url, headers=viewer.headers), 404)
    assert len(await events(app, "share.deleted")) == 1


async def test_bulk_share_is_atomic_and_idempotent(api: Api, app: Any) -> None:
    admin = await api.sign_up_firm()
    responsible = await api.add_staff(admin)
    staff = [await api.add_staff(admin) for _ in range(3)]
    owner_id = (await owner_for(api, admin, responsible))["id"]
    entities = [(await create_entity(api, admin, owner_id=owner_id))["id"] for _ in range(4)]
    outsider = await api.sign_up_firm("Other Audit")
    foreign = (await create_entity(api, outsider))["id"]
    users = [s.user_id for s in staff]

    refused = await api.client.post(
        "/v1/shares/bulk",
        json={"entity_ids": [*entities, foreign], "user_ids": users},
        headers=admin.headers,
    )
    assert problem(refused, 404, "entity_not_found")["entity_ids"] == [foreign]
    assert (await api.client.get("/v1/shares", headers=admin.headers)).json()["items"] == []

    body = {"entity_ids": entities, "user_ids": [*users, responsible.user_id], "role": "editor"}
    first = await api.client.post("/v1/shares/bulk", json=body, headers=admin.headers)
    assert first.status_code == 200, first.text
    assert first.json() == {"created": 12, "updated": 0, "unchanged": 0, "skipped_responsible": 4}
    again = await api.client.post("/v1/shares/bulk", json=body, headers=admin.headers)
    assert again.json() == {"created": 0, "updated": 0, "unchanged": 12, "skipped_responsible": 4}
    assert len(await events(app, "share.created")) == 12

    per_user = await api.client.get(f"/v1/shares?user_id={users[0]}", headers=admin.headers)
    assert sorted(s["entity_id"] for s in per_user.json()["items"]) == sorted(entities)
    seen = await api.client.get("/v1/entities?shared_with_me=true", headers=staff[0].headers)
    assert len(seen.json()["items"]) == 4
    assert {e["access"] for e in seen.json()["items"]} == {"editor"}
    problem(await api.client.get("/v1/shares", headers=staff[0].headers), 403, "admin_required")
    problem(
        await api.client.post("/v1/shares/bulk", json=body, headers=responsible.headers),
        403,
        "admin_required",
    )


async def test_viewers_may_not_manage_contacts_authorize_or_initiate(api: Api, app: Any) -> None:
    """The policies the contacts and requests routes will use, on probe routes."""

    async def manage(context: CanManageContacts) -> dict[str, str]:
        return {"access": context.access}

    async def authorize(context: CanAuthorizeContacts) -> dict[str, str]:
        return {"access": context.access}

    async def initiate(context: CanInitiateRequests) -> dict[str, str]:
        return {"access": context.access}

    probes = {"contacts": manage, "authorize": authorize, "requests": initiate}
    for name, endpoint in probes.items():
        app.router.add_api_route(
            f"/_probe/{name}/{{entity_id}}", endpoint, methods=["POST"], operation_id=name
        )

    admin = await api.sign_up_firm()
    responsible = await api.add_staff(admin)
    editor = await api.add_staff(admin)
    viewer = await api.add_staff(admin)
    stranger = await api.add_staff(admin)
    entity = await create_entity(
        api, admin, owner_id=(await owner_for(api, admin, responsible))["id"]
    )
    await share(api, admin, entity["id"], editor.user_id, role="editor")
    await share(api, admin, entity["id"], viewer.user_id)
    before = len(await events(app))

    codes = {
        "contacts": "contacts_manage_forbidden",
        "authorize": "contacts_authorize_forbidden",
        "requests": "requests_initiate_forbidden",
    }
    for name, code in codes.items():
        url = f"/_probe/{name}/{entity['id']}"
        for actor, level in ((admin, "admin"), (responsible, "owner"), (editor, "editor")):
            allowed = await api.client.post(url, headers=actor.headers)
            assert allowed.status_code == 200, (name, level, allowed.text)
            assert allowed.json() == {"access": level}
        problem(await api.client.post(url, headers=viewer.headers), 403, code)
        problem(await api.client.post(url, headers=stranger.headers), 404, "entity_not_found")
    assert len(await events(app)) == before
