"""Arrange helpers for task types and tasks."""

from __future__ import annotations

from typing import Any

from tests.helpers import Actor, Api

PDF = b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"

MONTHLY_CLOSE: dict[str, Any] = {
    "name": "Monthly close",
    "stages": ["To do", "Waiting for client", "In review", "Done"],
    "input_documents": [
        {"name": "Bank statements", "required": True},
        {"name": "Receipts", "required": False},
    ],
    "output_documents": [
        {
            "name": "Payroll report",
            "due_rule": {"kind": "day_of_month_after_period", "day": 20, "months_after": 1},
            "visible_to_client": True,
        },
        {
            "name": "Internal review notes",
            "due_rule": {"kind": "days_after_task_due", "days": 5},
            "visible_to_client": False,
        },
    ],
    "recurrence": {"frequency": "monthly", "day": 31, "months_after": 1},
}


async def create_type(api: Api, admin: Actor, **overrides: Any) -> dict[str, Any]:
    body = {**MONTHLY_CLOSE, **overrides}
    response = await api.client.post("/v1/task-types", json=body, headers=admin.headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def create_task(api: Api, staff: Actor, entity_id: str, **body: Any) -> dict[str, Any]:
    response = await api.client.post(
        f"/v1/entities/{entity_id}/tasks", json=body, headers=staff.headers
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def subscribe(
    api: Api, staff: Actor, entity_id: str, type_id: str, **body: Any
) -> dict[str, Any]:
    response = await api.client.put(
        f"/v1/entities/{entity_id}/task-subscriptions/{type_id}", json=body, headers=staff.headers
    )
    assert response.status_code in (200, 201), response.text
    result: dict[str, Any] = response.json()
    return result


async def set_firm(api: Api, admin: Actor, **body: Any) -> None:
    response = await api.client.patch("/v1/firm", json=body, headers=admin.headers)
    assert response.status_code == 200, response.text


def pdf(name: str = "report.pdf") -> dict[str, Any]:
    return {"file": (name, PDF, "application/pdf")}
