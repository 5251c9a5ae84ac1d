"""Attachments on discussions and comments: staff attach files of the entity, contacts
attach their own uploads, and every contact who can read the discussion downloads them
through the portal (issue 6, item 6)."""

from __future__ import annotations

from typing import Any

from tests.contact_helpers import create_group, portal_contact, post
from tests.factories import create_entity
from tests.files import samples
from tests.helpers import Actor, Api, problem


async def _staff_upload(
    api: Api, staff: Actor, entity_id: str, data: bytes = samples.PDF
) -> dict[str, Any]:
    response = await api.client.post(
        f"/v1/entities/{entity_id}/files",
        files={"file": ("draft accounts.pdf", data, "application/pdf")},
        headers=staff.headers,
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def _count(api: Api, staff: Actor, path: str) -> int:
    response = await api.client.get(path, headers=staff.headers)
    assert response.status_code == 200, response.text
    return len(response.json()["items"])


async def test_staff_attachment_downloaded_by_group_contact_only(api: Api, app: Any) -> None:
    admin = await api.sign_up_firm()
    entity = await create_entity(api, admin)
    member, member_client = await portal_contact(api, app, admin, entity["id"], "viewer")
    _, outsider = await portal_contact(api, app, admin, entity["id"], "contributor")
    group = await create_group(api, admin, entity["id"], [member["id"]])
    data = samples.PDF + bytes(range(256)) * 16
    file = await _staff_upload(api, admin, entity["id"], data)
    assert file["shared_with_contacts"] is False

    discussion = await post(
        api,
        admin,
        f"/v1/entities/{entity['id']}/discussions",
        {
            "subject": "Year end",
            "body": "The draft is attached.",
            "group_ids": [group["id"]],
            "attachments": [file["id"]],
        },
    )
    [attached] = discussion["attachments"]
    assert attached == {
        "id": file["id"],
        "name": "draft accounts.pdf",
        "size": len(data),
        "content_type": "application/pdf",
        "content_url": f"/v1/files/{file['id']}/content",
    }
    got = await api.client.get(
        f"/v1/entities/{entity['id']}/discussions/{discussion['id']}", headers=admin.headers
    )
    assert got.json()["attachments"] == [attached]

    # The group's contact sees it on the discussion and downloads it byte-exact.
    seen = await api.client.get(
        f"/v1/portal/discussions/{discussion['id']}", headers=member_client.headers
    )
    assert seen.status_code == 200, seen.text
    [portal_attached] = seen.json()["attachments"]
    assert portal_attached["content_url"] == f"/v1/portal/files/{file['id']}/content"
    download = await api.client.get(portal_attached["content_url"], headers=member_client.headers)
    assert download.status_code == 200, download.text
    assert download.content == data

    # A contact of the entity outside the group: the file does not exist for them.
    for path in (f"/v1/portal/files/{file['id']}", f"/v1/portal/files/{file['id']}/content"):
        problem(await api.client.get(path, headers=outsider.headers), 404, "file_not_found")

    activity = await api.client.get(f"/v1/entities/{entity['id']}/activity", headers=admin.headers)
    events = [(e["type"], e["actor"]["kind"], e["actor"]["id"]) for e in activity.json()["items"]]
    assert ("file.downloaded", "contact", member["id"]) in events


async def test_another_entitys_file_is_refused_and_nothing_created(api: Api, app: Any) -> None:
    admin = await api.sign_up_firm()
    entity = await create_entity(api, admin)
    other = await create_entity(api, admin, name="Other Client")
    foreign = await _staff_upload(api, admin, other["id"])
    other_firm = await api.sign_up_firm("Other Firm")
    other_firm_entity = await create_entity(api, other_firm)
    elsewhere = await _staff_upload(api, other_firm, other_firm_entity["id"])
    discussions = f"/v1/entities/{entity['id']}/discussions"

    for file_id in (foreign["id"], elsewhere["id"]):
        refused = await api.client.post(
            discussions,
            json={"subject": "S", "body": "B", "attachments": [file_id]},
            headers=admin.headers,
        )
        body = problem(refused, 422, "attachment_not_allowed")
        assert body["errors"][0]["loc"] == ["body", "attachments"]
    assert await _count(api, admin, discussions) == 0

    discussion = await post(api, admin, discussions, {"subject": "S", "body": "B"})
    comments = f"{discussions}/{discussion['id']}/comments"
    refused = await api.client.post(
        comments, json={"body": "See this", "attachments": [foreign["id"]]}, headers=admin.headers
    )
    problem(refused, 422, "attachment_not_allowed")
    assert await _count(api, admin, comments) == 0


async def test_contact_comment_with_own_upload_is_visible_to_staff(api: Api, app: Any) -> None:
    admin = await api.sign_up_firm()
    entity = await create_entity(api, admin)
    contact, client = await portal_contact(api, app, admin, entity["id"], "contributor")
    group = await create_group(api, admin, entity["id"], [contact["id"]])
    discussion = await post(
        api,
        admin,
        f"/v1/entities/{entity['id']}/discussions",
        {"subject": "Bank statements", "body": "Please send them.", "group_ids": [group["id"]]},
    )
    uploaded = await api.client.post(
        f"/v1/portal/entities/{entity['id']}/files",
        files={"file": ("statement.pdf", samples.PDF, "application/pdf")},
        headers=client.headers,
    )
    assert uploaded.status_code == 201, uploaded.text
    own = uploaded.json()
    staff_file = await _staff_upload(api, admin, entity["id"])  # not the contact's upload
    portal_comments = f"/v1/portal/discussions/{discussion['id']}/comments"

    refused = await api.client.post(
        portal_comments,
        json={"body": "Here", "attachments": [staff_file["id"]]},
        headers=client.headers,
    )
    problem(refused, 422, "attachment_not_allowed")

    comment = await api.client.post(
        portal_comments,
        json={"body": "Here you are", "attachments": [own["id"]]},
        headers=client.headers,
    )
    assert comment.status_code == 201, comment.text
    [mine] = comment.json()["attachments"]
    assert mine["id"] == own["id"]
    assert mine["content_url"] == f"/v1/portal/files/{own['id']}/content"

    staff_comments = await api.client.get(
        f"/v1/entities/{entity['id']}/discussions/{discussion['id']}/comments",
        headers=admin.headers,
    )
    [seen] = staff_comments.json()["items"]
    assert seen["author_kind"] == "contact" and seen["body"] == "Here you are"
    assert seen["attachments"] == [
        {
            "id": own["id"],
            "name": "statement.pdf",
            "size": len(samples.PDF),
            "content_type": "application/pdf",
            "content_url": f"/v1/files/{own['id']}/content",
        }
    ]
    listed = await api.client.get(portal_comments, headers=client.headers)
    assert listed.json()["items"][0]["attachments"] == [mine]
