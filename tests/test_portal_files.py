"""Files in the portal: what is shared with a contact, contributors' uploads, downloads in
the activity log, and 404 for every contact without access (issue 7, item 5)."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from tests.contact_helpers import portal_contact
from tests.factories import create_entity
from tests.files import samples
from tests.helpers import Actor, Api, problem


def _pdf(data: bytes = samples.PDF, name: str = "report.pdf") -> dict[str, Any]:
    return {"file": (name, data, "application/pdf")}


async def _staff_upload(api: Api, staff: Actor, entity_id: str, **data: str) -> dict[str, Any]:
    response = await api.client.post(
        f"/v1/entities/{entity_id}/files", files=_pdf(), data=data, headers=staff.headers
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def _listed(api: Api, contact: Actor, entity_id: str) -> list[str]:
    response = await api.client.get(
        f"/v1/portal/entities/{entity_id}/files", headers=contact.headers
    )
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


async def test_contributor_round_trip_byte_exact_and_download_in_activity(
    api: Api, app: Any
) -> None:
    admin = await api.sign_up_firm()
    entity = await create_entity(api, admin)
    contact, client = await portal_contact(api, app, admin, entity["id"], "contributor")
    data = samples.PDF + bytes(range(256)) * 64

    uploaded = await api.client.post(
        f"/v1/portal/entities/{entity['id']}/files",
        files=_pdf(data, "../../etc/bank statement.pdf"),
        headers=client.headers,
    )
    assert uploaded.status_code == 201, uploaded.text
    body = uploaded.json()
    assert uploaded.headers["location"] == f"/v1/portal/files/{body['id']}"
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    assert body["size"] == len(data)
    assert body["content_type"] == "application/pdf"
    assert body["uploaded_by_kind"] == "contact" and body["mine"] is True
    assert "/" not in body["name"]
    # Contact-facing: no staff ids, versions or sharing flags.
    assert not {"uploaded_by", "current_version", "shared_with_contacts"} & set(body)

    got = await api.client.get(f"/v1/portal/files/{body['id']}", headers=client.headers)
    assert got.status_code == 200 and got.json() == body
    download = await api.client.get(body["content_url"], headers=client.headers)
    assert download.status_code == 200
    assert download.content == data
    assert hashlib.sha256(download.content).hexdigest() == body["sha256"]
    assert download.headers["etag"] == f'"{body["sha256"]}"'
    part = await api.client.get(
        body["content_url"], headers={**client.headers, "Range": "bytes=0-9"}
    )
    assert part.status_code == 206 and part.content == data[:10]

    # Staff see the contact's upload, with the contact as its uploader.
    staff_view = await api.client.get(f"/v1/files/{body['id']}", headers=admin.headers)
    assert staff_view.json()["uploaded_by"] == {
        "kind": "contact",
        "id": contact["id"],
        "name": contact["name"],
    }
    activity = await api.client.get(f"/v1/entities/{entity['id']}/activity", headers=admin.headers)
    events = [(e["type"], e["actor"]["kind"], e["actor"]["id"]) for e in activity.json()["items"]]
    assert events.count(("file.downloaded", "contact", contact["id"])) == 2  # 200 + bytes 0-
    assert ("file.uploaded", "contact", contact["id"]) in events


async def test_viewer_lists_and_downloads_shared_files_but_may_not_upload(
    api: Api, app: Any
) -> None:
    admin = await api.sign_up_firm()
    entity = await create_entity(api, admin)
    contact, viewer = await portal_contact(api, app, admin, entity["id"], "viewer")
    shared = await _staff_upload(api, admin, entity["id"], shared_with_contacts="true")
    assert shared["shared_with_contacts"] is True

    assert await _listed(api, viewer, entity["id"]) == [shared["id"]]
    download = await api.client.get(
        f"/v1/portal/files/{shared['id']}/content", headers=viewer.headers
    )
    assert download.status_code == 200 and download.content == samples.PDF

    refused = await api.client.post(
        f"/v1/portal/entities/{entity['id']}/files", files=_pdf(), headers=viewer.headers
    )
    problem(refused, 403, "portal_upload_forbidden")
    staff_list = await api.client.get(f"/v1/entities/{entity['id']}/files", headers=admin.headers)
    assert [f["id"] for f in staff_list.json()["items"]] == [shared["id"]]  # nothing stored

    activity = await api.client.get(f"/v1/entities/{entity['id']}/activity", headers=admin.headers)
    downloads = [e for e in activity.json()["items"] if e["type"] == "file.downloaded"]
    assert [(e["actor"]["kind"], e["actor"]["id"]) for e in downloads] == [
        ("contact", contact["id"])
    ]


async def test_staff_file_is_invisible_until_shared(api: Api, app: Any) -> None:
    admin = await api.sign_up_firm()
    entity = await create_entity(api, admin)
    _, contact = await portal_contact(api, app, admin, entity["id"], "contributor")
    private = await _staff_upload(api, admin, entity["id"])
    assert private["shared_with_contacts"] is False

    assert await _listed(api, contact, entity["id"]) == []
    for path in (f"/v1/portal/files/{private['id']}", f"/v1/portal/files/{private['id']}/content"):
        problem(await api.client.get(path, headers=contact.headers), 404, "file_not_found")

    shared = await api.client.patch(
        f"/v1/files/{private['id']}", json={"shared_with_contacts": True}, headers=admin.headers
    )
    assert shared.status_code == 200, shared.text
    assert shared.json()["shared_with_contacts"] is True
    assert await _listed(api, contact, entity["id"]) == [private["id"]]
    got = await api.client.get(f"/v1/portal/files/{private['id']}", headers=contact.headers)
    assert got.status_code == 200 and got.json()["uploaded_by_kind"] == "staff"

    unshared = await api.client.patch(
        f"/v1/files/{private['id']}",
        json={"shared_with_contacts": False},
        headers={**admin.headers, "If-Match": shared.headers["etag"]},
    )
    assert unshared.status_code == 200, unshared.text
    assert await _listed(api, contact, entity["id"]) == []
    activity = await api.client.get(f"/v1/entities/{entity['id']}/activity", headers=admin.headers)
    assert [
        e["payload"]["shared_with_contacts"]
        for e in activity.json()["items"]
        if e["type"] == "file.sharing_changed"
    ] == [False, True]


async def test_bad_shared_flag_is_refused_and_nothing_is_left(api: Api) -> None:
    admin = await api.sign_up_firm()
    entity = await create_entity(api, admin)
    response = await api.client.post(
        f"/v1/entities/{entity['id']}/files",
        files=_pdf(),
        data={"shared_with_contacts": "maybe"},
        headers=admin.headers,
    )
    problem(response, 422)
    listed = await api.client.get(f"/v1/entities/{entity['id']}/files", headers=admin.headers)
    assert listed.json()["items"] == []


async def test_contacts_without_access_get_404_on_every_route(api: Api, app: Any) -> None:
    admin = await api.sign_up_firm()
    entity = await create_entity(api, admin)
    elsewhere = await create_entity(api, admin, name="Elsewhere")
    _, contributor = await portal_contact(api, app, admin, entity["id"], "contributor")
    _, other_entity = await portal_contact(api, app, admin, elsewhere["id"], "contributor")
    other_firm_admin = await api.sign_up_firm("Other Audit")
    other_firm_entity = await create_entity(api, other_firm_admin)
    _, other_firm = await portal_contact(
        api, app, other_firm_admin, other_firm_entity["id"], "contributor"
    )
    uploaded = await api.client.post(
        f"/v1/portal/entities/{entity['id']}/files", files=_pdf(), headers=contributor.headers
    )
    file_id = uploaded.json()["id"]
    shared = await _staff_upload(api, admin, entity["id"], shared_with_contacts="true")

    for outsider in (other_entity, other_firm):
        for method, path, files in [
            ("GET", f"/v1/portal/entities/{entity['id']}/files", None),
            ("POST", f"/v1/portal/entities/{entity['id']}/files", _pdf()),
            ("GET", f"/v1/portal/files/{file_id}", None),
            ("GET", f"/v1/portal/files/{file_id}/content", None),
            ("GET", f"/v1/portal/files/{shared['id']}", None),
            ("GET", f"/v1/portal/files/{shared['id']}/content", None),
            ("GET", f"/v1/portal/files/{uuid.uuid4()}", None),
        ]:
            response = await api.client.request(method, path, files=files, headers=outsider.headers)
            problem(response, 404)
    # A deleted file is gone from the portal too.
    deleted = await api.client.delete(f"/v1/files/{file_id}", headers=admin.headers)
    assert deleted.status_code == 204
    problem(await api.client.get(f"/v1/portal/files/{file_id}", headers=contributor.headers), 404)


async def test_staff_tokens_are_refused_on_portal_file_routes(api: Api, app: Any) -> None:
    admin = await api.sign_up_firm()
    entity = await create_entity(api, admin)
    shared = await _staff_upload(api, admin, entity["id"], shared_with_contacts="true")
    for method, path, files in [
        ("GET", f"/v1/portal/entities/{entity['id']}/files", None),
        ("POST", f"/v1/portal/entities/{entity['id']}/files", _pdf()),
        ("GET", f"/v1/portal/files/{shared['id']}", None),
        ("GET", f"/v1/portal/files/{shared['id']}/content", None),
    ]:
        response = await api.client.request(method, path, files=files, headers=admin.headers)
        problem(response, 403, "contact_only")


async def test_sharing_flag_cannot_be_null(api: Api) -> None:
    admin = await api.sign_up_firm()
    entity = (
        await api.client.post("/v1/entities", json={"name": "E"}, headers=admin.headers)
    ).json()
    uploaded = await api.client.post(
        f"/v1/entities/{entity['id']}/files",
        files={"file": ("a.txt", b"hello", "text/plain")},
        headers=admin.headers,
    )
    assert uploaded.status_code == 201, uploaded.text
    response = await api.client.patch(
        f"/v1/files/{uploaded.json()['id']}",
        json={"shared_with_contacts": None},
        headers=admin.headers,
    )
    problem(response, 422, "validation_failed")
