"""Task types, tasks per entity, stages, filters and task documents (issue 17)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from practice_api.core.time import travel_to
from tests.contact_helpers import portal_contact
from tests.event_helpers import deliveries
from tests.factories import create_entity
from tests.helpers import Api, problem
from tests.task_helpers import create_task, create_type, pdf, set_firm

UTC = dt.UTC


async def test_task_types_admins_manage_staff_read_archive_stops_new_tasks(api: Api) -> None:
    admin = await api.sign_up_firm()
    staff = await api.add_staff(admin)
    made = await create_type(api, admin, client_requestable=True)
    assert made["stages"][0] == "To do" and made["archived"] is False
    assert made["output_documents"][0]["due_rule"]["day"] == 20

    listed = await api.client.get("/v1/task-types", headers=staff.headers)
    assert [t["id"] for t in listed.json()["items"]] == [made["id"]]
    problem(
        await api.client.post("/v1/task-types", json={"name": "X"}, headers=staff.headers),
        403,
        "admin_required",
    )
    # duplicate stage names are refused
    problem(
        await api.client.post(
            "/v1/task-types", json={"name": "X", "stages": ["A", "A"]}, headers=admin.headers
        ),
        422,
    )
    got = await api.client.get(f"/v1/task-types/{made['id']}", headers=admin.headers)
    stale = await api.client.patch(
        f"/v1/task-types/{made['id']}",
        json={"description": "d"},
        headers={**admin.headers, "If-Match": '"999"'},
    )
    problem(stale, 412)
    changed = await api.client.patch(
        f"/v1/task-types/{made['id']}",
        json={"description": "Close the books", "recurrence": None},
        headers={**admin.headers, "If-Match": got.headers["etag"]},
    )
    assert changed.status_code == 200 and changed.json()["recurrence"] is None

    entity = await create_entity(api, admin)
    old = await create_task(api, admin, entity["id"], task_type_id=made["id"])
    archived = await api.client.post(f"/v1/task-types/{made['id']}/archive", headers=admin.headers)
    assert archived.json()["archived"] is True
    refused = await api.client.post(
        f"/v1/entities/{entity['id']}/tasks",
        json={"task_type_id": made["id"]},
        headers=admin.headers,
    )
    problem(refused, 422, "task_type_not_found")
    kept = await api.client.get(f"/v1/tasks/{old['id']}", headers=admin.headers)
    assert kept.status_code == 200
    in_use = await api.client.get("/v1/task-types?archived=false", headers=admin.headers)
    assert in_use.json()["items"] == []


async def test_task_from_type_copies_stages_and_documents_with_due_dates(
    api: Api, app: Any
) -> None:
    admin = await api.sign_up_firm()
    staff = await api.add_staff(admin)
    entity = await create_entity(api, staff)
    task_type = await create_type(api, admin)
    task = await create_task(
        api,
        staff,
        entity["id"],
        task_type_id=task_type["id"],
        period="2026-01",
        assignee_id=staff.user_id,
    )
    assert task["title"] == "Monthly close" and task["origin"] == "staff"
    assert task["stage"] == "To do" and task["status"] == "open"
    # due day 31 of the month after January: clamped to February's last day
    assert task["due_date"] == "2026-02-28"
    outputs = {o["name"]: o for o in task["outputs"]}
    assert outputs["Payroll report"]["due_date"] == "2026-02-20"
    assert outputs["Internal review notes"]["due_date"] == "2026-03-05"
    assert outputs["Internal review notes"]["visible_to_client"] is False
    required = [i["id"] for i in task["inputs"] if i["required"]]
    assert task["missing_inputs"] == required and len(required) == 1
    assert len(task["undelivered_outputs"]) == 2

    again = await api.client.post(
        f"/v1/entities/{entity['id']}/tasks",
        json={"task_type_id": task_type["id"], "period": "2026-01"},
        headers=staff.headers,
    )
    problem(again, 409, "task_period_exists")

    # the assignee must see the entity
    outsider = await api.add_staff(admin)
    refused = await api.client.post(
        f"/v1/entities/{entity['id']}/tasks",
        json={"title": "Ad hoc", "assignee_id": outsider.user_id},
        headers=staff.headers,
    )
    problem(refused, 422, "assignee_without_access")
    # assigning someone else notifies them (not the actor assigning themselves)
    assert await deliveries(app, type="task.assigned", recipient_kind="staff") == []
    colleague = await api.add_staff(admin)
    await api.client.post(
        f"/v1/entities/{entity['id']}/shares",
        json={"user_id": colleague.user_id, "role": "editor"},
        headers=admin.headers,
    )
    moved = await api.client.patch(
        f"/v1/tasks/{task['id']}", json={"assignee_id": colleague.user_id}, headers=staff.headers
    )
    assert moved.status_code == 200, moved.text
    heard = await deliveries(app, type="task.assigned", recipient_id=colleague.user_id)
    assert {d.channel for d in heard} == {"in_app", "email"}


async def test_ad_hoc_task_stages_advance_to_done_and_every_move_is_logged(api: Api) -> None:
    admin = await api.sign_up_firm()
    entity = await create_entity(api, admin)
    task = await create_task(
        api,
        admin,
        entity["id"],
        title="Year-end question",
        due_date="2026-03-31",
        input_documents=[{"name": "Signed letter"}],
        output_documents=[{"name": "Answer", "due_date": "2026-04-02"}],
    )
    assert task["stages"] == ["To do", "In progress", "Done"]
    assert task["outputs"][0]["due_date"] == "2026-04-02"
    url = f"/v1/tasks/{task['id']}"
    first = await api.client.post(f"{url}/advance", json={"note": "started"}, headers=admin.headers)
    assert first.status_code == 200 and first.json()["stage"] == "In progress"
    second = await api.client.post(f"{url}/advance", headers=admin.headers)
    assert second.json()["stage"] == "Done" and second.json()["status"] == "done"
    assert second.json()["completed_at"] is not None
    problem(await api.client.post(f"{url}/advance", headers=admin.headers), 409, "task_not_open")

    activity = await api.client.get(f"/v1/entities/{entity['id']}/activity", headers=admin.headers)
    types = [item["type"] for item in activity.json()["items"]]
    assert types.count("task.advanced") == 2 and "task.done" in types and "task.created" in types


async def test_patch_needs_a_fresh_etag_and_moves_stages(api: Api) -> None:
    admin = await api.sign_up_firm()
    entity = await create_entity(api, admin)
    task_type = await create_type(api, admin)
    task = await create_task(api, admin, entity["id"], task_type_id=task_type["id"])
    url = f"/v1/tasks/{task['id']}"
    got = await api.client.get(url, headers=admin.headers)
    etag = got.headers["etag"]
    moved = await api.client.patch(
        url, json={"stage": "In review"}, headers={**admin.headers, "If-Match": etag}
    )
    assert moved.status_code == 200 and moved.json()["stage"] == "In review"
    problem(
        await api.client.patch(
            url, json={"title": "T"}, headers={**admin.headers, "If-Match": etag}
        ),
        412,
    )
    problem(await api.client.patch(url, json={"stage": "Nope"}, headers=admin.headers), 422)
    done = await api.client.patch(url, json={"status": "done"}, headers=admin.headers)
    assert done.json()["stage"] == "Done" and done.json()["status"] == "done"
    cancelled = await api.client.patch(url, json={"status": "cancelled"}, headers=admin.headers)
    assert cancelled.json()["status"] == "cancelled" and cancelled.json()["completed_at"] is None


async def test_viewer_reads_but_cannot_create_or_advance(api: Api) -> None:
    admin = await api.sign_up_firm()
    viewer = await api.add_staff(admin)
    entity = await create_entity(api, admin)
    share = await api.client.post(
        f"/v1/entities/{entity['id']}/shares",
        json={"user_id": viewer.user_id, "role": "viewer"},
        headers=admin.headers,
    )
    assert share.status_code == 201
    task = await create_task(api, admin, entity["id"], title="Check VAT")
    problem(
        await api.client.post(
            f"/v1/entities/{entity['id']}/tasks", json={"title": "X"}, headers=viewer.headers
        ),
        403,
        "tasks_manage_forbidden",
    )
    problem(
        await api.client.post(f"/v1/tasks/{task['id']}/advance", headers=viewer.headers),
        403,
        "tasks_manage_forbidden",
    )
    assert (
        await api.client.get(f"/v1/tasks/{task['id']}", headers=viewer.headers)
    ).status_code == 200
    listed = await api.client.get("/v1/tasks", headers=viewer.headers)
    assert [t["id"] for t in listed.json()["items"]] == [task["id"]]


async def test_firm_wide_list_filters(api: Api, app: Any) -> None:
    admin = await api.sign_up_firm()
    staff = await api.add_staff(admin)
    mine = await create_entity(api, staff)
    other = await create_entity(api, admin)
    task_type = await create_type(api, admin)
    a = await create_task(
        api, staff, mine["id"], title="A", due_date="2026-03-01", assignee_id=staff.user_id
    )
    b = await create_task(
        api,
        admin,
        other["id"],
        title="B",
        due_date="2026-03-20",
        task_type_id=task_type["id"],
        period="2026-02",
    )
    c = await create_task(api, admin, other["id"], title="C", due_date="2026-04-10")
    # a client's request (issue 18 makes them through the portal)
    async with app.state.runtime.sessionmaker() as session:
        from practice_api.tasks.models import Task

        row = await session.get(Task, __import__("uuid").UUID(c["id"]))
        assert row is not None
        row.origin = "client"
        await session.commit()

    async def ids(query: str, who: Any = admin) -> set[str]:
        response = await api.client.get(f"/v1/tasks?{query}", headers=who.headers)
        assert response.status_code == 200, response.text
        return {t["title"] for t in response.json()["items"]}

    assert await ids("") == {"A", "B", "C"}
    assert await ids("", staff) == {"A"}  # staff see the tasks of entities they see
    assert await ids("origin=client") == {"C"}
    assert await ids(f"entity_id={other['id']}") == {"B", "C"}
    assert await ids("assignee_id=none") == {"B", "C"}
    assert await ids("assignee_id=me", staff) == {"A"}
    assert await ids(f"assignee_id={staff.user_id}") == {"A"}
    assert await ids("due_after=2026-03-02&due_before=2026-04-01") == {"B"}
    assert await ids(f"task_type_id={task_type['id']}&period=2026-02") == {"B"}
    assert await ids("stage=To do") == {"A", "B", "C"}
    with travel_to(dt.datetime(2026, 3, 15, 12, tzinfo=UTC)):
        assert await ids("overdue=true") == {"A"}
        assert await ids("overdue=false") == {"B", "C"}
        await api.client.patch(
            f"/v1/tasks/{a['id']}", json={"status": "done"}, headers=admin.headers
        )
        assert await ids("overdue=true") == set()
        assert await ids("status=done") == {"A"}
    problem(await api.client.get("/v1/tasks?assignee_id=x", headers=admin.headers), 422)
    assert b["period"] == "2026-02"
    ordered = await api.client.get("/v1/tasks?order_by=-due_date&limit=2", headers=admin.headers)
    assert [t["title"] for t in ordered.json()["items"]] == ["C", "B"]
    rest = await api.client.get(
        f"/v1/tasks?order_by=-due_date&limit=2&cursor={ordered.json()['next_cursor']}",
        headers=admin.headers,
    )
    assert [t["title"] for t in rest.json()["items"]] == ["A"]


async def test_overdue_is_read_in_the_firm_time_zone(api: Api) -> None:
    admin = await api.sign_up_firm()
    entity = await create_entity(api, admin)
    await create_task(api, admin, entity["id"], title="Due March 31", due_date="2026-03-31")
    # 22:30 UTC on March 31 is already April 1 in Paris (CEST, UTC+2 since March 29)
    with travel_to(dt.datetime(2026, 3, 31, 22, 30, tzinfo=UTC)):
        utc = await api.client.get("/v1/tasks?overdue=true", headers=admin.headers)
        assert utc.json()["items"] == []
        await set_firm(api, admin, time_zone="Europe/Paris")
        paris = await api.client.get("/v1/tasks?overdue=true", headers=admin.headers)
        assert [t["title"] for t in paris.json()["items"]] == ["Due March 31"]
        assert paris.json()["items"][0]["overdue"] is True


async def test_inputs_filled_by_staff_record_who_and_when(api: Api, app: Any) -> None:
    admin = await api.sign_up_firm()
    staff = await api.add_staff(admin)
    entity = await create_entity(api, staff)
    task_type = await create_type(api, admin)
    task = await create_task(
        api, staff, entity["id"], task_type_id=task_type["id"], assignee_id=staff.user_id
    )
    bank = next(i for i in task["inputs"] if i["name"] == "Bank statements")
    assert task["missing_inputs"] == [bank["id"]]
    url = f"/v1/tasks/{task['id']}/inputs/{bank['id']}/files"
    first = await api.client.post(url, files=pdf("january.pdf"), headers=admin.headers)
    assert first.status_code == 201, first.text
    second = await api.client.post(url, files=pdf("february.pdf"), headers=admin.headers)
    body = second.json()
    slot = next(i for i in body["inputs"] if i["id"] == bank["id"])
    assert slot["filled"] is True
    assert [f["name"] for f in slot["files"]] == ["january.pdf", "february.pdf"]
    assert slot["files"][0]["uploaded_by_kind"] == "staff"
    assert slot["files"][0]["uploaded_by_name"] == "Alice Admin"
    assert body["missing_inputs"] == []
    # the files are files of the entity
    files = await api.client.get(f"/v1/entities/{entity['id']}/files", headers=staff.headers)
    assert {f["name"] for f in files.json()["items"]} == {"january.pdf", "february.pdf"}
    # the assignee hears of it
    heard = await deliveries(app, type="task.input_received", recipient_id=staff.user_id)
    assert {d.channel for d in heard} == {"in_app", "email"}
    # ad hoc slots
    added = await api.client.post(
        f"/v1/tasks/{task['id']}/inputs",
        json={"name": "Payroll changes", "required": True},
        headers=staff.headers,
    )
    assert added.status_code == 201 and len(added.json()["missing_inputs"]) == 1
    problem(
        await api.client.post(
            f"/v1/tasks/{task['id']}/inputs/{task['id']}/files", files=pdf(), headers=admin.headers
        ),
        404,
        "task_input_not_found",
    )


async def test_output_is_visible_to_contacts_only_when_visible_to_client(
    api: Api, app: Any
) -> None:
    admin = await api.sign_up_firm()
    entity = await create_entity(api, admin)
    contact, contact_actor = await portal_contact(api, app, admin, entity["id"])
    task_type = await create_type(api, admin)
    task = await create_task(
        api, admin, entity["id"], task_type_id=task_type["id"], period="2026-01"
    )
    outputs = {o["name"]: o for o in task["outputs"]}
    hidden, shown = outputs["Internal review notes"], outputs["Payroll report"]
    base = f"/v1/tasks/{task['id']}/outputs"

    delivered = await api.client.post(
        f"{base}/{hidden['id']}/file", files=pdf("notes.pdf"), headers=admin.headers
    )
    assert delivered.status_code == 200, delivered.text
    assert delivered.json()["delivered"] is True
    portal = f"/v1/portal/entities/{entity['id']}/files"

    async def seen() -> set[str]:
        response = await api.client.get(portal, headers=contact_actor.headers)
        return {f["name"] for f in response.json()["items"]}

    assert await seen() == set()
    assert await deliveries(app, type="task.output_delivered", recipient_kind="contact") == []

    await api.client.post(
        f"{base}/{shown['id']}/file", files=pdf("payroll.pdf"), headers=admin.headers
    )
    assert await seen() == {"payroll.pdf"}
    heard = await deliveries(app, type="task.output_delivered", recipient_id=contact["id"])
    assert {d.channel for d in heard} == {"in_app", "email"}

    # showing the hidden one shares its file; hiding the shown one unshares it
    await api.client.patch(
        f"{base}/{hidden['id']}", json={"visible_to_client": True}, headers=admin.headers
    )
    await api.client.patch(
        f"{base}/{shown['id']}", json={"visible_to_client": False}, headers=admin.headers
    )
    assert await seen() == {"notes.pdf"}
    got = await api.client.get(f"/v1/tasks/{task['id']}", headers=admin.headers)
    assert got.json()["undelivered_outputs"] == []

    extra = await api.client.post(
        base,
        json={"name": "Tax slip", "due_rule": {"kind": "days_after_task_due", "days": 1}},
        headers=admin.headers,
    )
    assert extra.status_code == 201 and extra.json()["due_date"] == "2026-03-01"


async def test_other_firms_get_404_everywhere(api: Api) -> None:
    admin = await api.sign_up_firm()
    other = await api.sign_up_firm("Elsewhere Audit")
    entity = await create_entity(api, admin)
    task_type = await create_type(api, admin)
    task = await create_task(api, admin, entity["id"], task_type_id=task_type["id"])
    output = task["outputs"][0]["id"]
    slot = task["inputs"][0]["id"]
    for method, path in [
        ("GET", f"/v1/task-types/{task_type['id']}"),
        ("PATCH", f"/v1/task-types/{task_type['id']}"),
        ("POST", f"/v1/task-types/{task_type['id']}/archive"),
        ("GET", f"/v1/tasks/{task['id']}"),
        ("PATCH", f"/v1/tasks/{task['id']}"),
        ("POST", f"/v1/tasks/{task['id']}/advance"),
        ("PATCH", f"/v1/tasks/{task['id']}/outputs/{output}"),
        ("POST", f"/v1/tasks/{task['id']}/inputs/{slot}/files"),
        ("GET", f"/v1/entities/{entity['id']}/tasks"),
        ("PUT", f"/v1/entities/{entity['id']}/task-subscriptions/{task_type['id']}"),
    ]:
        body: dict[str, Any] = {"files": pdf()} if path.endswith("/files") else {"json": {}}
        response = await api.client.request(method, path, headers=other.headers, **body)
        assert response.status_code == 404, (method, path, response.status_code)
    assert (await api.client.get("/v1/tasks", headers=other.headers)).json()["items"] == []
    assert (await api.client.get("/v1/task-types", headers=other.headers)).json()["items"] == []
    # a type of another firm cannot be used either
    other_entity = await create_entity(api, other)
    refused = await api.client.post(
        f"/v1/entities/{other_entity['id']}/tasks",
        json={"task_type_id": task_type["id"]},
        headers=other.headers,
    )
    problem(refused, 422, "task_type_not_found")
