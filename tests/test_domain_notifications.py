"""Entity, owner and share events reach the people they concern (in-app)."""

from __future__ import annotations

from typing import Any

from tests.factories import create_entity, create_owner, owner_for
from tests.helpers import Actor, Api

pytest_plugins = ["tests.event_fixtures"]


async def _types(api: Api, actor: Actor) -> list[str]:
    response = await api.client.get("/v1/notifications", headers=actor.headers)
    assert response.status_code == 200, response.text
    return [item["type"] for item in response.json()["items"]]


async def test_a_shared_user_is_told_of_share_changes(api: Api, dispatcher: Any) -> None:
    admin = await api.sign_up_firm()
    colleague = await api.add_staff(admin)
    entity = await create_entity(api, admin, name="Client A")
    shared = await api.client.post(
        f"/v1/entities/{entity['id']}/shares",
        json={"user_id": colleague.user_id, "role": "editor"},
        headers=admin.headers,
    )
    assert shared.status_code == 201, shared.text
    await dispatcher.drain()
    assert "share.created" in await _types(api, colleague)

    removed = await api.client.delete(
        f"/v1/entities/{entity['id']}/shares/{shared.json()['id']}", headers=admin.headers
    )
    assert removed.status_code == 204
    await dispatcher.drain()
    assert (await _types(api, colleague))[0] == "share.deleted"


async def test_old_and_new_owner_users_are_told_of_an_owner_change(
    api: Api, dispatcher: Any
) -> None:
    admin = await api.sign_up_firm()
    first, second = await api.add_staff(admin), await api.add_staff(admin)
    first_owner, second_owner = (
        await owner_for(api, admin, first),
        await owner_for(api, admin, second),
    )
    entity = await create_entity(api, admin, name="Client B", owner_id=first_owner["id"])
    await dispatcher.drain()
    assert "entity.created" in await _types(api, first)

    changed = await api.client.put(
        f"/v1/entities/{entity['id']}/owner",
        json={"owner_id": second_owner["id"]},
        headers=admin.headers,
    )
    assert changed.status_code == 200, changed.text
    await dispatcher.drain()
    assert (await _types(api, first))[0] == "entity.owner_changed"
    assert (await _types(api, second))[0] == "entity.owner_changed"

    # A manual owner (no user behind it) notifies nobody, and nothing breaks.
    manual = await create_owner(api, admin, name="Outside Partner")
    moved = await api.client.put(
        f"/v1/entities/{entity['id']}/owner",
        json={"owner_id": manual["id"]},
        headers=admin.headers,
    )
    assert moved.status_code == 200
    await dispatcher.drain()
    assert (await _types(api, second)).count("entity.owner_changed") == 2
