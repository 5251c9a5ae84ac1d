"""Strict tenant isolation: nothing of firm A is visible to or changeable by firm B."""

from __future__ import annotations

from typing import Any

from jose import jwt

from tests.helpers import PASSWORD, Actor, Api, problem


async def firm_a_with_data(api: Api) -> tuple[Actor, dict[str, Any], dict[str, Any]]:
    admin_a = await api.sign_up_firm("Alpha Audit")
    office = (
        await api.client.post("/v1/offices", json={"name": "Alpha HQ"}, headers=admin_a.headers)
    ).json()
    user = await api.create_user(admin_a, name="Alpha Person", office_id=office["id"])
    return admin_a, office, user


async def test_other_firm_gets_404_on_every_route(api: Api) -> None:
    admin_a, office, user = await firm_a_with_data(api)
    admin_b = await api.sign_up_firm("Beta Books")
    staff_b = await api.add_staff(admin_b)

    for actor in (admin_b, staff_b):
        h = actor.headers
        problem(await api.client.get(f"/v1/offices/{office['id']}", headers=h), 404)
        problem(await api.client.get(f"/v1/users/{user['id']}", headers=h), 404)
        problem(await api.client.get(f"/v1/users/{admin_a.user_id}", headers=h), 404)

    h = admin_b.headers
    responses = [
        await api.client.patch(f"/v1/offices/{office['id']}", json={"name": "Pwned"}, headers=h),
        await api.client.delete(f"/v1/offices/{office['id']}", headers=h),
        await api.client.patch(f"/v1/users/{user['id']}", json={"name": "Pwned"}, headers=h),
        await api.client.patch(
            f"/v1/users/{user['id']}", json={"password": "pwned-password"}, headers=h
        ),
        await api.client.post(f"/v1/users/{user['id']}/deactivate", headers=h),
        await api.client.post(f"/v1/users/{admin_a.user_id}/reactivate", headers=h),
        await api.client.delete(f"/v1/users/{user['id']}", headers=h),
    ]
    for response in responses:
        body = problem(response, 404)
        assert body["code"] in ("office_not_found", "user_not_found")
        assert "Alpha" not in response.text

    # Nothing changed in firm A.
    office_now = await api.client.get(f"/v1/offices/{office['id']}", headers=admin_a.headers)
    assert office_now.json()["name"] == "Alpha HQ"
    user_now = await api.client.get(f"/v1/users/{user['id']}", headers=admin_a.headers)
    assert user_now.json()["name"] == "Alpha Person" and user_now.json()["is_active"] is True
    assert (await api.token(user["email"], PASSWORD)).status_code == 200


async def test_lists_show_only_the_own_firm(api: Api) -> None:
    _, office, _ = await firm_a_with_data(api)
    admin_b = await api.sign_up_firm("Beta Books")
    await api.client.post("/v1/offices", json={"name": "Beta HQ"}, headers=admin_b.headers)

    offices = (await api.client.get("/v1/offices", headers=admin_b.headers)).json()["items"]
    users = (await api.client.get("/v1/users", headers=admin_b.headers)).json()["items"]
    assert [o["name"] for o in offices] == ["Beta HQ"]
    assert [u["id"] for u in users] == [admin_b.user_id]

    # Filters and search do not reach across either.
    filtered = await api.client.get(
        "/v1/users", params={"office_id": office["id"]}, headers=admin_b.headers
    )
    assert filtered.json()["items"] == []
    searched = await api.client.get("/v1/users", params={"q": "alpha"}, headers=admin_b.headers)
    assert searched.json()["items"] == []

    firm = (await api.client.get("/v1/firm", headers=admin_b.headers)).json()
    assert firm["name"] == "Beta Books"


async def test_firm_settings_are_per_firm(api: Api) -> None:
    admin_a, _, _ = await firm_a_with_data(api)
    admin_b = await api.sign_up_firm("Beta Books")

    await api.client.patch(
        "/v1/firm", json={"client_ownership_enabled": True}, headers=admin_b.headers
    )

    firm_a = (await api.client.get("/v1/firm", headers=admin_a.headers)).json()
    assert firm_a["name"] == "Alpha Audit" and firm_a["client_ownership_enabled"] is False


async def test_a_foreign_office_cannot_be_assigned(api: Api) -> None:
    _, office, _ = await firm_a_with_data(api)
    admin_b = await api.sign_up_firm("Beta Books")

    response = await api.client.patch(
        f"/v1/users/{admin_b.user_id}", json={"office_id": office["id"]}, headers=admin_b.headers
    )

    problem(response, 422, "office_not_found")


async def test_a_forged_firm_claim_is_refused(api: Api, settings: Any) -> None:
    admin_a, _, _ = await firm_a_with_data(api)
    admin_b = await api.sign_up_firm("Beta Books")
    claims = {**jwt.get_unverified_claims(admin_b.token), "fid": admin_a.firm_id}
    token = jwt.encode(claims, settings.signing_key, algorithm="HS256")

    response = await api.client.get("/v1/offices", headers={"Authorization": f"Bearer {token}"})

    problem(response, 401, "token_revoked")
