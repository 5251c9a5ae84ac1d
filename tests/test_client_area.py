"""The client area (issue 18): dashboard, documents with per-contact reads, uploads into
existing tasks, task requests; with a controlled clock in the firm's time zone."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import event, func, select

from practice_api.core.time import travel_to
from practice_api.files.models import FileDocument
from practice_api.portal.task_schemas import OVERDUE_SHOWN
from tests.answering_helpers import make_request, portal, save
from tests.contact_helpers import grant, portal_contact
from tests.factories import create_entity
from tests.helpers import Actor, Api, problem
from tests.task_helpers import create_task, create_type, pdf, set_firm

# 23:30 UTC on March 9 is already March 10 in Paris: "today" is the firm's.
NOW = dt.datetime(2026, 3, 9, 23, 30, tzinfo=dt.UTC)
TODAY = dt.date(2026, 3, 10)


def _day(offset: int) -> str:
    return (TODAY + dt.timedelta(days=offset)).isoformat()


async def _setup(api: Api, app: Any) -> tuple[Actor, dict[str, Any], Actor, Actor, dict[str, Any]]:
    admin = await api.sign_up_firm()
    await set_firm(api, admin, time_zone="Europe/Paris")
    entity = await create_entity(api, admin)
    _, carla = await portal_contact(api, app, admin, entity["id"], "contributor")
    _, victor = await portal_contact(api, app, admin, entity["id"], "viewer")
    task = await create_task(
        api,
        admin,
        entity["id"],
        title="March close",
        input_documents=[{"name": "Bank statements"}],
        output_documents=[
            {"name": "Yesterday", "due_date": _day(-1)},
            {"name": "Today", "due_date": _day(0)},
            {"name": "In 3 days", "due_date": _day(3)},
            {"name": "In 10 days", "due_date": _day(10)},
            {"name": "Hidden", "due_date": _day(0), "visible_to_client": False},
        ],
    )
    return admin, entity, carla, victor, task


async def _dashboard(api: Api, who: Actor, query: str = "") -> dict[str, Any]:
    response = await api.client.get(f"/v1/portal/dashboard{query}", headers=who.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_dashboard_statuses_lists_and_reads_per_contact(api: Api, app: Any) -> None:
    _admin, _entity, carla, victor, _task = await _setup(api, app)
    with travel_to(NOW):
        board = await _dashboard(api, carla)
        assert board["month"] == "2026-03" and board["today"] == TODAY.isoformat()
        days = {d["date"]: [doc["name"] for doc in d["documents"]] for d in board["calendar"]}
        assert len(days) == 31
        assert days[_day(-1)] == ["Yesterday"] and days[_day(10)] == ["In 10 days"]
        statuses = {
            doc["name"]: doc["status"] for day in board["calendar"] for doc in day["documents"]
        }
        assert statuses == {
            "Yesterday": "overdue_unread",
            "Today": "due_today_unread",
            "In 3 days": "upcoming_unread",
            "In 10 days": "upcoming_unread",
        }
        assert [d["name"] for d in board["due_next_7_days"]] == ["Today", "In 3 days"]
        assert [d["name"] for d in board["overdue_unread"]] == ["Yesterday"]
        assert board["counts"] == {
            "calendar": 4,
            "due_next_7_days": 2,
            "overdue_unread": 1,
            "requests_in_progress": 0,
        }
        assert all(
            d["uploaded"] is False and d["content_url"] is None for d in board["overdue_unread"]
        )

        yesterday = board["overdue_unread"][0]["id"]
        read = await api.client.post(
            f"/v1/portal/documents/{yesterday}/read", headers=carla.headers
        )
        assert read.status_code == 200 and read.json()["status"] == "read"
        assert (await _dashboard(api, carla))["overdue_unread"] == []
        assert [d["name"] for d in (await _dashboard(api, victor))["overdue_unread"]] == [
            "Yesterday"
        ]
        # another month; a bad month
        april = await _dashboard(api, carla, "?month=2026-04")
        assert len(april["calendar"]) == 30 and april["counts"]["calendar"] == 0
        problem(
            await api.client.get("/v1/portal/dashboard?month=2026-13", headers=carla.headers), 422
        )

        listed = await api.client.get(
            "/v1/portal/documents?status=upcoming_unread", headers=carla.headers
        )
        assert {d["name"] for d in listed.json()["items"]} == {"In 3 days", "In 10 days"}
        ranged = await api.client.get(
            f"/v1/portal/documents?due_after={_day(0)}&due_before={_day(3)}",
            headers=victor.headers,
        )
        assert {d["name"] for d in ranged.json()["items"]} == {"Today", "In 3 days"}


async def test_not_uploaded_then_delivered_download_marks_read_and_is_logged(
    api: Api, app: Any
) -> None:
    admin, entity, carla, victor, task = await _setup(api, app)
    today = next(o for o in task["outputs"] if o["name"] == "Today")
    url = f"/v1/portal/documents/{today['id']}"
    with travel_to(NOW):
        got = await api.client.get(url, headers=carla.headers)
        assert got.json()["uploaded"] is False and got.json()["content_url"] is None
        refused = await api.client.get(f"{url}/content", headers=carla.headers)
        body = problem(refused, 409, "document_not_uploaded")
        assert body["detail"] == "This document has not been uploaded yet."
        delivered = await api.client.post(
            f"/v1/tasks/{task['id']}/outputs/{today['id']}/file",
            files=pdf("slip.pdf"),
            headers=admin.headers,
        )
        assert delivered.status_code == 200, delivered.text
        got = await api.client.get(url, headers=carla.headers)
        assert got.json()["uploaded"] is True and got.json()["status"] == "due_today_unread"
        download = await api.client.get(got.json()["content_url"], headers=carla.headers)
        assert download.status_code == 200 and download.content.startswith(b"%PDF")
        assert (await api.client.get(url, headers=carla.headers)).json()["status"] == "read"
        assert (await api.client.get(url, headers=victor.headers)).json()["status"] == (
            "due_today_unread"
        )
    activity = await api.client.get(f"/v1/entities/{entity['id']}/activity", headers=admin.headers)
    downloads = [a for a in activity.json()["items"] if a["type"] == "file.downloaded"]
    assert downloads and downloads[0]["actor"]["kind"] == "contact"
    hidden = next(o for o in task["outputs"] if o["name"] == "Hidden")
    problem(
        await api.client.get(f"/v1/portal/documents/{hidden['id']}", headers=carla.headers),
        404,
        "document_not_found",
    )


async def _file_count(app: Any) -> int:
    async with app.state.runtime.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(FileDocument)) or 0)


async def test_uploads_go_into_existing_open_tasks_only(api: Api, app: Any) -> None:
    admin, _entity, carla, victor, task = await _setup(api, app)
    listed = await api.client.get("/v1/portal/task-inputs", headers=carla.headers)
    slots = listed.json()["items"]
    assert [s["name"] for s in slots] == ["Bank statements"] and slots[0]["filled"] is False
    upload = slots[0]["upload_url"]
    sent = await api.client.post(upload, files=pdf("bank.pdf"), headers=carla.headers)
    assert sent.status_code == 201, sent.text
    assert sent.json()["filled"] is True and sent.json()["files"][0]["mine"] is True
    staff_view = await api.client.get(f"/v1/tasks/{task['id']}", headers=admin.headers)
    assert staff_view.json()["missing_inputs"] == []
    assert staff_view.json()["inputs"][0]["files"][0]["uploaded_by_kind"] == "contact"
    before = await _file_count(app)

    problem(
        await api.client.post(upload, files=pdf(), headers=victor.headers),
        403,
        "portal_upload_forbidden",
    )
    missing = f"/v1/portal/task-inputs/{task['id']}/files"
    problem(
        await api.client.post(missing, files=pdf(), headers=carla.headers),
        404,
        "task_input_not_found",
    )
    other_entity = await create_entity(api, admin)
    other_task = await create_task(
        api, admin, other_entity["id"], title="Other", input_documents=[{"name": "X"}]
    )
    problem(
        await api.client.post(
            f"/v1/portal/task-inputs/{other_task['inputs'][0]['id']}/files",
            files=pdf(),
            headers=carla.headers,
        ),
        404,
        "task_input_not_found",
    )
    await api.client.patch(
        f"/v1/tasks/{task['id']}", json={"status": "done"}, headers=admin.headers
    )
    problem(await api.client.post(upload, files=pdf(), headers=carla.headers), 409, "task_not_open")
    assert await _file_count(app) == before
    assert (await api.client.get("/v1/portal/task-inputs", headers=carla.headers)).json()[
        "items"
    ] == []


async def test_task_requests_for_requestable_types_only(api: Api, app: Any) -> None:
    admin, entity, carla, victor, _task = await _setup(api, app)
    requestable = await create_type(api, admin, name="Payslip copy", client_requestable=True)
    internal = await create_type(api, admin, name="Internal audit")
    types = await api.client.get("/v1/portal/task-types", headers=carla.headers)
    assert [t["name"] for t in types.json()["items"]] == ["Payslip copy"]
    path = f"/v1/portal/entities/{entity['id']}/task-requests"
    problem(
        await api.client.post(path, json={"task_type_id": internal["id"]}, headers=carla.headers),
        422,
        "task_type_not_requestable",
    )
    made = await api.client.post(
        path,
        json={"task_type_id": requestable["id"], "note": "For the bank"},
        headers=carla.headers,
    )
    assert made.status_code == 201, made.text
    requested = await api.client.get("/v1/tasks?origin=client", headers=admin.headers)
    assert [t["id"] for t in requested.json()["items"]] == [made.json()["id"]]
    assert requested.json()["items"][0]["requested_by_contact_id"] is not None
    board = await _dashboard(api, carla)
    assert [r["title"] for r in board["requests_in_progress"]] == ["Payslip copy"]
    assert (await _dashboard(api, victor))["requests_in_progress"] == []
    await api.client.patch(
        f"/v1/tasks/{made.json()['id']}", json={"status": "done"}, headers=admin.headers
    )
    assert (await _dashboard(api, carla))["requests_in_progress"] == []


async def test_open_file_requests_addressed_to_the_contact_are_in_progress(
    api: Api, app: Any
) -> None:
    admin, entity, carla, victor, _task = await _setup(api, app)
    me = (await api.client.get("/v1/portal/me", headers=carla.headers)).json()["id"]
    made = await api.client.post(
        f"/v1/entities/{entity['id']}/file-requests",
        json={
            "subject": "Year-end documents",
            "recipients": [me],
            "items": [{"title": "Bank statements"}],
            "due_date": _day(20),
        },
        headers=admin.headers,
    )
    assert made.status_code == 201, made.text
    with travel_to(NOW):
        board = await _dashboard(api, carla)
    assert [
        (r["kind"], r["title"], r["status"], r["due_date"]) for r in board["requests_in_progress"]
    ] == [("file_request", "Year-end documents", "open", _day(20))]
    assert board["requests_in_progress"][0]["id"] == made.json()["id"]
    assert board["counts"]["requests_in_progress"] == 1
    # not addressed to the viewer; gone once cancelled
    assert (await _dashboard(api, victor))["requests_in_progress"] == []
    cancelled = await api.client.post(
        f"/v1/file-requests/{made.json()['id']}/cancel", json={}, headers=admin.headers
    )
    assert cancelled.status_code == 200, cancelled.text
    assert (await _dashboard(api, carla))["requests_in_progress"] == []


async def test_client_requests_addressed_to_the_contact_are_in_progress_until_submitted(
    api: Api, app: Any
) -> None:
    admin, entity, carla, victor, _task = await _setup(api, app)
    me = (await api.client.get("/v1/portal/me", headers=carla.headers)).json()["id"]
    question = [{"id": "ok", "type": "yes_no", "prompt": "All good?", "required": True}]
    made = await make_request(
        api, app, admin, entity["id"], contacts=[me], questions=question, title="Year-end"
    )
    board = await _dashboard(api, carla)
    assert [
        (r["kind"], r["id"], r["title"], r["status"]) for r in board["requests_in_progress"]
    ] == [("client_request", made.id, "Year-end", "pending")]
    assert (await _dashboard(api, victor))["requests_in_progress"] == []
    saved = await save(api.client, portal(made.id), {"ok": True}, carla.headers)
    assert saved.status_code == 200, saved.text
    [started] = (await _dashboard(api, carla))["requests_in_progress"]
    assert started["status"] == "in_progress"
    submitted = await api.client.post(portal(made.id, "/submit"), headers=carla.headers)
    assert submitted.status_code == 200, submitted.text
    board = await _dashboard(api, carla)
    assert board["requests_in_progress"] == [] and board["counts"]["requests_in_progress"] == 0


async def test_contacts_of_other_entities_and_firms_see_nothing(api: Api, app: Any) -> None:
    admin, entity, _carla, _victor, task = await _setup(api, app)
    elsewhere = await create_entity(api, admin)
    _, stranger = await portal_contact(api, app, admin, elsewhere["id"], "contributor")
    other = await api.sign_up_firm("Elsewhere Audit")
    other_entity = await create_entity(api, other)
    _, foreign = await portal_contact(api, app, other, other_entity["id"], "contributor")
    output = task["outputs"][0]["id"]
    for who in (stranger, foreign):
        board = await _dashboard(api, who)
        assert board["counts"]["calendar"] == 0 and board["overdue_unread"] == []
        for method, path in [
            ("GET", f"/v1/portal/documents/{output}"),
            ("POST", f"/v1/portal/documents/{output}/read"),
            ("GET", f"/v1/portal/documents/{output}/content"),
            ("POST", f"/v1/portal/entities/{entity['id']}/task-requests"),
        ]:
            body = {"task_type_id": task["id"]} if path.endswith("task-requests") else None
            response = await api.client.request(method, path, headers=who.headers, json=body)
            assert response.status_code == 404, (path, response.status_code)
        docs = await api.client.get("/v1/portal/documents", headers=who.headers)
        assert docs.json()["items"] == []
        slots = await api.client.get("/v1/portal/task-inputs", headers=who.headers)
        assert slots.json()["items"] == []
    problem(
        await api.client.get("/v1/portal/dashboard", headers=admin.headers), 403, "contact_only"
    )


async def test_the_dashboard_runs_a_fixed_number_of_statements(api: Api, app: Any) -> None:
    admin, _entity, carla, _victor, _task = await _setup(api, app)
    engine = app.state.runtime.engine.sync_engine
    counted: list[str] = []

    def count(*args: Any) -> None:
        counted.append(args[2])

    async def statements() -> int:
        counted.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            await _dashboard(api, carla)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(counted)

    with travel_to(NOW):
        await statements()  # warm-up (first-use lookups)
        few = await statements()
        me = (await api.client.get("/v1/portal/me", headers=carla.headers)).json()["id"]
        for i in range(3):
            second = await create_entity(api, admin)
            await grant(api, admin, second["id"], me, "contributor")
            kind = await create_type(api, admin, name=f"R{i}", client_requestable=True)
            await create_task(
                api,
                admin,
                second["id"],
                title=f"More {i}",
                output_documents=[
                    {"name": f"D{i}-{j}", "due_date": _day(j - 20)} for j in range(25)
                ],
            )
            await api.client.post(
                f"/v1/portal/entities/{second['id']}/task-requests",
                json={"task_type_id": kind["id"]},
                headers=carla.headers,
            )
        many = await statements()
        board = await _dashboard(api, carla)
    assert board["counts"]["calendar"] > 30 and board["counts"]["requests_in_progress"] == 3
    assert few == many, (few, many)
    assert many <= 12
    # The overdue list is capped (the newest first); the count has them all, the link the rest.
    assert board["counts"]["overdue_unread"] == 3 * 20 + 1
    overdue = board["overdue_unread"]
    assert len(overdue) == OVERDUE_SHOWN
    assert [d["due_date"] for d in overdue] == sorted(
        (d["due_date"] for d in overdue), reverse=True
    )
    assert overdue[0]["due_date"] == _day(-1) and overdue[-1]["due_date"] < _day(-1)
    assert board["overdue_unread_url"] == "/v1/portal/documents?status=overdue_unread"
    with travel_to(NOW):
        rest = await api.client.get(
            board["overdue_unread_url"] + "&limit=100", headers=carla.headers
        )
    assert len(rest.json()["items"]) == 3 * 20 + 1
