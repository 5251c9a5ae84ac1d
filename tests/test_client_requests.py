"""Client requests, staff side: sending (questions validated per question, portal and guest
audiences, hashed guest links), lists and filters, edits while pending and the lock after
the first answer, cancel / complete / reopen, tenancy (both databases)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import event, func, select

from practice_api.client_requests.models import ClientRequest, ClientRequestRecipient
from practice_api.client_requests.tokens import find_recipient, hash_token
from practice_api.events.models import Event
from tests.client_request_helpers import QUESTIONS, answer, firm_with_contact, get, send
from tests.contact_helpers import create_contact
from tests.factories import create_entity
from tests.helpers import Api, problem


async def _count(app: Any, model: Any = ClientRequest) -> int:
    async with app.state.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _event_types(app: Any, request_id: str) -> list[str]:
    async with app.state.sessionmaker() as session:
        rows = await session.scalars(
            select(Event.type)
            .where(Event.subject_id == uuid.UUID(request_id))
            .order_by(Event.occurred_at, Event.id)
        )
        return list(rows)


BAD_QUESTIONS: list[tuple[dict[str, Any], str]] = [
    ({"type": "short_text", "prompt": ""}, "prompt"),
    ({"type": "short_text", "prompt": "Q", "max_length": 5000}, "max_length"),
    ({"type": "long_text", "prompt": "Q", "max_length": 0}, "max_length"),
    ({"type": "number", "prompt": "Q", "min": 10, "max": 1}, ""),
    ({"type": "number", "prompt": "Q", "integer": "yes"}, "integer"),
    ({"type": "date", "prompt": "Q", "min_date": "2026-05-01", "max_date": "2026-01-01"}, ""),
    ({"type": "date", "prompt": "Q", "min_date": "yesterday"}, "min_date"),
    ({"type": "yes_no", "prompt": "Q", "options": [{"value": "y"}]}, "options"),
    ({"type": "single_choice", "prompt": "Q", "options": [{"value": "only"}]}, "options"),
    ({"type": "single_choice", "prompt": "Q", "options": [{"value": "a"}, {"value": "a"}]}, ""),
    (
        {
            "type": "multiple_choice",
            "prompt": "Q",
            "options": [{"value": "a"}],
            "max_selections": 3,
        },
        "",
    ),
    ({"type": "multiple_choice", "prompt": "Q", "options": []}, "options"),
    ({"type": "file_upload", "prompt": "Q", "max_files": 0}, "max_files"),
    ({"type": "signature", "prompt": "Q"}, ""),
    ({"prompt": "No type"}, ""),
]


async def test_every_question_type_is_validated_with_the_question_in_loc(
    api: Api, app: Any
) -> None:
    f = await firm_with_contact(api, app)
    good = {"type": "yes_no", "prompt": "Fine?"}
    for bad, field in BAD_QUESTIONS:
        refused = await send(api, f, expect=422, questions=[good, good, bad])
        body = problem(refused, 422, "validation_failed")
        locs = [e["loc"] for e in body["errors"]]
        assert all(loc[:3] == ["body", "questions", 2] for loc in locs), (bad, locs)
        if field:
            assert any(loc[-1] == field for loc in locs), (bad, locs)
    duplicate = await send(
        api,
        f,
        expect=422,
        questions=[{**good, "id": "same"}, {**good, "id": "other"}, {**good, "id": "same"}],
    )
    assert problem(duplicate, 422, "question_id_duplicate")["errors"][0]["loc"] == [
        "body",
        "questions",
        2,
        "id",
    ]
    problem(await send(api, f, expect=422, questions=[]), 422, "validation_failed")
    assert await _count(app) == 0

    every_type: list[dict[str, Any]] = [
        {"type": "short_text", "prompt": "Name", "required": True, "help_text": "As on ID"},
        {"type": "long_text", "prompt": "Anything else?", "max_length": 2000},
        {"type": "number", "prompt": "Children", "min": 0, "max": 20, "integer": True},
        {"type": "date", "prompt": "Moved on", "min_date": "2026-01-01"},
        {"type": "yes_no", "prompt": "Moved?"},
        {"type": "single_choice", "prompt": "Status", "options": [{"value": "a"}, {"value": "b"}]},
        {
            "type": "multiple_choice",
            "prompt": "Income",
            "options": [{"value": "wages"}, {"value": "rent"}],
            "min_selections": 1,
        },
        {"type": "file_upload", "prompt": "Payslips", "max_files": 3},
    ]
    made = (await send(api, f, questions=every_type)).json()
    assert [q["type"] for q in made["questions"]] == [q["type"] for q in every_type]
    assert all(q["id"].startswith("q_") for q in made["questions"])
    assert made["questions"][5]["options"][0] == {"value": "a", "label": None}
    assert made["progress"] == {"questions": 8, "answered": 0, "required_missing": 1}


async def test_send_to_portal_contacts_and_guests_with_hashed_links(api: Api, app: Any) -> None:
    f = await firm_with_contact(api, app)
    outsider = await create_contact(api, f.admin)  # no access to the entity
    refused = await send(api, f, expect=422, contact_ids=[f.contact["id"], outsider["id"]])
    assert problem(refused, 422, "recipient_without_access")["errors"][0]["loc"] == [
        "body",
        "contact_ids",
        1,
    ]
    problem(
        await send(api, f, expect=422, audience="portal", contact_ids=None),
        422,
        "recipients_required",
    )
    problem(await send(api, f, expect=422, audience="guest"), 422, "recipients_required")
    problem(
        await send(
            api,
            f,
            expect=422,
            audience="guest",
            guests=[{"name": "S", "email": "s@example.com"}],
            contact_ids=[f.contact["id"]],
        ),
        422,
        "recipients_mismatch",
    )
    problem(
        await send(
            api,
            f,
            expect=422,
            audience="guest",
            guests=[
                {"name": "Sam", "email": "sam@example.com"},
                {"name": "Sam again", "email": "SAM@example.com"},
            ],
        ),
        422,
        "guest_duplicate",
    )
    problem(await send(api, f, expect=403, actor=f.viewer), 403, "requests_initiate_forbidden")
    assert await _count(app) == 0

    portal = await send(api, f, due_date="2026-12-31")
    assert portal.headers["location"] == f"/v1/client-requests/{portal.json()['id']}"
    made = portal.json()
    assert made["status"] == "pending" and made["waiting_on"] == "contact"
    assert [(r["kind"], r["contact_id"], r["link_token"]) for r in made["recipients"]] == [
        ("contact", f.contact["id"], None)
    ]
    assert made["reminders"]["active"] is True
    assert await _event_types(app, made["id"]) == ["client_request.sent"]

    guest = (
        await send(
            api,
            f,
            audience="guest",
            guests=[
                {"name": "Sam Spouse", "email": "Sam@Example.com"},
                {"name": "Ann Assistant", "email": "ann@example.com"},
            ],
            security={"link_lifetime_days": 7, "one_time_code": True},
        )
    ).json()
    assert guest["waiting_on"] == "guest"
    assert guest["security"] == {"link_lifetime_days": 7, "one_time_code": True}
    sam = next(r for r in guest["recipients"] if r["name"] == "Sam Spouse")
    assert sam["email"] == "sam@example.com" and sam["link_active"] is True
    token = sam["link_token"]
    assert token and len(token) >= 40
    async with app.state.sessionmaker() as session:
        stored = await session.get(ClientRequestRecipient, uuid.UUID(sam["id"]))
        assert stored is not None and stored.token_hash == hash_token(token)
        dumped = [
            str(v)
            for row in (await session.execute(select(ClientRequestRecipient))).scalars()
            for v in vars(row).values()
        ]
        assert token not in dumped  # only the hash is stored
        found = await find_recipient(session, token)
        assert found is not None and str(found[0].id) == sam["id"]
    # Read again: the token is never shown twice.
    again = await get(api, f.admin, f"/v1/client-requests/{guest['id']}")
    assert {r["link_token"] for r in again["recipients"]} == {None}

    # A new link replaces the old one; a revoked link opens nothing.
    base = f"/v1/client-requests/{guest['id']}/recipients/{sam['id']}"
    issued = await api.client.post(f"{base}/link", headers=f.admin.headers)
    assert issued.status_code == 200, issued.text
    new_token = issued.json()["link_token"]
    assert new_token and new_token != token
    revoked = await api.client.post(f"{base}/revoke", headers=f.admin.headers)
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["link_active"] is False and revoked.json()["link_revoked_at"]
    async with app.state.sessionmaker() as session:
        assert await find_recipient(session, token) is None
        assert await find_recipient(session, new_token) is None
    contact_row = made["recipients"][0]["id"]
    problem(
        await api.client.post(
            f"/v1/client-requests/{made['id']}/recipients/{contact_row}/revoke",
            headers=f.admin.headers,
        ),
        409,
        "recipient_not_guest",
    )
    problem(
        await api.client.post(
            f"/v1/client-requests/{guest['id']}/recipients/{contact_row}/link",
            headers=f.admin.headers,
        ),
        404,
        "client_request_recipient_not_found",
    )
    problem(
        await api.client.post(f"{base}/link", headers=f.viewer.headers),
        403,
        "client_requests_manage_forbidden",
    )


async def test_lists_filter_and_page(api: Api, app: Any) -> None:
    f = await firm_with_contact(api, app)
    second = await create_entity(api, f.admin, name="Second Co")
    await send(api, f, title="A", due_date="2026-03-01")
    started = (await send(api, f, title="B", due_date="2026-06-01")).json()
    submitted = (await send(api, f, title="C")).json()
    (
        await send(
            api,
            f,
            title="D",
            entity_id=second["id"],
            audience="guest",
            guests=[{"name": "Sam", "email": "sam@example.com"}],
        )
    ).json()
    await answer(app, started["id"], {"name": "Carla"})
    await answer(app, submitted["id"], {"name": "Carla"}, submit=True)

    def titles(page: dict[str, Any]) -> list[str]:
        return sorted(item["title"] for item in page["items"])

    everything = await get(api, f.admin, "/v1/client-requests")
    assert titles(everything) == ["A", "B", "C", "D"]
    item = next(i for i in everything["items"] if i["title"] == "B")
    assert item["status"] == "in_progress" and item["progress"]["answered"] == 1
    assert item["questions"] is None and item["recipients"] is None
    assert item["entity_name"] == "Client Co"
    assert titles(await get(api, f.admin, "/v1/client-requests", status="in_progress")) == ["B"]
    assert titles(await get(api, f.admin, "/v1/client-requests", audience="guest")) == ["D"]
    assert titles(await get(api, f.admin, "/v1/client-requests", waiting_on="staff")) == ["C"]
    assert titles(await get(api, f.admin, "/v1/client-requests", waiting_on="contact")) == [
        "A",
        "B",
    ]
    assert titles(await get(api, f.admin, "/v1/client-requests", waiting_on="guest")) == ["D"]
    assert titles(
        await get(
            api, f.admin, "/v1/client-requests", due_after="2026-02-01", due_before="2026-04-01"
        )
    ) == ["A"]
    assert titles(await get(api, f.admin, "/v1/client-requests", entity_id=second["id"])) == ["D"]
    assert titles(
        await get(api, f.admin, f"/v1/entities/{f.entity_id}/client-requests", status="submitted")
    ) == ["C"]
    # The shared viewer sees the entity's requests, not the other entity's.
    assert titles(await get(api, f.viewer, "/v1/client-requests")) == ["A", "B", "C"]

    # Pages follow the cursor without repeats.
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 1, "order_by": "title"}
    while True:
        page = await get(api, f.admin, "/v1/client-requests", **params)
        seen += [i["title"] for i in page["items"]]
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert seen == ["A", "B", "C", "D"]
    problem(
        await api.client.get(
            "/v1/client-requests", params={"waiting_on": "nobody"}, headers=f.admin.headers
        ),
        422,
    )

    # A fixed number of statements per page, whatever its size (no query per request).
    engine = app.state.runtime.engine.sync_engine
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    async def listed(limit: int) -> int:
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            page = await get(api, f.viewer, "/v1/client-requests", limit=limit)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(page["items"])

    assert await listed(1) == 1
    one = len(statements)
    assert await listed(50) == 3
    assert len(statements) == one, statements


async def test_edit_while_pending_then_questions_locked_after_the_first_answer(
    api: Api, app: Any
) -> None:
    f = await firm_with_contact(api, app)
    made = (await send(api, f)).json()
    path = f"/v1/client-requests/{made['id']}"
    read = await api.client.get(path, headers=f.admin.headers)
    etag = read.headers["etag"]
    new_questions = [*QUESTIONS, {"type": "number", "prompt": "Children", "min": 0}]
    changed = await api.client.patch(
        path,
        json={
            "questions": new_questions,
            "title": "Tax return 2026 (v2)",
            "security": {"link_lifetime_days": 10},
            "reminders": {"enabled": False},
            "due_date": "2026-12-01",
        },
        headers={**f.admin.headers, "If-Match": etag},
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert [q["id"] for q in body["questions"][:3]] == ["name", "moved", "status"]
    assert body["questions"][3]["id"].startswith("q_")
    assert body["reminders"]["enabled"] is False
    assert changed.headers["etag"] != etag
    problem(
        await api.client.patch(
            path, json={"title": "Stale"}, headers={**f.admin.headers, "If-Match": etag}
        ),
        412,
        "stale_etag",
    )
    # Switch the audience while pending: to guests.
    switched = await api.client.patch(
        path,
        json={"audience": "guest", "guests": [{"name": "Sam", "email": "sam@example.com"}]},
        headers=f.admin.headers,
    )
    assert switched.status_code == 200, switched.text
    recipients = switched.json()["recipients"]
    assert [(r["kind"], bool(r["link_token"])) for r in recipients] == [("guest", True)]
    back = await api.client.patch(
        path,
        json={"audience": "portal", "contact_ids": [f.contact["id"]]},
        headers=f.admin.headers,
    )
    assert back.status_code == 200, back.text
    problem(
        await api.client.patch(path, json={"audience": "guest"}, headers=f.admin.headers),
        422,
        "recipients_required",
    )
    problem(
        await api.client.patch(path, json={"title": "x"}, headers=f.viewer.headers),
        403,
        "client_requests_manage_forbidden",
    )

    await answer(app, made["id"], {"name": "Carla"})
    started = await get(api, f.admin, path)
    assert started["status"] == "in_progress" and started["answers"][0]["value"] == "Carla"
    for locked in ({"questions": QUESTIONS}, {"audience": "guest"}):
        problem(
            await api.client.patch(path, json=locked, headers=f.admin.headers),
            409,
            "client_request_locked",
        )
    still = await api.client.patch(
        path, json={"title": "Still editable", "due_date": None}, headers=f.admin.headers
    )
    assert still.status_code == 200, still.text
    after = await get(api, f.admin, path)
    assert len(after["questions"]) == 4 and after["title"] == "Still editable"
    assert await _event_types(app, made["id"]) == [
        "client_request.sent",
        "client_request.updated",
        "client_request.updated",
        "client_request.updated",
        "client_request.started",
        "client_request.updated",
    ]


async def test_cancel_complete_and_reopen_follow_the_states(api: Api, app: Any) -> None:
    f = await firm_with_contact(api, app)
    made = (await send(api, f)).json()
    path = f"/v1/client-requests/{made['id']}"
    problem(
        await api.client.post(f"{path}/complete", headers=f.admin.headers),
        409,
        "client_request_not_submitted",
    )
    problem(
        await api.client.post(f"{path}/reopen", json={"note": "x"}, headers=f.admin.headers),
        409,
        "client_request_not_submitted",
    )
    await answer(app, made["id"], {"name": "Carla"}, submit=True)
    submitted = await get(api, f.admin, path)
    assert submitted["status"] == "submitted" and submitted["waiting_on"] == "staff"
    assert submitted["submitted_by_name"] == "Carla Client"
    assert submitted["reminders"]["active"] is False
    problem(
        await api.client.post(f"{path}/reopen", json={"note": ""}, headers=f.admin.headers), 422
    )
    reopened = await api.client.post(
        f"{path}/reopen", json={"note": "Please add your 2025 address"}, headers=f.admin.headers
    )
    assert reopened.status_code == 200, reopened.text
    body = reopened.json()
    assert body["status"] == "in_progress" and body["reopen_note"].startswith("Please")
    assert body["answers"][0]["value"] == "Carla"  # kept
    assert body["reminders"]["active"] is True
    await answer(app, made["id"], {}, submit=True)
    completed = await api.client.post(f"{path}/complete", headers=f.admin.headers)
    assert completed.status_code == 200, completed.text
    assert completed.json()["status"] == "completed" and completed.json()["waiting_on"] is None
    for closed in (
        api.client.post(f"{path}/cancel", json={}, headers=f.admin.headers),
        api.client.patch(path, json={"title": "x"}, headers=f.admin.headers),
    ):
        problem(await closed, 409, "client_request_closed")

    other = (await send(api, f)).json()
    cancelled = await api.client.post(
        f"/v1/client-requests/{other['id']}/cancel",
        json={"reason": "Sent by mistake"},
        headers=f.admin.headers,
    )
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["cancel_reason"] == "Sent by mistake"
    problem(
        await api.client.post(
            f"/v1/client-requests/{other['id']}/cancel", json={}, headers=f.admin.headers
        ),
        409,
        "client_request_closed",
    )
    assert await _event_types(app, made["id"]) == [
        "client_request.sent",
        "client_request.started",
        "client_request.submitted",
        "client_request.reopened",
        "client_request.submitted",
        "client_request.completed",
    ]


async def test_other_firms_and_unshared_staff_get_404(api: Api, app: Any) -> None:
    f = await firm_with_contact(api, app)
    made = (await send(api, f)).json()
    other = await firm_with_contact(api, app, name="Elsewhere Audit")
    outsider = await api.add_staff(f.admin, name="No Access")
    path = f"/v1/client-requests/{made['id']}"
    for actor in (other.admin, outsider):
        problem(await api.client.get(path, headers=actor.headers), 404, "client_request_not_found")
        problem(
            await api.client.post(f"{path}/cancel", json={}, headers=actor.headers),
            404,
            "client_request_not_found",
        )
        assert (await get(api, actor, "/v1/client-requests"))["items"] == []
    problem(
        await api.client.get(
            f"/v1/entities/{f.entity_id}/client-requests", headers=other.admin.headers
        ),
        404,
    )
    # Another firm's contact cannot be a recipient; another firm's task cannot be linked.
    problem(
        await send(api, f, expect=422, contact_ids=[other.contact["id"]]),
        422,
        "recipient_without_access",
    )
    problem(
        await send(api, f, expect=422, task_id=str(uuid.uuid4()), auto_advance=True),
        422,
        "task_not_on_entity",
    )
    problem(await send(api, f, expect=422, auto_advance=True), 422, "auto_advance_without_task")
    problem(
        await send(api, f, expect=422, responsible_id=other.admin.user_id),
        422,
        "responsible_not_found",
    )
    # The contact's token opens no staff route.
    problem(await api.client.get(path, headers=f.contact_actor.headers), 403)


async def test_overdue_and_an_entity_with_requests_is_archived_not_deleted(
    api: Api, app: Any
) -> None:
    f = await firm_with_contact(api, app)
    late = (await send(api, f, title="Late", due_date="2020-01-31")).json()
    await send(api, f, title="Later", due_date="2999-01-31")
    done = (await send(api, f, title="Done late", due_date="2020-01-31")).json()
    await answer(app, done["id"], {"name": "Carla"}, submit=True)
    assert late["overdue"] is True and done["overdue"] is True  # as sent: still open then
    overdue = await get(api, f.admin, "/v1/client-requests", overdue="true")
    assert [i["title"] for i in overdue["items"]] == ["Late"]  # submitted: no longer waiting
    not_overdue = await get(api, f.admin, "/v1/client-requests", overdue="false")
    assert sorted(i["title"] for i in not_overdue["items"]) == ["Done late", "Later"]

    deleted = await api.client.delete(f"/v1/entities/{f.entity_id}", headers=f.admin.headers)
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["status"] == "archived"
    assert (await get(api, f.admin, f"/v1/client-requests/{late['id']}"))["title"] == "Late"
