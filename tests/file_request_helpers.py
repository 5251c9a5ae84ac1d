"""Arrange helpers for file requests: a firm with an entity, contributor contacts and a
shared viewer, and calls as each of them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from tests.contact_helpers import portal_contact
from tests.factories import create_entity
from tests.helpers import Actor, Api

PDF = b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def pdf(name: str = "scan.pdf", extra: bytes = b"") -> dict[str, Any]:
    return {"file": (name, PDF + extra, "application/pdf")}


@dataclass
class Firm:
    admin: Actor
    viewer: Actor
    entity_id: str
    contact: dict[str, Any]
    contact_actor: Actor
    viewer_contact: dict[str, Any]


async def firm_with_contacts(api: Api, app: Any) -> Firm:
    admin = await api.sign_up_firm("Acme Audit")
    viewer = await api.add_staff(admin, name="Vera Viewer")
    entity = await create_entity(api, admin, name="Client Co")
    shared = await api.client.post(
        f"/v1/entities/{entity['id']}/shares",
        json={"user_id": viewer.user_id, "role": "viewer", "notifications": ["response_received"]},
        headers=admin.headers,
    )
    assert shared.status_code == 201, shared.text
    contact, contact_actor = await portal_contact(api, app, admin, entity["id"], "contributor")
    viewer_contact, _ = await portal_contact(api, app, admin, entity["id"], "viewer")
    return Firm(admin, viewer, entity["id"], contact, contact_actor, viewer_contact)


async def create_request(
    api: Api, f: Firm, *, expect: int = 201, actor: Actor | None = None, **body: Any
) -> httpx.Response:
    body.setdefault("subject", "Year-end 2026")
    body.setdefault("recipients", [f.contact["id"]])
    body.setdefault("items", [{"title": "Bank statements"}])
    response = await api.client.post(
        f"/v1/entities/{f.entity_id}/file-requests",
        json=body,
        headers=(actor or f.admin).headers,
    )
    assert response.status_code == expect, response.text
    return response


async def upload(
    api: Api, actor: Actor, request_id: str, item_id: str, *, expect: int = 201, extra: bytes = b""
) -> httpx.Response:
    response = await api.client.post(
        f"/v1/portal/file-requests/{request_id}/items/{item_id}/uploads",
        files=pdf(extra=extra),
        headers=actor.headers,
    )
    assert response.status_code == expect, response.text
    return response


async def get(api: Api, actor: Actor, path: str) -> dict[str, Any]:
    response = await api.client.get(path, headers=actor.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
