"""Staff users: admins manage them; the firm always keeps an active admin."""

from __future__ import annotations

import asyncio

import pytest

from tests.helpers import PASSWORD, Api, problem


async def test_user_lifecycle(api: Api) -> None:
    admin = await api.sign_up_firm()
    office = (
        await api.client.post("/v1/offices", json={"name": "London"}, headers=admin.headers)
    ).json()

    response = await api.client.post(
        "/v1/users",
        json={
            "email": "Sam.Staff@Example.com",
            "name": "Sam Staff",
            "role": "staff",
            "office_id": office["id"],
            "password": PASSWORD,
        },
        headers=admin.headers,
    )
    assert response.status_code == 201, response.text
    user = response.json()
    assert user["email"] == "sam.staff@example.com"
    assert user["office_id"] == office["id"]
    assert user["is_active"] is True and user["last_login_at"] is None
    assert "password" not in user and "password_hash" not in user
    assert response.headers["location"] == f"/v1/users/{user['id']}"
    assert response.headers["etag"] == '"1"'

    read = await api.client.get(f"/v1/users/{user['id']}", headers=admin.headers)
    assert read.json() == user

    changed = await api.client.patch(
        f"/v1/users/{user['id']}",
        json={"name": "Samantha Staff", "email": "SAMANTHA@example.com", "role": "admin"},
        headers=admin.headers,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["name"] == "Samantha Staff"
    assert changed.json()["email"] == "samantha@example.com"
    assert changed.json()["role"] == "admin"
    assert changed.json()["office_id"] == office["id"]
    samantha = await api.sign_in("samantha@example.com")
    assert (await api.client.get("/v1/me", headers=samantha.headers)).json()["role"] == "admin"

    deleted = await api.client.delete(f"/v1/users/{user['id']}", headers=admin.headers)
    assert deleted.status_code == 204
    problem(
        await api.client.get(f"/v1/users/{user['id']}", headers=admin.headers),
        404,
        "user_not_found",
    )
    problem(await api.client.get("/v1/me", headers=samantha.headers), 401, "token_revoked")


async def test_role_change_applies_to_existing_tokens(api: Api) -> None:
    admin = await api.sign_up_firm()
    staff = await api.add_staff(admin)
    problem(await api.client.post("/v1/offices", json={"name": "A"}, headers=staff.headers), 403)

    await api.client.patch(
        f"/v1/users/{staff.user_id}", json={"role": "admin"}, headers=admin.headers
    )

    response = await api.client.post("/v1/offices", json={"name": "A"}, headers=staff.headers)
    assert response.status_code == 201


async def test_emails_are_unique_across_firms(api: Api) -> None:
    admin = await api.sign_up_firm()
    other = await api.sign_up_firm("Other Firm")
    existing = await api.create_user(admin)

    for creator in (admin, other):
        response = await api.client.post(
            "/v1/users",
            json={"email": existing["email"].upper(), "name": "Dup", "password": PASSWORD},
            headers=creator.headers,
        )
        problem(response, 409, "email_taken")

    second = await api.create_user(admin)
    response = await api.client.patch(
        f"/v1/users/{second['id']}", json={"email": existing["email"]}, headers=admin.headers
    )
    problem(response, 409, "email_taken")
    response = await api.client.patch(
        f"/v1/users/{second['id']}", json={"email": other.email}, headers=admin.headers
    )
    problem(response, 409, "email_taken")


async def test_office_must_belong_to_the_firm(api: Api) -> None:
    admin = await api.sign_up_firm()
    other = await api.sign_up_firm("Other Firm")
    foreign = (
        await api.client.post("/v1/offices", json={"name": "Theirs"}, headers=other.headers)
    ).json()

    response = await api.client.post(
        "/v1/users",
        json={
            "email": "x@example.com",
            "name": "X",
            "password": PASSWORD,
            "office_id": foreign["id"],
        },
        headers=admin.headers,
    )
    body = problem(response, 422, "office_not_found")
    assert body["errors"][0]["loc"] == ["body", "office_id"]

    user = await api.create_user(admin)
    response = await api.client.patch(
        f"/v1/users/{user['id']}", json={"office_id": foreign["id"]}, headers=admin.headers
    )
    problem(response, 422, "office_not_found")


async def test_last_active_admin_stays(api: Api) -> None:
    admin = await api.sign_up_firm()
    url = f"/v1/users/{admin.user_id}"

    problem(
        await api.client.patch(url, json={"role": "staff"}, headers=admin.headers),
        409,
        "last_admin",
    )
    problem(await api.client.delete(url, headers=admin.headers), 409, "cannot_delete_self")

    # With a second admin, the first may step down; then the second is the last one.
    second = await api.add_staff(admin, role="admin")
    demoted = await api.client.patch(url, json={"role": "staff"}, headers=second.headers)
    assert demoted.status_code == 200 and demoted.json()["role"] == "staff"
    problem(
        await api.client.patch(
            f"/v1/users/{second.user_id}", json={"role": "staff"}, headers=second.headers
        ),
        409,
        "last_admin",
    )
    me = (await api.client.get(f"/v1/users/{second.user_id}", headers=second.headers)).json()
    assert me["role"] == "admin"


async def test_inactive_admins_do_not_count(api: Api) -> None:
    admin = await api.sign_up_firm()
    second = await api.add_staff(admin, role="admin")

    response = await api.client.post(
        f"/v1/users/{admin.user_id}/deactivate", headers=second.headers
    )
    assert response.status_code == 200 and response.json()["is_active"] is False

    # second is now the only active admin and cannot step down.
    problem(
        await api.client.patch(
            f"/v1/users/{second.user_id}", json={"role": "staff"}, headers=second.headers
        ),
        409,
        "last_admin",
    )
    # The inactive admin may be deleted.
    deleted = await api.client.delete(f"/v1/users/{admin.user_id}", headers=second.headers)
    assert deleted.status_code == 204


async def test_cannot_deactivate_self(api: Api) -> None:
    admin = await api.sign_up_firm()
    await api.add_staff(admin, role="admin")

    response = await api.client.post(f"/v1/users/{admin.user_id}/deactivate", headers=admin.headers)

    problem(response, 409, "cannot_deactivate_self")
    assert (await api.client.get("/v1/me", headers=admin.headers)).status_code == 200


async def test_deactivate_and_reactivate(api: Api) -> None:
    admin = await api.sign_up_firm()
    staff = await api.add_staff(admin)
    url = f"/v1/users/{staff.user_id}"

    before = await api.client.get(url, headers=admin.headers)
    off = await api.client.post(f"{url}/deactivate", headers=admin.headers)
    assert off.status_code == 200 and off.json()["is_active"] is False
    assert off.headers["etag"] != before.headers["etag"]
    again = await api.client.post(f"{url}/deactivate", headers=admin.headers)
    assert again.status_code == 200 and again.json()["is_active"] is False  # idempotent

    on = await api.client.post(f"{url}/reactivate", headers=admin.headers)
    assert on.status_code == 200 and on.json()["is_active"] is True
    assert (await api.token(staff.email)).status_code == 200


async def test_staff_read_but_do_not_manage_users(api: Api) -> None:
    admin = await api.sign_up_firm()
    staff = await api.add_staff(admin)
    url = f"/v1/users/{admin.user_id}"

    assert (await api.client.get("/v1/users", headers=staff.headers)).status_code == 200
    assert (await api.client.get(url, headers=staff.headers)).status_code == 200
    for response in (
        await api.client.post(
            "/v1/users",
            json={"email": "n@example.com", "name": "N", "password": PASSWORD},
            headers=staff.headers,
        ),
        await api.client.patch(url, json={"role": "staff"}, headers=staff.headers),
        await api.client.patch(
            f"/v1/users/{staff.user_id}", json={"role": "admin"}, headers=staff.headers
        ),
        await api.client.post(f"{url}/deactivate", headers=staff.headers),
        await api.client.post(f"{url}/reactivate", headers=staff.headers),
        await api.client.delete(url, headers=staff.headers),
    ):
        problem(response, 403, "admin_required")
    assert (await api.client.get("/v1/me", headers=staff.headers)).json()["role"] == "staff"
    assert (await api.client.get(url, headers=admin.headers)).json()["role"] == "admin"


async def test_user_validation(api: Api) -> None:
    admin = await api.sign_up_firm()
    user = await api.create_user(admin)
    for body in (
        {"email": None},
        {"name": None},
        {"role": None},
        {"password": None},
        {"password": "short"},
        {"role": "owner"},
    ):
        response = await api.client.patch(
            f"/v1/users/{user['id']}", json=body, headers=admin.headers
        )
        problem(response, 422, "validation_failed")


@pytest.mark.committed  # the two transactions really race
async def test_two_admins_demoting_each_other_at_once_leave_one_admin(api: Api) -> None:
    admin = await api.sign_up_firm()
    second = await api.add_staff(admin, role="admin")

    results = await asyncio.gather(
        api.client.patch(
            f"/v1/users/{second.user_id}", json={"role": "staff"}, headers=admin.headers
        ),
        api.client.patch(
            f"/v1/users/{admin.user_id}", json={"role": "staff"}, headers=second.headers
        ),
    )

    # One wins; the other finds itself demoted (403) or the last admin (409).
    statuses = sorted(r.status_code for r in results)
    assert statuses in ([200, 403], [200, 409]), [r.text for r in results]
    users = (await api.client.get("/v1/users?role=admin", headers=admin.headers)).json()
    assert len(users["items"]) == 1


@pytest.mark.committed  # the two transactions really race
async def test_two_admins_deactivating_each_other_at_once_leave_one_admin(api: Api) -> None:
    admin = await api.sign_up_firm()
    second = await api.add_staff(admin, role="admin")

    results = await asyncio.gather(
        api.client.post(f"/v1/users/{second.user_id}/deactivate", headers=admin.headers),
        api.client.post(f"/v1/users/{admin.user_id}/deactivate", headers=second.headers),
    )

    statuses = sorted(r.status_code for r in results)
    assert statuses in ([200, 401], [200, 409]), [r.text for r in results]
    winner = admin if results[0].status_code == 200 else second
    active = await api.client.get(
        "/v1/users", params={"role": "admin", "is_active": "true"}, headers=winner.headers
    )
    assert len(active.json()["items"]) == 1
