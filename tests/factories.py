"""Arrange helpers for entities, owners and shares: API calls, or rows for bulk set-ups."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from sqlalchemy import select

from practice_api.entities.models import Entity
from practice_api.events.models import Event
from tests.helpers import Actor, Api


async def create_owner(api: Api, admin: Actor, **body: Any) -> dict[str, Any]:
    if not body:
        body = {"name": f"Owner {secrets.token_hex(3)}"}
    response = await api.client.post("/v1/owners", json=body, headers=admin.headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def owner_for(api: Api, admin: Actor, user: Actor) -> dict[str, Any]:
    """The owner entry of a staff user (created on first use)."""
    response = await api.client.post(
        "/v1/owners", json={"user_id": user.user_id}, headers=admin.headers
    )
    if response.status_code == 409:
        existing = await api.client.get(
            f"/v1/owners/{response.json()['owner_id']}", headers=admin.headers
        )
        body: dict[str, Any] = existing.json()
        return body
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def create_entity(api: Api, actor: Actor, **body: Any) -> dict[str, Any]:
    body.setdefault("name", f"Client {secrets.token_hex(3)}")
    response = await api.client.post("/v1/entities", json=body, headers=actor.headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def insert_entities(
    app: Any, firm_id: str, count: int, *, owner_id: str | None = None, prefix: str = "Bulk"
) -> list[uuid.UUID]:
    """Many entities at once, straight into the database (for size and cost tests)."""
    async with app.state.sessionmaker() as session:
        rows = [
            Entity(
                firm_id=uuid.UUID(firm_id),
                name=f"{prefix} {i:04d}",
                kind="company",
                owner_id=uuid.UUID(owner_id) if owner_id else None,
            )
            for i in range(count)
        ]
        session.add_all(rows)
        await session.commit()
        return [row.id for row in rows]


async def events(app: Any, type: str | None = None) -> list[Event]:
    async with app.state.sessionmaker() as session:
        statement = select(Event).order_by(Event.occurred_at, Event.id)
        if type is not None:
            statement = statement.where(Event.type == type)
        return list((await session.scalars(statement)).all())


async def entity_owner_ids(app: Any, ids: list[uuid.UUID]) -> set[uuid.UUID | None]:
    async with app.state.sessionmaker() as session:
        rows = await session.scalars(select(Entity.owner_id).where(Entity.id.in_(ids)))
        return set(rows.all())
