"""Arrange helpers for contacts, groups, discussions and signed-in portal contacts."""

from __future__ import annotations

import datetime as dt
import re
import secrets
import uuid
from typing import Any

from sqlalchemy import update

from practice_api.contacts.models import Contact, ContactSecret
from practice_api.core.security import hash_secret, new_secret
from practice_api.core.time import utcnow
from tests.helpers import PASSWORD, Actor, Api


async def post(api: Api, actor: Actor, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await api.client.post(path, json=body, headers=actor.headers)
    assert response.status_code == 201, (path, response.text)
    result: dict[str, Any] = response.json()
    return result


async def create_contact(api: Api, staff: Actor, **body: Any) -> dict[str, Any]:
    body.setdefault("name", f"Carla Client {secrets.token_hex(2)}")
    body.setdefault("email", f"contact-{secrets.token_hex(4)}@client.example.com")
    return await post(api, staff, "/v1/contacts", body)


async def grant(
    api: Api, staff: Actor, entity_id: str, contact_id: str, role: str = "viewer"
) -> dict[str, Any]:
    response = await api.client.put(
        f"/v1/entities/{entity_id}/contacts/{contact_id}",
        json={"role": role},
        headers=staff.headers,
    )
    assert response.status_code in (200, 201), response.text
    result: dict[str, Any] = response.json()
    return result


async def create_group(
    api: Api, staff: Actor, entity_id: str, contact_ids: list[str], name: str | None = None
) -> dict[str, Any]:
    body = {"name": name or f"Group {secrets.token_hex(3)}", "contact_ids": contact_ids}
    return await post(api, staff, f"/v1/entities/{entity_id}/contact-groups", body)


async def create_discussion(
    api: Api, staff: Actor, entity_id: str, group_ids: list[str], subject: str = "Year end"
) -> dict[str, Any]:
    body = {"subject": subject, "body": "Please read the draft.", "group_ids": group_ids}
    return await post(api, staff, f"/v1/entities/{entity_id}/discussions", body)


async def activate_directly(app: Any, contact_id: str, password: str = PASSWORD) -> None:
    """Skip the e-mail: set the password as activation would (for set-ups, not the story)."""
    runtime = app.state.runtime
    async with runtime.sessionmaker() as session:
        await session.execute(
            update(Contact)
            .where(Contact.id == uuid.UUID(contact_id))
            .values(portal_status="active", password_hash=runtime.hasher.hash(password))
        )
        await session.commit()


async def portal_contact(
    api: Api, app: Any, staff: Actor, entity_id: str, role: str = "viewer"
) -> tuple[dict[str, Any], Actor]:
    """A contact with access to ``entity_id``, active and signed in."""
    contact = await create_contact(api, staff)
    await grant(api, staff, entity_id, contact["id"], role)
    await activate_directly(app, contact["id"])
    return contact, await api.sign_in(contact["email"])


async def issue_secret(app: Any, contact_id: str, purpose: str) -> str:
    """A live invitation or reset secret for a contact, as the e-mail would carry it."""
    secret = new_secret()
    async with app.state.runtime.sessionmaker() as session:
        contact = await session.get(Contact, uuid.UUID(contact_id))
        assert contact is not None
        if purpose == "invite":
            contact.portal_status = "invited"
        session.add(
            ContactSecret(
                firm_id=contact.firm_id,
                contact_id=contact.id,
                purpose=purpose,
                token_hash=hash_secret(secret),
                expires_at=utcnow() + dt.timedelta(hours=1),
            )
        )
        await session.commit()
    return secret


def link_token(text: str) -> str:
    match = re.search(r"\?token=([A-Za-z0-9_\-%]+)", text)
    assert match, text
    return match.group(1)
