"""Finding 6: the server keeps the contract its spec states."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from tests.contact_helpers import create_contact
from tests.factories import create_entity
from tests.helpers import Api, problem


def rounds(backend: str) -> int:
    return 12 if backend == "postgresql" else 2


@pytest.mark.committed  # the writes really race, each on its own connection
async def test_concurrent_writes_with_one_if_match_lose_with_412(api: Api, backend: str) -> None:
    admin = await api.sign_up_firm()
    for round_ in range(rounds(backend)):
        entity = await create_entity(api, admin)
        url = f"/v1/entities/{entity['id']}"
        etag = (await api.client.get(url, headers=admin.headers)).headers["etag"]
        headers = {**admin.headers, "If-Match": etag}
        responses = await asyncio.gather(
            *(api.client.patch(url, json={"notes": f"n{n}"}, headers=headers) for n in range(6))
        )
        statuses = Counter(r.status_code for r in responses)
        assert statuses == Counter({200: 1, 412: 5}), (round_, statuses)


@pytest.mark.committed  # the deletes really race, each on its own connection
async def test_concurrent_deletes_with_one_if_match_never_409(api: Api, backend: str) -> None:
    admin = await api.sign_up_firm()
    for round_ in range(rounds(backend)):
        office = (
            await api.client.post("/v1/offices", json={"name": f"O{round_}"}, headers=admin.headers)
        ).json()
        url = f"/v1/offices/{office['id']}"
        etag = (await api.client.get(url, headers=admin.headers)).headers["etag"]
        headers = {**admin.headers, "If-Match": etag}
        responses = await asyncio.gather(
            *(api.client.delete(url, headers=headers) for _ in range(6))
        )
        statuses = Counter(r.status_code for r in responses)
        assert statuses[204] == 1 and set(statuses) <= {204, 404, 412}, (round_, statuses)


async def test_a_cursor_works_only_for_its_own_list(api: Api) -> None:
    admin = await api.sign_up_firm()
    for n in range(3):
        await create_entity(api, admin, name=f"E{n}")
        await create_contact(api, admin, name=f"C{n}")
    page = await api.client.get("/v1/entities?limit=1&order_by=name", headers=admin.headers)
    cursor = page.json()["next_cursor"]
    assert cursor
    own = await api.client.get(
        f"/v1/entities?limit=1&order_by=name&cursor={cursor}", headers=admin.headers
    )
    assert own.status_code == 200
    other = await api.client.get(
        f"/v1/contacts?limit=1&order_by=name&cursor={cursor}", headers=admin.headers
    )
    problem(other, 400, "invalid_cursor")


@pytest.mark.parametrize("value", ["", "--name", "-", "nonsense", "name "])
async def test_order_by_outside_its_enum_is_a_422(api: Api, value: str) -> None:
    admin = await api.sign_up_firm()
    response = await api.client.get(
        "/v1/entities", params={"order_by": value}, headers=admin.headers
    )
    problem(response, 422, "invalid_order_by")


async def test_notification_type_must_be_an_event_type(api: Api) -> None:
    admin = await api.sign_up_firm()
    junk = await api.client.get("/v1/notifications?type=junk", headers=admin.headers)
    problem(junk, 422, "unknown_event_type")
    ok = await api.client.get("/v1/notifications?type=entity.created", headers=admin.headers)
    assert ok.status_code == 200
