"""Story-like helpers: sign up a firm, sign people in, call the API as them."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

import httpx

PASSWORD = "correct horse battery"


@dataclass
class Actor:
    """A signed-in principal: use ``actor.headers`` on requests."""

    email: str
    token: str
    refresh_token: str
    user_id: str
    firm_id: str
    kind: str = "staff"  # or "contact"
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.headers = {"Authorization": f"Bearer {self.token}"}


def problem(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """Assert ``response`` is a problem+json answer with ``status`` (and ``code``)."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert {"type", "title", "detail", "code"} <= body.keys()
    if code is not None:
        assert body["code"] == code, body
    return body


class Api:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def token(self, email: str, password: str = PASSWORD) -> httpx.Response:
        return await self.client.post(
            "/v1/auth/token", data={"username": email, "password": password}
        )

    async def sign_in(self, email: str, password: str = PASSWORD) -> Actor:
        response = await self.token(email, password)
        assert response.status_code == 200, response.text
        body = response.json()
        me = await self.client.get(
            "/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"}
        )
        assert me.status_code == 200, me.text
        return Actor(
            email=email,
            token=body["access_token"],
            refresh_token=body["refresh_token"],
            user_id=me.json()["id"],
            firm_id=me.json()["firm_id"],
            kind=me.json()["kind"],
        )

    async def sign_up_firm(self, name: str = "Acme Audit") -> Actor:
        email = f"admin-{secrets.token_hex(4)}@{name.split()[0].lower()}.example.com"
        response = await self.client.post(
            "/v1/firms",
            json={
                "firm_name": name,
                "admin_name": "Alice Admin",
                "admin_email": email,
                "admin_password": PASSWORD,
            },
        )
        assert response.status_code == 201, response.text
        return await self.sign_in(email)

    async def create_user(
        self, admin: Actor, *, role: str = "staff", name: str = "Sam Staff", **extra: Any
    ) -> dict[str, Any]:
        email = f"{role}-{secrets.token_hex(4)}@example.com"
        response = await self.client.post(
            "/v1/users",
            json={"email": email, "name": name, "role": role, "password": PASSWORD, **extra},
            headers=admin.headers,
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    async def add_staff(self, admin: Actor, *, role: str = "staff", **extra: Any) -> Actor:
        user = await self.create_user(admin, role=role, **extra)
        return await self.sign_in(user["email"])
