"""The activity log: every recorded event, read back by admins with filters."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from practice_api.activity.repository import ActivityFilters, ActivityRepository
from practice_api.core.pagination import PageParams
from practice_api.core.principals import Actor
from practice_api.events.service import record_event
from tests.helpers import Api, problem


async def test_admin_reads_the_firm_log_with_filters(api: Api) -> None:
    admin = await api.sign_up_firm()
    start = dt.datetime.now(dt.UTC)
    user = await api.create_user(admin, name="Sam Staff")
    second_admin = await api.add_staff(admin, role="admin", name="Bob Admin")
    await api.client.patch("/v1/firm", json={"name": "Acme Renamed"}, headers=second_admin.headers)
    office = await api.client.post("/v1/offices", json={"name": "Oslo"}, headers=admin.headers)
    assert office.status_code == 201
    await api.client.patch(
        f"/v1/users/{user['id']}", json={"name": "Samantha Staff"}, headers=admin.headers
    )

    log = await api.client.get("/v1/activity", headers=admin.headers)
    assert log.status_code == 200
    items = log.json()["items"]
    assert [i["type"] for i in items] == [
        "user.updated",
        "office.created",
        "firm.updated",
        "user.created",
        "user.created",
    ]
    updated = items[0]
    assert updated["actor"] == {"kind": "staff", "id": admin.user_id, "name": "Alice Admin"}
    assert updated["subject"] == {"type": "user", "id": user["id"]}
    assert updated["payload"]["changes"] == {"name": {"old": "Sam Staff", "new": "Samantha Staff"}}
    assert updated["summary"] == "Alice Admin changed the user Samantha Staff"
    assert items[2]["payload"]["changes"]["name"]["new"] == "Acme Renamed"

    by_actor = await api.client.get(
        f"/v1/activity?actor_id={second_admin.user_id}", headers=admin.headers
    )
    assert [i["type"] for i in by_actor.json()["items"]] == ["firm.updated"]
    by_type = await api.client.get(
        "/v1/activity?type=user.created&type=office.created", headers=admin.headers
    )
    assert len(by_type.json()["items"]) == 3
    in_window = await api.client.get(
        "/v1/activity",
        params={"occurred_after": start.isoformat(), "occurred_before": items[2]["occurred_at"]},
        headers=admin.headers,
    )
    assert [i["type"] for i in in_window.json()["items"]] == ["user.created", "user.created"]
    future = (start + dt.timedelta(days=1)).isoformat()
    nothing = await api.client.get(
        "/v1/activity", params={"occurred_after": future}, headers=admin.headers
    )
    assert nothing.json()["items"] == []

    first = await api.client.get("/v1/activity?limit=2", headers=admin.headers)
    second = await api.client.get(
        f"/v1/activity?limit=3&cursor={first.json()['next_cursor']}", headers=admin.headers
    )
    paged = first.json()["items"] + second.json()["items"]
    assert [i["id"] for i in paged] == [i["id"] for i in items]
    assert second.json()["next_cursor"] is None

    oldest_first = await api.client.get("/v1/activity?order_by=occurred_at", headers=admin.headers)
    assert [i["id"] for i in oldest_first.json()["items"]] == [i["id"] for i in reversed(items)]


async def test_only_admins_and_only_their_firm(api: Api) -> None:
    admin = await api.sign_up_firm()
    staff = await api.add_staff(admin)
    problem(await api.client.get("/v1/activity", headers=staff.headers), 403, "admin_required")
    problem(await api.client.get("/v1/activity"), 401)
    other = await api.sign_up_firm("Other Firm")
    await api.client.patch("/v1/firm", json={"name": "Other Renamed"}, headers=other.headers)
    mine = await api.client.get("/v1/activity", headers=admin.headers)
    assert [i["type"] for i in mine.json()["items"]] == ["user.created"]
    problem(await api.client.post("/v1/activity", json={}, headers=admin.headers), 405)


async def test_entity_activity_is_the_timeline_of_one_entity(api: Api, app: Any) -> None:
    admin = await api.sign_up_firm()
    firm_id, actor_id = uuid.UUID(admin.firm_id), uuid.UUID(admin.user_id)
    entity, other_entity = uuid.uuid4(), uuid.uuid4()
    actor = Actor("staff", actor_id, "Alice Admin")
    async with app.state.runtime.sessionmaker() as session:
        for entity_id, type, payload in (
            (entity, "entity.created", {"name": "Client A"}),
            (other_entity, "entity.created", {"name": "Client B"}),
            (entity, "entity.updated", {"name": "Client A", "changes": {"tax_id": {"new": "1"}}}),
            (entity, "entity.archived", {"name": "Client A"}),
        ):
            await record_event(
                session,
                type=type,
                firm_id=firm_id,
                actor=actor,
                entity_id=entity_id,
                subject=("entity", entity_id),
                payload=payload,
            )
        await session.commit()

        log = ActivityRepository(session, firm_id)
        rows, cursor = await log.entity_activity(entity, PageParams(2, None))
        assert [r.type for r in rows] == ["entity.archived", "entity.updated"]
        rest, end = await log.entity_activity(entity, PageParams(2, cursor))
        assert [r.type for r in rest] == ["entity.created"] and end is None
        only_updates, _ = await log.entity_activity(
            entity,
            PageParams(50, None),
            filters=ActivityFilters(types=["entity.updated"]),
        )
        assert [r.payload["changes"]["tax_id"]["new"] for r in only_updates] == ["1"]
        other_firm, _ = await ActivityRepository(session, uuid.uuid4()).entity_activity(
            entity, PageParams(50, None)
        )
        assert other_firm == []

    listed = await api.client.get(f"/v1/activity?entity_id={entity}", headers=admin.headers)
    assert [i["summary"] for i in listed.json()["items"]] == [
        "Alice Admin archived the client Client A",
        "Alice Admin updated the client Client A",
        "Alice Admin created the client Client A",
    ]
