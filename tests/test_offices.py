"""Offices: admins manage them, staff read them."""

from __future__ import annotations

from typing import Any

from tests.helpers import Actor, Api, problem


async def create_office(api: Api, admin: Actor, name: str, **extra: Any) -> dict[str, Any]:
    response = await api.client.post(
        "/v1/offices", json={"name": name, **extra}, headers=admin.headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_office_lifecycle(api: Api) -> None:
    admin = await api.sign_up_firm()

    response = await api.client.post(
        "/v1/offices", json={"name": "  London  ", "address": "1 Fleet St"}, headers=admin.headers
    )
    assert response.status_code == 201, response.text
    office = response.json()
    assert office["name"] == "London"  # trimmed
    assert office["address"] == "1 Fleet St"
    assert response.headers["location"] == f"/v1/offices/{office['id']}"
    assert response.headers["etag"] == '"1"'

    read = await api.client.get(response.headers["location"], headers=admin.headers)
    assert read.status_code == 200 and read.json() == office

    changed = await api.client.patch(
        f"/v1/offices/{office['id']}", json={"address": None}, headers=admin.headers
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["address"] is None and changed.json()["name"] == "London"
    assert changed.headers["etag"] == '"2"'

    deleted = await api.client.delete(f"/v1/offices/{office['id']}", headers=admin.headers)
    assert deleted.status_code == 204 and deleted.content == b""
    gone = await api.client.get(f"/v1/offices/{office['id']}", headers=admin.headers)
    problem(gone, 404, "office_not_found")
    problem(
        await api.client.delete(f"/v1/offices/{office['id']}", headers=admin.headers),
        404,
        "office_not_found",
    )


async def test_office_names_are_unique_in_a_firm(api: Api) -> None:
    admin = await api.sign_up_firm()
    await create_office(api, admin, "London")
    paris = await create_office(api, admin, "Paris")

    problem(
        await api.client.post("/v1/offices", json={"name": "London"}, headers=admin.headers),
        409,
        "office_name_taken",
    )
    problem(
        await api.client.patch(
            f"/v1/offices/{paris['id']}", json={"name": "London"}, headers=admin.headers
        ),
        409,
        "office_name_taken",
    )
    # Renaming to its own name is no conflict.
    same = await api.client.patch(
        f"/v1/offices/{paris['id']}", json={"name": "Paris"}, headers=admin.headers
    )
    assert same.status_code == 200

    # Another firm may use the same name.
    other = await api.sign_up_firm("Other Firm")
    await create_office(api, other, "London")


async def test_office_with_users_cannot_be_deleted(api: Api) -> None:
    admin = await api.sign_up_firm()
    office = await create_office(api, admin, "London")
    user = await api.create_user(admin, office_id=office["id"])

    response = await api.client.delete(f"/v1/offices/{office['id']}", headers=admin.headers)

    body = problem(response, 409, "office_not_empty")
    assert body["user_count"] == 1
    assert (
        await api.client.get(f"/v1/offices/{office['id']}", headers=admin.headers)
    ).status_code == 200

    moved = await api.client.patch(
        f"/v1/users/{user['id']}", json={"office_id": None}, headers=admin.headers
    )
    assert moved.status_code == 200
    deleted = await api.client.delete(f"/v1/offices/{office['id']}", headers=admin.headers)
    assert deleted.status_code == 204


async def test_staff_read_but_do_not_manage_offices(api: Api) -> None:
    admin = await api.sign_up_firm()
    office = await create_office(api, admin, "London")
    staff = await api.add_staff(admin)
    url = f"/v1/offices/{office['id']}"

    assert (await api.client.get("/v1/offices", headers=staff.headers)).status_code == 200
    assert (await api.client.get(url, headers=staff.headers)).status_code == 200
    for response in (
        await api.client.post("/v1/offices", json={"name": "Mine"}, headers=staff.headers),
        await api.client.patch(url, json={"name": "Mine"}, headers=staff.headers),
        await api.client.delete(url, headers=staff.headers),
    ):
        problem(response, 403, "admin_required")

    names = [
        o["name"]
        for o in (await api.client.get("/v1/offices", headers=admin.headers)).json()["items"]
    ]
    assert names == ["London"]


async def test_office_validation(api: Api) -> None:
    admin = await api.sign_up_firm()
    office = await create_office(api, admin, "London")
    for body in ({}, {"name": ""}, {"name": "x" * 201}, {"name": "A", "address": "y" * 501}):
        response = await api.client.post("/v1/offices", json=body, headers=admin.headers)
        problem(response, 422, "validation_failed")
    response = await api.client.patch(
        f"/v1/offices/{office['id']}", json={"name": None}, headers=admin.headers
    )
    problem(response, 422, "validation_failed")
