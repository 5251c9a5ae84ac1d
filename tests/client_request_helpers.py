"""Arrange helpers for client requests: a firm with an entity, a portal contact and a shared
viewer; sending requests; moving a request through the answering states (the portal and
guest routes do it in the app; here the domain's own functions do it directly)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from practice_api.client_requests import service
from practice_api.client_requests.models import ClientRequest, ClientRequestAnswer
from practice_api.core.principals import Actor as EventActor
from tests.contact_helpers import portal_contact
from tests.factories import create_entity
from tests.helpers import Actor, Api

QUESTIONS: list[dict[str, Any]] = [
    {"type": "short_text", "id": "name", "prompt": "Your name", "required": True},
    {"type": "yes_no", "id": "moved", "prompt": "Did you move in 2026?"},
    {
        "type": "single_choice",
        "id": "status",
        "prompt": "Marital status",
        "options": [{"value": "single"}, {"value": "married", "label": "Married"}],
    },
]


@dataclass
class Firm:
    admin: Actor
    viewer: Actor
    entity_id: str
    contact: dict[str, Any]
    contact_actor: Actor


async def firm_with_contact(api: Api, app: Any, name: str = "Acme Audit") -> Firm:
    admin = await api.sign_up_firm(name)
    viewer = await api.add_staff(admin, name="Vera Viewer")
    entity = await create_entity(api, admin, name="Client Co")
    shared = await api.client.post(
        f"/v1/entities/{entity['id']}/shares",
        json={"user_id": viewer.user_id, "role": "viewer"},
        headers=admin.headers,
    )
    assert shared.status_code == 201, shared.text
    contact, contact_actor = await portal_contact(api, app, admin, entity["id"], "viewer")
    return Firm(admin, viewer, entity["id"], contact, contact_actor)


async def send(
    api: Api,
    f: Firm,
    *,
    expect: int = 201,
    actor: Actor | None = None,
    entity_id: str | None = None,
    **body: Any,
) -> httpx.Response:
    body.setdefault("title", "Tax return 2026")
    body.setdefault("questions", QUESTIONS)
    body.setdefault("audience", "portal")
    if body["audience"] == "portal":
        body.setdefault("contact_ids", [f.contact["id"]])
    response = await api.client.post(
        f"/v1/entities/{entity_id or f.entity_id}/client-requests",
        json=body,
        headers=(actor or f.admin).headers,
    )
    assert response.status_code == expect, response.text
    return response


async def answer(
    app: Any, request_id: str, values: dict[str, Any], *, submit: bool = False
) -> None:
    """Save answers as the client would (first answer: ``in_progress``), then optionally
    submit."""
    actor = EventActor(kind="contact", id=uuid.uuid4(), name="Carla Client")
    async with app.state.sessionmaker() as session:
        request = await session.get(ClientRequest, uuid.UUID(request_id))
        assert request is not None
        for question_id, value in values.items():
            session.add(
                ClientRequestAnswer(
                    firm_id=request.firm_id,
                    request_id=request.id,
                    question_id=question_id,
                    value=value,
                    answered_by_kind="contact",
                    answered_by_name=actor.name,
                )
            )
        await session.flush()
        await service.mark_started(session, request, actor)
        if submit:
            await service.mark_submitted(session, request, actor)
        await session.commit()


async def get(api: Api, actor: Actor, path: str, **params: Any) -> dict[str, Any]:
    response = await api.client.get(path, params=params, headers=actor.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
