"""In-app notifications: events fan out through the outbox; each principal reads their own."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import FastAPI
from sqlalchemy import func, select

from practice_api.core.errors import Conflict
from practice_api.db import SessionDep
from practice_api.events.dispatcher import Dispatcher
from practice_api.events.models import Delivery, Event
from practice_api.users import service as users_service
from practice_api.users.schemas import UserCreate
from tests.event_helpers import deliveries
from tests.helpers import PASSWORD, Api, problem

pytest_plugins = ["tests.event_fixtures"]


async def test_new_user_gets_an_in_app_notification_once_dispatched(
    api: Api, app: Any, dispatcher: Dispatcher
) -> None:
    admin = await api.sign_up_firm()
    user = await api.create_user(admin, name="Sam Staff")
    staff = await api.sign_in(user["email"])

    # Queued in the outbox in the same transaction; nothing is visible before dispatch.
    queued = await deliveries(app, recipient_id=user["id"])
    assert sorted(d.channel for d in queued) == ["email", "in_app"]
    assert (await api.client.get("/v1/notifications", headers=staff.headers)).json()["items"] == []

    assert await dispatcher.drain() == 2
    listed = await api.client.get("/v1/notifications", headers=staff.headers)
    assert listed.status_code == 200
    [item] = listed.json()["items"]
    assert item["type"] == "user.created"
    assert item["title"] == "Alice Admin added you to Acme Audit as staff"
    assert item["link"] == "http://127.0.0.1:8000/app/"
    assert item["read_at"] is None
    count = await api.client.get("/v1/notifications/unread-count", headers=staff.headers)
    assert count.json() == {"unread": 1}

    read = await api.client.post(f"/v1/notifications/{item['id']}/read", headers=staff.headers)
    assert read.status_code == 200 and read.json()["read_at"] is not None
    count = await api.client.get("/v1/notifications/unread-count", headers=staff.headers)
    assert count.json() == {"unread": 0}
    unread = await api.client.get("/v1/notifications?unread=true", headers=staff.headers)
    assert unread.json()["items"] == []

    # The actor is not notified of their own change; the admin has nothing.
    mine = await api.client.get("/v1/notifications", headers=admin.headers)
    assert mine.json()["items"] == []
    # Another principal cannot touch it (not found, not forbidden).
    problem(
        await api.client.post(f"/v1/notifications/{item['id']}/read", headers=admin.headers),
        404,
        "notification_not_found",
    )


async def test_firm_change_notifies_the_other_admins_and_read_all(
    api: Api, dispatcher: Dispatcher
) -> None:
    admin = await api.sign_up_firm()
    second = await api.add_staff(admin, role="admin")
    await dispatcher.drain()  # second admin's welcome
    for name in ("Acme Two", "Acme Three", "Acme Four"):
        response = await api.client.patch("/v1/firm", json={"name": name}, headers=admin.headers)
        assert response.status_code == 200
    await dispatcher.drain()

    page = await api.client.get(
        "/v1/notifications?limit=2&type=firm.updated", headers=second.headers
    )
    body = page.json()
    assert [i["title"] for i in body["items"]] == [
        "Alice Admin changed the firm settings of Acme Four",
        "Alice Admin changed the firm settings of Acme Three",
    ]
    rest = await api.client.get(
        f"/v1/notifications?limit=2&type=firm.updated&cursor={body['next_cursor']}",
        headers=second.headers,
    )
    assert [i["title"] for i in rest.json()["items"]] == [
        "Alice Admin changed the firm settings of Acme Two"
    ]
    assert rest.json()["next_cursor"] is None

    done = await api.client.post("/v1/notifications/read-all", headers=second.headers)
    assert done.json() == {"marked_read": 4}
    count = await api.client.get("/v1/notifications/unread-count", headers=second.headers)
    assert count.json() == {"unread": 0}
    assert (await api.client.get("/v1/notifications", headers=admin.headers)).json()["items"] == []


async def test_preferences_default_then_replace(api: Api, app: Any, dispatcher: Dispatcher) -> None:
    admin = await api.sign_up_firm()
    second = await api.add_staff(admin, role="admin")
    prefs = await api.client.get("/v1/notification-preferences", headers=second.headers)
    assert prefs.status_code == 200
    matrix = {(p["event_type"], p["channel"]): p for p in prefs.json()["items"]}
    assert matrix[("firm.updated", "in_app")]["enabled"] is True
    assert matrix[("firm.updated", "email")]["enabled"] is False
    assert matrix[("firm.updated", "email")]["is_default"] is True
    assert matrix[("share.created", "email")]["enabled"] is True

    replaced = await api.client.put(
        "/v1/notification-preferences",
        json={
            "preferences": [
                {"event_type": "firm.updated", "channel": "in_app", "enabled": False},
                {"event_type": "firm.updated", "channel": "email", "enabled": True},
            ]
        },
        headers=second.headers,
    )
    assert replaced.status_code == 200
    matrix = {(p["event_type"], p["channel"]): p for p in replaced.json()["items"]}
    assert (
        matrix[("firm.updated", "in_app")] | {"enabled": False, "is_default": False}
        == (matrix[("firm.updated", "in_app")])
    )
    assert matrix[("firm.updated", "email")]["enabled"] is True

    await api.client.patch("/v1/firm", json={"name": "Renamed"}, headers=admin.headers)
    queued = await deliveries(app, type="firm.updated", recipient_id=second.user_id)
    assert [d.channel for d in queued] == ["email"]

    problem(
        await api.client.put(
            "/v1/notification-preferences",
            json={
                "preferences": [
                    {"event_type": "office.created", "channel": "email", "enabled": True}
                ]
            },
            headers=second.headers,
        ),
        422,
        "invalid_preferences",
    )
    problem(
        await api.client.put(
            "/v1/notification-preferences",
            json={
                "preferences": [{"event_type": "firm.updated", "channel": "sms", "enabled": True}]
            },
            headers=second.headers,
        ),
        422,
    )
    # PUT replaces the whole set: an empty list restores every default.
    reset = await api.client.put(
        "/v1/notification-preferences", json={"preferences": []}, headers=second.headers
    )
    assert all(p["is_default"] for p in reset.json()["items"])


async def test_rolled_back_change_records_and_sends_nothing(
    api: Api, app: FastAPI, dispatcher: Dispatcher
) -> None:
    admin = await api.sign_up_firm()

    async def create_then_fail(session: SessionDep) -> None:
        principal = await _principal(app, admin.user_id)
        await users_service.create_user(
            session,
            principal,
            UserCreate(email="ghost@example.com", name="Ghost", password=PASSWORD),
            app.state.runtime.hasher,
        )
        raise Conflict("Something later in the use case failed.", code="later_failure")

    app.add_api_route("/test/create-then-fail", create_then_fail, methods=["POST"])
    response = await api.client.post("/test/create-then-fail", headers=admin.headers)
    problem(response, 409, "later_failure")

    async with app.state.runtime.sessionmaker() as session:
        events = await session.scalar(select(func.count()).select_from(Event))
        outbox = await session.scalar(select(func.count()).select_from(Delivery))
    assert (events, outbox) == (0, 0)
    assert await dispatcher.drain() == 0
    problem(await api.token("ghost@example.com"), 401)


async def _principal(app: FastAPI, user_id: str) -> Any:
    from practice_api.core.principals import Principal
    from practice_api.users.models import User

    async with app.state.runtime.sessionmaker() as session:
        user = await session.get(User, uuid.UUID(user_id))
        assert user is not None
        return Principal(
            kind="staff",
            id=user.id,
            firm_id=user.firm_id,
            session_id=user.id,
            name=user.name,
            email=user.email,
            role="admin",
        )
