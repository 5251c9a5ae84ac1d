"""File requests: create, the review cycle, the portal, staff lists (both databases)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, func, select

from practice_api.file_requests.models import FileRequest
from tests.contact_helpers import create_contact
from tests.factories import events
from tests.file_request_helpers import (
    create_request,
    firm_with_contacts,
    get,
    pdf,
    upload,
)
from tests.helpers import Api, problem


async def _request_count(app: Any) -> int:
    async with app.state.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(FileRequest)) or 0)


async def test_recipients_must_be_contributors_and_viewers_cannot_initiate(
    api: Api, app: Any
) -> None:
    f = await firm_with_contacts(api, app)
    refused = await create_request(api, f, expect=422, recipients=[f.viewer_contact["id"]])
    body = problem(refused, 422, "recipient_not_contributor")
    assert f.viewer_contact["id"] in body["detail"]
    assert body["errors"][0]["loc"] == ["body", "recipients", 0]

    outsider = await create_contact(api, f.admin)  # no access to the entity at all
    problem(
        await create_request(api, f, expect=422, recipients=[outsider["id"]]),
        422,
        "recipient_not_contributor",
    )
    problem(
        await create_request(api, f, expect=403, actor=f.viewer),
        403,
        "requests_initiate_forbidden",
    )
    assert await _request_count(app) == 0


async def test_description_is_plain_text_and_additional_message_needs_the_setting(
    api: Api, app: Any
) -> None:
    f = await firm_with_contacts(api, app)
    html = "<b>Bonjour</b> <script>alert(1)</script>\nLine two &amp; more"
    problem(
        await create_request(api, f, expect=422, description=html, additional_message="Thanks"),
        422,
        "additional_message_disabled",
    )
    enabled = await api.client.patch(
        "/v1/firm", json={"detailed_notifications_enabled": True}, headers=f.admin.headers
    )
    assert enabled.status_code == 200
    made = (
        await create_request(api, f, description=html, additional_message="Thanks a lot")
    ).json()
    assert made["description"] == html
    assert made["additional_message"] == "Thanks a lot"
    assert made["status"] == "open" and made["counts"] == {
        "total": 1,
        "open": 1,
        "submitted": 0,
        "accepted": 0,
        "returned": 0,
    }
    portal = await get(api, f.contact_actor, f"/v1/portal/file-requests/{made['id']}")
    assert portal["description"] == html


async def test_update_item_upload_becomes_the_next_version_and_the_review_cycle(
    api: Api, app: Any
) -> None:
    f = await firm_with_contacts(api, app)
    original = await api.client.post(
        f"/v1/entities/{f.entity_id}/files", files=pdf("letter.pdf"), headers=f.admin.headers
    )
    assert original.status_code == 201
    file_id = original.json()["id"]
    made = (
        await create_request(
            api,
            f,
            items=[
                {"title": "Sign the engagement letter", "attachment": file_id},
                {"title": "Bank statements", "description": "All accounts"},
            ],
        )
    ).json()
    request_id = made["id"]
    sign, bank = made["items"]
    assert sign["attachment"]["id"] == file_id

    # The contact downloads the attachment (it is not otherwise shared) and sends it back.
    attachment = await api.client.get(
        f"/v1/portal/file-requests/{request_id}/items/{sign['id']}/attachment",
        headers=f.contact_actor.headers,
    )
    assert attachment.status_code == 200 and attachment.content.startswith(b"%PDF")
    await upload(api, f.contact_actor, request_id, sign["id"], extra=b"signed")
    versions = await get(api, f.admin, f"/v1/files/{file_id}/versions")
    assert [v["number"] for v in versions["items"]] == [2, 1]
    detail = await get(api, f.admin, f"/v1/file-requests/{request_id}")
    assert detail["status"] == "in_progress"
    assert detail["items"][0]["status"] == "submitted"
    assert detail["items"][0]["file"]["id"] == file_id
    assert detail["items"][0]["file"]["version"] == 2

    # Edits are locked once something was submitted.
    locked = await api.client.patch(
        f"/v1/file-requests/{request_id}", json={"subject": "New"}, headers=f.admin.headers
    )
    problem(locked, 409, "request_item_locked")
    locked_item = await api.client.patch(
        f"/v1/file-requests/{request_id}/items/{sign['id']}",
        json={"title": "x"},
        headers=f.admin.headers,
    )
    problem(locked_item, 409, "request_item_locked")
    still_open = await api.client.patch(
        f"/v1/file-requests/{request_id}/items/{bank['id']}",
        json={"description": "Both accounts"},
        headers=f.admin.headers,
    )
    assert still_open.status_code == 200, still_open.text

    # A new-file item creates a file of the entity; the request is submitted.
    await upload(api, f.contact_actor, request_id, bank["id"])
    detail = await get(api, f.admin, f"/v1/file-requests/{request_id}")
    assert detail["status"] == "submitted"
    bank_file = detail["items"][1]["file"]
    assert bank_file["version"] == 1 and bank_file["id"] != file_id

    # The shared viewer reads statuses but downloads accepted items only.
    viewer_detail = await get(api, f.viewer, f"/v1/file-requests/{request_id}")
    assert viewer_detail["status"] == "submitted"
    content = f"/v1/file-requests/{request_id}/items/{bank['id']}/content"
    problem(
        await api.client.get(content, headers=f.viewer.headers),
        403,
        "file_request_item_not_accepted",
    )
    problem(
        await api.client.post(
            f"/v1/file-requests/{request_id}/items/{bank['id']}/accept", headers=f.viewer.headers
        ),
        403,
        "file_requests_manage_forbidden",
    )

    # Return with a reason: the contact sees it, uploads again, staff accept.
    returned = await api.client.post(
        f"/v1/file-requests/{request_id}/items/{bank['id']}/return",
        json={"reason": "Page 2 is missing"},
        headers=f.admin.headers,
    )
    assert returned.status_code == 200 and returned.json()["status"] == "returned"
    assert (await get(api, f.admin, f"/v1/file-requests/{request_id}"))["status"] == "in_progress"
    portal = await get(api, f.contact_actor, f"/v1/portal/file-requests/{request_id}")
    assert portal["items"][1]["return_reason"] == "Page 2 is missing"
    assert portal["items"][1]["waiting"] is True
    await upload(api, f.contact_actor, request_id, bank["id"], extra=b"page 2")
    assert (await get(api, f.admin, f"/v1/file-requests/{request_id}"))["status"] == "submitted"

    accepted = await api.client.post(
        f"/v1/file-requests/{request_id}/accept", json={}, headers=f.admin.headers
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "completed"
    assert accepted.json()["counts"]["accepted"] == 2
    download = await api.client.get(content, headers=f.viewer.headers)
    assert download.status_code == 200 and download.content.endswith(b"page 2")
    upload_after = await upload(api, f.contact_actor, request_id, bank["id"], expect=409)
    problem(upload_after, 409, "file_request_closed")

    types = [e.type for e in await events(app) if e.type.startswith("file_request.")]
    assert types == [
        "file_request.created",
        "file_request.item_submitted",
        "file_request.updated",
        "file_request.item_submitted",
        "file_request.item_returned",
        "file_request.item_submitted",
        "file_request.item_accepted",
        "file_request.completed",
    ]


async def test_viewer_contact_cannot_upload_and_other_firms_see_nothing(api: Api, app: Any) -> None:
    f = await firm_with_contacts(api, app)
    made = (await create_request(api, f)).json()
    item_id = made["items"][0]["id"]
    # Demoted to viewer after the request was sent: sees it, may not upload.
    demoted = await api.client.put(
        f"/v1/entities/{f.entity_id}/contacts/{f.contact['id']}",
        json={"role": "viewer"},
        headers=f.admin.headers,
    )
    assert demoted.status_code == 200, demoted.text
    problem(
        await upload(api, f.contact_actor, made["id"], item_id, expect=403),
        403,
        "portal_upload_forbidden",
    )

    other = await api.sign_up_firm("Elsewhere")
    for path in (
        f"/v1/file-requests/{made['id']}",
        f"/v1/file-requests/{made['id']}/items/{item_id}/content",
    ):
        problem(await api.client.get(path, headers=other.headers), 404)
    listed = await get(api, other, "/v1/file-requests")
    assert listed["items"] == []
    problem(
        await api.client.post(
            f"/v1/file-requests/{made['id']}/cancel", json={}, headers=other.headers
        ),
        404,
        "file_request_not_found",
    )


async def test_csv_body_creates_the_items(api: Api, app: Any) -> None:
    f = await firm_with_contacts(api, app)
    lines = ["title,description,due_date"] + [
        f'Document {n},"Line {n}, with a comma",2027-01-{(n % 28) + 1:02d}' for n in range(200)
    ]
    response = await api.client.post(
        f"/v1/entities/{f.entity_id}/file-requests",
        params={
            "subject": "Audit PBC list",
            "recipients": f.contact["id"],
            "due_date": "2027-02-01",
        },
        content="\n".join(lines).encode(),
        headers={**f.admin.headers, "Content-Type": "text/csv"},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["subject"] == "Audit PBC list" and body["due_date"] == "2027-02-01"
    assert body["counts"]["total"] == 200
    assert body["items"][3]["description"] == "Line 3, with a comma"
    assert body["items"][3]["due_date"] == "2027-01-04"

    bad = await api.client.post(
        f"/v1/entities/{f.entity_id}/file-requests",
        params={"subject": "S", "recipients": f.contact["id"]},
        content=b"title,due_date\nOne,not-a-date\n",
        headers={**f.admin.headers, "Content-Type": "text/csv"},
    )
    issue = problem(bad, 422)["errors"][0]
    assert issue["loc"] == ["body", "items", 0, "due_date"]
    too_many = "title\n" + "\n".join(f"T{n}" for n in range(501))
    problem(
        await api.client.post(
            f"/v1/entities/{f.entity_id}/file-requests",
            params={"subject": "S", "recipients": f.contact["id"]},
            content=too_many.encode(),
            headers={**f.admin.headers, "Content-Type": "text/csv"},
        ),
        422,
    )
    problem(
        await api.client.post(
            f"/v1/entities/{f.entity_id}/file-requests",
            params={"subject": "S", "recipients": f.contact["id"]},
            content=b"name\nx\n",
            headers={**f.admin.headers, "Content-Type": "text/csv"},
        ),
        400,
        "malformed_body",
    )


@pytest.mark.committed  # counts the statements of real transactions (no savepoints)
async def test_lists_filter_count_in_sql_and_portal_puts_waiting_first(api: Api, app: Any) -> None:
    f = await firm_with_contacts(api, app)
    first = (await create_request(api, f, subject="First", due_date="2020-01-31")).json()
    second = (
        await create_request(api, f, subject="Second", items=[{"title": "A"}, {"title": "B"}])
    ).json()
    await upload(api, f.contact_actor, first["id"], first["items"][0]["id"])  # first: submitted
    for n in range(5):
        await create_request(api, f, subject=f"More {n}")

    engine = app.state.runtime.engine.sync_engine
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    async def listed(limit: int) -> dict[str, Any]:
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            return await get(api, f.admin, f"/v1/file-requests?limit={limit}")
        finally:
            event.remove(engine, "before_cursor_execute", count)

    small = await listed(2)
    small_count = len(statements)
    assert len(small["items"]) == 2
    large = await listed(50)
    assert len(statements) == small_count, statements
    assert len(large["items"]) == 7
    by_subject = {r["subject"]: r for r in large["items"]}
    assert by_subject["First"]["counts"]["submitted"] == 1
    assert by_subject["First"]["overdue"] is False  # submitted: nothing waits
    assert by_subject["Second"]["counts"]["open"] == 2
    assert by_subject["Second"]["id"] == second["id"]

    submitted = await get(api, f.admin, "/v1/file-requests?status=submitted")
    assert [r["id"] for r in submitted["items"]] == [first["id"]]
    mine = await get(
        api, f.admin, f"/v1/entities/{f.entity_id}/file-requests?recipient_id={f.contact['id']}"
    )
    assert len(mine["items"]) == 7
    due = await get(api, f.admin, "/v1/file-requests?due_before=2020-12-31")
    assert [r["id"] for r in due["items"]] == [first["id"]]
    viewer_list = await get(api, f.viewer, "/v1/file-requests")
    assert len(viewer_list["items"]) == 7

    portal = await get(api, f.contact_actor, "/v1/portal/file-requests?limit=3")
    assert portal["waiting"] == 6
    assert all(r["waiting"] for r in portal["items"])
    seen = [r["id"] for r in portal["items"]]
    cursor = portal["next_cursor"]
    while cursor:
        page = await get(api, f.contact_actor, f"/v1/portal/file-requests?limit=3&cursor={cursor}")
        seen += [r["id"] for r in page["items"]]
        cursor = page["next_cursor"]
    assert len(seen) == len(set(seen)) == 7
    assert seen[-1] == first["id"]  # nothing waits there: last


async def test_uploads_at_once_take_turns_and_one_new_file_item_makes_one_file(
    api: Api, app: Any
) -> None:
    import asyncio

    f = await firm_with_contacts(api, app)
    made = (await create_request(api, f, items=[{"title": "A"}, {"title": "B"}])).json()
    item_id, other_id = made["items"][0]["id"], made["items"][1]["id"]
    first, second, third = await asyncio.gather(
        api.client.post(
            f"/v1/portal/file-requests/{made['id']}/items/{item_id}/uploads",
            files=pdf(extra=b"one"),
            headers=f.contact_actor.headers,
        ),
        api.client.post(
            f"/v1/portal/file-requests/{made['id']}/items/{item_id}/uploads",
            files=pdf(extra=b"two"),
            headers=f.contact_actor.headers,
        ),
        api.client.post(
            f"/v1/portal/file-requests/{made['id']}/items/{other_id}/uploads",
            files=pdf(extra=b"three"),
            headers=f.contact_actor.headers,
        ),
    )
    statuses = (first.status_code, second.status_code, third.status_code)
    assert statuses == (201, 201, 201), (first.text, second.text, third.text)
    detail = await get(api, f.admin, f"/v1/file-requests/{made['id']}")
    item = detail["items"][0]
    assert item["uploads"] == 2 and item["file"]["version"] == 2
    assert detail["status"] == "submitted"
    files = await get(api, f.admin, f"/v1/entities/{f.entity_id}/files")
    assert len(files["items"]) == 2
