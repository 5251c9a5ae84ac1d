"""Arrange helpers for answering client requests: requests sent through the staff route
(guest link tokens read from its answer), and the answering calls."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import update

from practice_api.client_requests.models import ClientRequest
from tests.helpers import Actor, Api

QUESTIONS: list[dict[str, Any]] = [
    {"id": "name", "type": "short_text", "prompt": "Your name", "required": True},
    {"id": "notes", "type": "long_text", "prompt": "Anything else?", "max_length": 50},
    {"id": "kids", "type": "number", "prompt": "Children", "integer": True, "min": 0, "max": 20},
    {
        "id": "born",
        "type": "date",
        "prompt": "Birth date",
        "min_date": "1900-01-01",
        "max_date": "2026-12-31",
    },
    {"id": "moved", "type": "yes_no", "prompt": "Did you move?", "required": True},
    {
        "id": "status",
        "type": "single_choice",
        "prompt": "Status",
        "options": [{"value": "single"}, {"value": "married"}],
    },
    {
        "id": "income",
        "type": "multiple_choice",
        "prompt": "Income",
        "options": [{"value": "salary"}, {"value": "rent"}, {"value": "dividends"}],
        "max_selections": 2,
    },
    {"id": "slips", "type": "file_upload", "prompt": "Pay slips", "max_files": 2},
]

PDF = b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def pdf(name: str = "slip.pdf") -> dict[str, Any]:
    return {"file": (name, PDF, "application/pdf")}


@dataclass
class Made:
    id: str
    entity_id: str
    links: dict[str, str] = field(default_factory=dict)  # guest e-mail -> link token
    recipients: dict[str, str] = field(default_factory=dict)  # e-mail / contact id -> row id


async def make_request(
    api: Api,
    app: Any,
    admin: Actor,
    entity_id: str,
    *,
    contacts: Sequence[str] = (),
    guests: Sequence[tuple[str, str]] = (),
    questions: list[dict[str, Any]] | None = None,
    title: str = "Year-end questions",
    one_time_code: bool = False,
    task_id: str | None = None,
    auto_advance: bool = False,
    status: str = "pending",
) -> Made:
    """Sent through the staff route: to contacts (ids, granted on the entity) or guests
    (name, e-mail), each guest's link token read from the answer (shown once). A
    ``status`` other than pending is set on the row afterwards (for set-ups)."""
    body: dict[str, Any] = {
        "title": title,
        "message": "Please answer before the 15th.",
        "questions": questions or QUESTIONS,
        "security": {"one_time_code": one_time_code},
        "auto_advance": auto_advance,
        **({"task_id": task_id} if task_id else {}),
    }
    if guests:
        body |= {"audience": "guest", "guests": [{"name": n, "email": e} for n, e in guests]}
    else:
        body |= {"audience": "portal", "contact_ids": list(contacts)}
    response = await api.client.post(
        f"/v1/entities/{entity_id}/client-requests", json=body, headers=admin.headers
    )
    assert response.status_code == 201, response.text
    created = response.json()
    made = Made(id=str(created["id"]), entity_id=entity_id)
    for recipient in created["recipients"]:
        key = recipient["contact_id"] or recipient["email"]
        made.recipients[key] = recipient["id"]
        if recipient["kind"] == "guest":
            made.links[recipient["email"]] = recipient["link_token"]
    if status != "pending":
        async with app.state.runtime.sessionmaker() as session:
            await session.execute(
                update(ClientRequest)
                .where(ClientRequest.id == uuid.UUID(made.id))
                .values(status=status)
            )
            await session.commit()
    return made


def portal(request_id: str, tail: str = "") -> str:
    return f"/v1/portal/client-requests/{request_id}{tail}"


def public(token: str, tail: str = "") -> str:
    return f"/v1/public/client-requests/{token}{tail}"


async def save(
    client: httpx.AsyncClient, path: str, answers: dict[str, Any], headers: dict[str, str]
) -> httpx.Response:
    return await client.patch(path + "/answers", json={"answers": answers}, headers=headers)
