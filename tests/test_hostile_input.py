"""Finding 5: inputs that answered 500, or were silently dropped, now answer a clear 4xx."""

from __future__ import annotations

import pytest

from tests.factories import create_entity
from tests.files import samples
from tests.helpers import Actor, Api, problem


async def _file(api: Api, admin: Actor) -> str:
    entity = await create_entity(api, admin)
    response = await api.client.post(
        f"/v1/entities/{entity['id']}/files",
        headers=admin.headers,
        files={"file": ("a.pdf", samples.PDF, "application/pdf")},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


@pytest.mark.parametrize("number", ["2147483648", "99999999999999999999", "0", "-1"])
async def test_version_numbers_past_int32_are_a_422(api: Api, number: str) -> None:
    admin = await api.sign_up_firm()
    file_id = await _file(api, admin)
    response = await api.client.get(f"/v1/files/{file_id}/versions/{number}", headers=admin.headers)
    problem(response, 422, "validation_failed")
    response = await api.client.get(
        f"/v1/files/{file_id}/content", params={"version": number}, headers=admin.headers
    )
    problem(response, 422, "validation_failed")


async def test_huge_range_positions_do_not_break_downloads(api: Api) -> None:
    admin = await api.sign_up_firm()
    file_id = await _file(api, admin)
    url = f"/v1/files/{file_id}/content"
    digits = "9" * 5000
    whole = await api.client.get(url, headers={**admin.headers, "Range": f"bytes=0-{digits}"})
    assert whole.status_code == 206, whole.text
    assert whole.content == samples.PDF
    suffix = await api.client.get(url, headers={**admin.headers, "Range": f"bytes=-{digits}"})
    assert suffix.status_code == 206 and suffix.content == samples.PDF
    past = await api.client.get(url, headers={**admin.headers, "Range": f"bytes={digits}-"})
    problem(past, 416)


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ([("file", "a.pdf"), ("file", "b.pdf")], "multipart_too_many_files"),
        # This one answered 201 and dropped a.pdf.
        ([("other", "a.pdf"), ("file", "b.pdf")], "multipart_malformed"),
        ([("file", "a.pdf"), ("other", "b.pdf")], "multipart_too_many_files"),
    ],
)
async def test_a_second_file_is_refused_not_dropped(
    api: Api, fields: list[tuple[str, str]], code: str
) -> None:
    admin = await api.sign_up_firm()
    entity = await create_entity(api, admin)
    response = await api.client.post(
        f"/v1/entities/{entity['id']}/files",
        headers=admin.headers,
        files=[(field, (name, samples.PDF, "application/pdf")) for field, name in fields],
    )
    problem(response, 400, code)
    listed = await api.client.get(f"/v1/entities/{entity['id']}/files", headers=admin.headers)
    assert listed.json()["items"] == []
