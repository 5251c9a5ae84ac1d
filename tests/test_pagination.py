"""Cursor pagination: limits, a complete and stable walk, ordering, filters, bad cursors."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

from tests.helpers import Actor, Api, problem


async def add_offices(api: Api, admin: Actor, names: list[str]) -> list[dict[str, Any]]:
    created = []
    for name in names:
        response = await api.client.post("/v1/offices", json={"name": name}, headers=admin.headers)
        assert response.status_code == 201, response.text
        created.append(response.json())
    return created


async def walk(
    api: Api, actor: Actor, path: str, **params: Any
) -> tuple[list[dict[str, Any]], int]:
    """Follow next_cursor to the end; returns every item and the number of pages."""
    items: list[dict[str, Any]] = []
    cursor = None
    pages = 0
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = await api.client.get(path, params=query, headers=actor.headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"items", "next_cursor"}
        items.extend(body["items"])
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return items, pages


def raw_cursor(data: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


async def test_default_and_maximum_limit(api: Api) -> None:
    admin = await api.sign_up_firm()
    await add_offices(api, admin, [f"Office {n:02}" for n in range(52)])

    first = (await api.client.get("/v1/offices", headers=admin.headers)).json()
    assert len(first["items"]) == 50 and first["next_cursor"]
    everything = await api.client.get("/v1/offices?limit=200", headers=admin.headers)
    assert len(everything.json()["items"]) == 52 and everything.json()["next_cursor"] is None

    for bad in ("201", "0", "-1", "many"):
        response = await api.client.get(f"/v1/offices?limit={bad}", headers=admin.headers)
        body = problem(response, 422, "validation_failed")
        assert body["errors"][0]["loc"] == ["query", "limit"]


async def test_walk_returns_every_item_once_in_order(api: Api) -> None:
    admin = await api.sign_up_firm()
    names = ["Oslo", "Bergen", "Aarhus", "Zurich", "Lyon", "Graz", "Cork"]
    await add_offices(api, admin, names)

    items, pages = await walk(api, admin, "/v1/offices", limit=3)

    assert [o["name"] for o in items] == sorted(names)
    assert pages == 3
    # The last full page has no next cursor when nothing follows.
    exact, pages = await walk(api, admin, "/v1/offices", limit=7)
    assert len(exact) == 7 and pages == 1


async def test_order_by_options(api: Api) -> None:
    admin = await api.sign_up_firm()
    names = ["Bergen", "Aarhus", "Cork", "Dublin"]
    await add_offices(api, admin, names)

    for order_by, expected in (
        ("name", sorted(names)),
        ("-name", sorted(names, reverse=True)),
        ("created_at", names),
        ("-created_at", names[::-1]),
    ):
        items, _ = await walk(api, admin, "/v1/offices", limit=1, order_by=order_by)
        assert [o["name"] for o in items] == expected, order_by

    response = await api.client.get("/v1/offices?order_by=address", headers=admin.headers)
    problem(response, 422)


async def test_ties_are_broken_by_id(api: Api) -> None:
    admin = await api.sign_up_firm()
    users = [await api.create_user(admin, name="Same Name") for _ in range(5)]

    items, _ = await walk(api, admin, "/v1/users", limit=2, role="staff")
    backwards, _ = await walk(api, admin, "/v1/users", limit=2, role="staff", order_by="-name")

    ids = sorted(u["id"] for u in users)
    assert [u["id"] for u in items] == ids
    assert [u["id"] for u in backwards] == ids[::-1]


async def test_rows_added_while_paging_are_not_skipped_or_repeated(api: Api) -> None:
    admin = await api.sign_up_firm()
    await add_offices(api, admin, ["B", "D", "F", "H"])

    first = (await api.client.get("/v1/offices?limit=2", headers=admin.headers)).json()
    assert [o["name"] for o in first["items"]] == ["B", "D"]
    # Rows land before and after the cursor position.
    await add_offices(api, admin, ["A", "C", "E", "G"])
    rest: list[str] = []
    cursor = first["next_cursor"]
    while cursor:
        page = (
            await api.client.get(
                "/v1/offices", params={"limit": 2, "cursor": cursor}, headers=admin.headers
            )
        ).json()
        rest.extend(o["name"] for o in page["items"])
        cursor = page["next_cursor"]

    assert rest == ["E", "F", "G", "H"]  # everything after "D", once each


async def test_rows_added_while_paging_by_newest_first(api: Api) -> None:
    admin = await api.sign_up_firm()
    await add_offices(api, admin, ["1", "2", "3", "4"])
    first = (
        await api.client.get("/v1/offices?limit=2&order_by=-created_at", headers=admin.headers)
    ).json()
    await add_offices(api, admin, ["5"])

    second = (
        await api.client.get(
            "/v1/offices",
            params={"limit": 10, "order_by": "-created_at", "cursor": first["next_cursor"]},
            headers=admin.headers,
        )
    ).json()

    assert [o["name"] for o in first["items"]] == ["4", "3"]
    assert [o["name"] for o in second["items"]] == ["2", "1"]


async def test_invalid_cursors_are_400(api: Api) -> None:
    admin = await api.sign_up_firm()
    await add_offices(api, admin, ["A", "B", "C"])
    page = (await api.client.get("/v1/offices?limit=1", headers=admin.headers)).json()
    some_id = str(uuid.uuid4())

    bad_cursors = [
        "not-a-cursor",
        "!!!",
        raw_cursor("just a string"),
        raw_cursor(42),
        raw_cursor(["name", "A"]),
        raw_cursor(["name", "A", "not-a-uuid"]),
        raw_cursor(["name", "A", 123]),
        raw_cursor(["name", 5, some_id]),
        raw_cursor(["name", {"t": "dt", "v": "2024-01-01T00:00:00+00:00"}, some_id]),
        raw_cursor(["name", {"t": "other", "v": 1}, some_id]),
        raw_cursor(["name", None, some_id]),
        raw_cursor(["name", ["A"], some_id]),
    ]
    for cursor in bad_cursors:
        response = await api.client.get(
            "/v1/offices", params={"cursor": cursor}, headers=admin.headers
        )
        problem(response, 400, "invalid_cursor")

    by_date = [
        raw_cursor(["created_at", "yesterday", some_id]),
        raw_cursor(["created_at", {"t": "dt", "v": "2024-01-01T00:00:00"}, some_id]),  # naive
        raw_cursor(["created_at", {"t": "dt", "v": "garbage"}, some_id]),
        raw_cursor(["created_at", 1700000000, some_id]),
    ]
    for cursor in by_date:
        response = await api.client.get(
            "/v1/offices",
            params={"cursor": cursor, "order_by": "created_at"},
            headers=admin.headers,
        )
        problem(response, 400, "invalid_cursor")

    # A cursor made for another ordering does not fit this one.
    response = await api.client.get(
        "/v1/offices",
        params={"cursor": page["next_cursor"], "order_by": "-name"},
        headers=admin.headers,
    )
    problem(response, 400, "invalid_cursor")


async def test_user_filters(api: Api) -> None:
    admin = await api.sign_up_firm()  # "Alice Admin"
    london, paris = await add_offices(api, admin, ["London", "Paris"])
    bob = await api.create_user(admin, name="Bob Builder", office_id=london["id"])
    carla = await api.create_user(admin, name="Carla 100% Real", office_id=paris["id"])
    dan = await api.create_user(admin, name="Dan_Admin", role="admin", office_id=london["id"])
    await api.client.post(f"/v1/users/{bob['id']}/deactivate", headers=admin.headers)

    async def names(**params: Any) -> list[str]:
        items, _ = await walk(api, admin, "/v1/users", **params)
        return [u["name"] for u in items]

    assert await names() == ["Alice Admin", "Bob Builder", "Carla 100% Real", "Dan_Admin"]
    assert await names(role="admin") == ["Alice Admin", "Dan_Admin"]
    assert await names(role="staff") == ["Bob Builder", "Carla 100% Real"]
    assert await names(office_id=london["id"]) == ["Bob Builder", "Dan_Admin"]
    assert await names(is_active="false") == ["Bob Builder"]
    assert await names(is_active="true", office_id=london["id"]) == ["Dan_Admin"]
    assert await names(q="BUILD") == ["Bob Builder"]
    assert await names(q="admin") == ["Alice Admin", "Dan_Admin"]  # name or e-mail
    assert await names(q=carla["email"].split("@")[0]) == ["Carla 100% Real"]
    # LIKE wildcards in q are literal characters.
    assert await names(q="%") == ["Carla 100% Real"]
    assert await names(q="_") == ["Dan_Admin"]
    assert await names(q="n_a") == ["Dan_Admin"]
    assert await names(order_by="-email", role="admin", limit=1) == sorted(
        ["Alice Admin", "Dan_Admin"],
        key=lambda n: {"Alice Admin": admin.email, "Dan_Admin": dan["email"]}[n],
        reverse=True,
    )

    problem(await api.client.get("/v1/users?role=owner", headers=admin.headers), 422)
    problem(await api.client.get("/v1/users?office_id=nope", headers=admin.headers), 422)
    problem(await api.client.get("/v1/users?is_active=perhaps", headers=admin.headers), 422)
