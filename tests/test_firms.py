"""Firm sign-up and the firm's settings."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import PASSWORD, Api, problem


def signup_body(email: str = "founder@newfirm.example.com", **extra: Any) -> dict[str, Any]:
    return {
        "firm_name": "New Firm LLP",
        "admin_name": "Fran Founder",
        "admin_email": email,
        "admin_password": PASSWORD,
        **extra,
    }


async def test_sign_up_creates_firm_and_admin(api: Api) -> None:
    response = await api.client.post("/v1/firms", json=signup_body("Founder@NewFirm.example.com"))

    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == "/v1/firm"
    assert response.headers["etag"] == '"1"'
    assert body["firm"]["name"] == "New Firm LLP"
    assert body["firm"]["client_ownership_enabled"] is False
    assert body["firm"]["detailed_notifications_enabled"] is False
    assert body["admin"]["email"] == "founder@newfirm.example.com"
    assert body["admin"]["role"] == "admin" and body["admin"]["is_active"] is True
    assert "password" not in response.text and "hash" not in response.text

    admin = await api.sign_in("founder@newfirm.example.com")
    firm = (await api.client.get("/v1/firm", headers=admin.headers)).json()
    assert firm["id"] == body["firm"]["id"] == admin.firm_id


async def test_sign_up_with_a_taken_email(api: Api) -> None:
    assert (await api.client.post("/v1/firms", json=signup_body())).status_code == 201
    again = await api.client.post("/v1/firms", json=signup_body("FOUNDER@newfirm.example.com"))
    problem(again, 409, "email_taken")


async def test_sign_up_validates(api: Api) -> None:
    response = await api.client.post(
        "/v1/firms", json=signup_body(firm_name="  ", admin_password="short")
    )
    body = problem(response, 422, "validation_failed")
    assert {tuple(e["loc"]) for e in body["errors"]} == {
        ("body", "firm_name"),
        ("body", "admin_password"),
    }


class TestSignupTurnedOff:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"signup_allowed": False}

    async def test_sign_up_is_refused(self, api: Api) -> None:
        response = await api.client.post("/v1/firms", json=signup_body())
        problem(response, 403, "signup_disabled")
        assert (await api.token("founder@newfirm.example.com")).status_code == 401


async def test_get_firm(api: Api) -> None:
    admin = await api.sign_up_firm("Acme Audit")
    staff = await api.add_staff(admin)

    for actor in (admin, staff):
        response = await api.client.get("/v1/firm", headers=actor.headers)
        assert response.status_code == 200
        assert response.json()["name"] == "Acme Audit"
        assert response.headers["etag"] == '"1"'


async def test_admin_changes_name_and_settings(api: Api) -> None:
    admin = await api.sign_up_firm("Acme Audit")

    response = await api.client.patch(
        "/v1/firm",
        json={
            "name": "Acme Audit & Tax",
            "client_ownership_enabled": True,
            "detailed_notifications_enabled": True,
        },
        headers=admin.headers,
    )

    assert response.status_code == 200, response.text
    assert response.headers["etag"] == '"2"'
    firm = (await api.client.get("/v1/firm", headers=admin.headers)).json()
    assert firm["name"] == "Acme Audit & Tax"
    assert firm["client_ownership_enabled"] is True
    assert firm["detailed_notifications_enabled"] is True
    assert firm["updated_at"] >= firm["created_at"]

    # Absent fields stay as they are.
    response = await api.client.patch(
        "/v1/firm", json={"client_ownership_enabled": False}, headers=admin.headers
    )
    assert response.json()["name"] == "Acme Audit & Tax"
    assert response.json()["client_ownership_enabled"] is False
    assert response.json()["detailed_notifications_enabled"] is True


async def test_firm_fields_cannot_be_nulled_or_blank(api: Api) -> None:
    admin = await api.sign_up_firm("Acme Audit")
    for body in ({"name": None}, {"name": ""}, {"client_ownership_enabled": None}):
        response = await api.client.patch("/v1/firm", json=body, headers=admin.headers)
        problem(response, 422, "validation_failed")
    firm = (await api.client.get("/v1/firm", headers=admin.headers)).json()
    assert firm["name"] == "Acme Audit"


async def test_staff_cannot_change_the_firm(api: Api) -> None:
    admin = await api.sign_up_firm("Acme Audit")
    staff = await api.add_staff(admin)

    response = await api.client.patch("/v1/firm", json={"name": "Mine"}, headers=staff.headers)

    problem(response, 403, "admin_required")
    assert (await api.client.get("/v1/firm", headers=admin.headers)).json()["name"] == "Acme Audit"


async def test_firm_needs_a_token(api: Api) -> None:
    problem(await api.client.get("/v1/firm"), 401, "token_missing")


async def test_firm_time_zone_defaults_to_utc_and_takes_iana_names(api: Api) -> None:
    admin = await api.sign_up_firm("Acme Audit")
    assert (await api.client.get("/v1/firm", headers=admin.headers)).json()["time_zone"] == "UTC"

    response = await api.client.patch(
        "/v1/firm", json={"time_zone": "Europe/Paris"}, headers=admin.headers
    )

    assert response.status_code == 200, response.text
    assert response.json()["time_zone"] == "Europe/Paris"
    for bad in ("Mars/Olympus", "", "../etc/passwd", "/etc/localtime", None):
        problem(
            await api.client.patch("/v1/firm", json={"time_zone": bad}, headers=admin.headers),
            422,
            "validation_failed",
        )
    firm = (await api.client.get("/v1/firm", headers=admin.headers)).json()
    assert firm["time_zone"] == "Europe/Paris"
