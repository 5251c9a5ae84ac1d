"""The file routes as a user meets them: real entities, shares and the permission matrix;
the storage backend is the local folder or the SeaweedFS server.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from practice_api.core.storage import LocalStorage, ObjectStorage
from practice_api.events.models import Event
from practice_api.files import service
from practice_api.files.models import FileDocument, StoredFile
from practice_api.files.repository import count_files_of_entity
from practice_api.files.transfer import get_storage
from tests.factories import create_entity
from tests.files import samples
from tests.files.test_storage import leftovers
from tests.helpers import Actor, Api, problem


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"max_upload_bytes": 2 * 1024 * 1024}


@pytest.fixture
def file_storage(app: Any, settings: Any, tmp_path: Path) -> ObjectStorage:
    return LocalStorage(settings.data_dir / "files")


@pytest.fixture
def files_app(app: Any, file_storage: ObjectStorage) -> Any:
    app.dependency_overrides[get_storage] = lambda: file_storage
    return app


@pytest.fixture
async def admin(api: Api, files_app: Any) -> Actor:
    return await api.sign_up_firm()


@pytest.fixture
async def entity(api: Api, admin: Actor) -> str:
    return str((await create_entity(api, admin, name="Nordic Timber AS"))["id"])


def form(data: bytes, name: str = "report.pdf") -> dict[str, Any]:
    return {"files": {"file": (name, data, "application/pdf")}}


async def upload(
    client: httpx.AsyncClient,
    who: Actor,
    entity: str,
    data: bytes,
    name: str = "report.pdf",
    **kw: Any,
) -> httpx.Response:
    return await client.post(
        f"/v1/entities/{entity}/files", headers=who.headers, **form(data, name), **kw
    )


async def count(app: Any, model: Any) -> int:
    async with app.state.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def event_types(app: Any) -> list[str]:
    """The file events so far, oldest first."""
    async with app.state.sessionmaker() as session:
        return list(
            await session.scalars(
                select(Event.type).where(Event.type.like("file.%")).order_by(Event.occurred_at)
            )
        )


async def assert_nothing_stored(app: Any, storage: ObjectStorage) -> None:
    assert await count(app, StoredFile) == 0
    assert await count(app, FileDocument) == 0
    assert [p for p in await leftovers(storage) if not p.startswith("tmp")] == []
    if isinstance(storage, LocalStorage) and (storage.root / "tmp").exists():
        assert list((storage.root / "tmp").iterdir()) == []


class TestUploadAndDownload:
    @pytest.fixture(params=["local", "s3"])
    def file_storage(self, request: pytest.FixtureRequest, settings: Any) -> ObjectStorage:
        if request.param == "local":
            return LocalStorage(settings.data_dir / "files")
        result: ObjectStorage = request.getfixturevalue("storage")  # the contract fixture
        return result

    @pytest.fixture
    def storage_backend(self) -> str:
        return "s3"

    async def test_round_trip_is_byte_exact(
        self,
        entity: str,
        client: httpx.AsyncClient,
        admin: Actor,
        files_app: Any,
        file_storage: ObjectStorage,
    ) -> None:
        data = samples.PDF + os.urandom(300_000)
        created = await upload(client, admin, entity, data, "Årsrapport 2026.pdf")
        assert created.status_code == 201, created.text
        body = created.json()
        assert created.headers["location"] == f"/v1/files/{body['id']}"
        assert body["entity_id"] == entity
        assert body["name"] == "Årsrapport 2026.pdf"
        assert body["content_type"] == "application/pdf"
        assert body["size"] == len(data)
        assert body["sha256"] == hashlib.sha256(data).hexdigest()
        assert body["current_version"] == 1
        assert body["uploaded_by"] == {"kind": "staff", "id": admin.user_id, "name": "Alice Admin"}

        got = await client.get(body["content_url"], headers=admin.headers)
        assert got.status_code == 200
        assert got.content == data
        assert hashlib.sha256(got.content).hexdigest() == body["sha256"]
        assert got.headers["content-type"] == "application/pdf"
        assert got.headers["content-length"] == str(len(data))
        assert got.headers["etag"] == f'"{body["sha256"]}"'
        assert got.headers["accept-ranges"] == "bytes"
        assert got.headers["x-content-type-options"] == "nosniff"
        assert got.headers["content-disposition"] == (
            'attachment; filename="Arsrapport 2026.pdf"; '
            "filename*=UTF-8''%C3%85rsrapport%202026.pdf"
        )
        assert await event_types(files_app) == ["file.uploaded", "file.downloaded"]


async def test_metadata_and_list(
    entity: str, client: httpx.AsyncClient, api: Api, admin: Actor
) -> None:
    first = (await upload(client, admin, entity, samples.PDF, "a.pdf")).json()
    second = (await upload(client, admin, entity, samples.CSV, "ledger.csv")).json()
    elsewhere = str((await create_entity(api, admin, name="Elsewhere"))["id"])
    await upload(client, admin, elsewhere, samples.PNG, "elsewhere.png")

    got = await client.get(f"/v1/files/{first['id']}", headers=admin.headers)
    assert got.status_code == 200 and got.json() == first
    again = await client.get(
        f"/v1/files/{first['id']}", headers={**admin.headers, "If-None-Match": got.headers["etag"]}
    )
    assert again.status_code == 304

    listed = await client.get(f"/v1/entities/{entity}/files", headers=admin.headers)
    assert [f["id"] for f in listed.json()["items"]] == [second["id"], first["id"]]
    by_type = await client.get(
        f"/v1/entities/{entity}/files", params={"content_type": "text/csv"}, headers=admin.headers
    )
    assert [f["name"] for f in by_type.json()["items"]] == ["ledger.csv"]
    by_name = await client.get(
        f"/v1/entities/{entity}/files",
        params={"q": "A.P", "order_by": "name"},
        headers=admin.headers,
    )
    assert [f["name"] for f in by_name.json()["items"]] == ["a.pdf"]
    paged = await client.get(
        f"/v1/entities/{entity}/files", params={"limit": 1}, headers=admin.headers
    )
    rest = await client.get(
        f"/v1/entities/{entity}/files",
        params={"limit": 1, "cursor": paged.json()["next_cursor"]},
        headers=admin.headers,
    )
    assert [f["id"] for f in paged.json()["items"] + rest.json()["items"]] == [
        second["id"],
        first["id"],
    ]


async def test_ranges(entity: str, client: httpx.AsyncClient, admin: Actor, files_app: Any) -> None:
    data = samples.PDF + bytes(range(256)) * 100
    body = (await upload(client, admin, entity, data)).json()
    url, size = body["content_url"], len(data)

    async def get(**headers: str) -> httpx.Response:
        return await client.get(url, headers={**admin.headers, **headers})

    first = await get(Range="bytes=0-9")
    assert first.status_code == 206
    assert first.content == data[:10]
    assert first.headers["content-range"] == f"bytes 0-9/{size}"
    assert first.headers["content-length"] == "10"
    middle = await get(Range="bytes=100-")
    assert (middle.status_code, middle.content) == (206, data[100:])
    suffix = await get(Range="bytes=-5")
    assert (suffix.content, suffix.headers["content-range"]) == (
        data[-5:],
        f"bytes {size - 5}-{size - 1}/{size}",
    )
    clipped = await get(Range=f"bytes={size - 3}-{size + 100}")
    assert clipped.content == data[-3:]
    outside = await get(Range=f"bytes={size}-")
    problem(outside, 416, "range_not_satisfiable")
    assert outside.headers["content-range"] == f"bytes */{size}"
    several = await get(Range="bytes=0-1,5-6")
    assert (several.status_code, several.content) == (200, data)
    adjacent = await get(Range="bytes=0-1,2-3")
    assert (adjacent.status_code, adjacent.content) == (206, data[:4])
    nonsense = await get(Range="pages=1-2")
    assert nonsense.status_code == 200
    stale = await get(Range="bytes=0-1", **{"If-Range": '"other"'})
    assert (stale.status_code, stale.content) == (200, data)
    fresh = await get(Range="bytes=0-1", **{"If-Range": first.headers["etag"]})
    assert fresh.status_code == 206
    cached = await get(**{"If-None-Match": first.headers["etag"]})
    assert cached.status_code == 304 and cached.content == b""
    # Whole downloads and ranges from byte 0 are logged, not every later range.
    assert (await event_types(files_app)).count("file.downloaded") == 6


async def test_too_large_leaves_nothing(
    entity: str,
    client: httpx.AsyncClient,
    admin: Actor,
    files_app: Any,
    file_storage: ObjectStorage,
) -> None:
    data = samples.PDF + bytes(2 * 1024 * 1024)
    problem(await upload(client, admin, entity, data), 413, "file_too_large")
    await assert_nothing_stored(files_app, file_storage)


async def test_keyed_upload_too_large_is_refused_before_spooling_it_all(
    entity: str, client: httpx.AsyncClient, admin: Actor, files_app: Any
) -> None:
    # The idempotency middleware reads keyed bodies before the app; it stops at the limit.
    sent = 0

    async def big() -> AsyncIterator[bytes]:
        nonlocal sent
        chunk = bytes(256 * 1024)
        for _ in range(64):  # 16 MiB, far past the 2 MiB limit (+1 MiB framing allowance)
            sent += len(chunk)
            yield chunk

    response = await client.post(
        f"/v1/entities/{entity}/files",
        content=big(),
        headers={
            **admin.headers,
            "Idempotency-Key": "big-upload",
            "Content-Type": "multipart/form-data; boundary=x",
        },
    )
    problem(response, 413, "payload_too_large")
    assert sent < 8 * 1024 * 1024


async def test_declared_length_too_large_is_refused_before_reading(
    entity: str, client: httpx.AsyncClient, admin: Actor, files_app: Any
) -> None:
    async def endless() -> AsyncIterator[bytes]:
        raise AssertionError("the body must not be read")
        yield b""

    response = await client.post(
        f"/v1/entities/{entity}/files",
        content=endless(),
        headers={
            **admin.headers,
            "Content-Type": "multipart/form-data; boundary=x",
            "Content-Length": str(10**12),
        },
    )
    problem(response, 413, "file_too_large")


async def test_unsupported_type_leaves_nothing(
    entity: str,
    client: httpx.AsyncClient,
    admin: Actor,
    files_app: Any,
    file_storage: ObjectStorage,
) -> None:
    body = problem(await upload(client, admin, entity, samples.EXE, "invoice.pdf"), 415)
    assert body["code"] == "file_type_not_allowed"
    assert body["content_type"] == "application/vnd.microsoft.portable-executable"
    problem(await upload(client, admin, entity, samples.HTML, "page.pdf"), 415)
    await assert_nothing_stored(files_app, file_storage)


async def test_empty_file_refused(
    entity: str,
    client: httpx.AsyncClient,
    admin: Actor,
    files_app: Any,
    file_storage: ObjectStorage,
) -> None:
    problem(await upload(client, admin, entity, b""), 422, "file_empty")
    await assert_nothing_stored(files_app, file_storage)


async def test_not_multipart(entity: str, client: httpx.AsyncClient, admin: Actor) -> None:
    response = await client.post(
        f"/v1/entities/{entity}/files", content=samples.PDF, headers=admin.headers
    )
    problem(response, 415, "multipart_required")


async def test_hostile_file_name_is_stored_safely(
    entity: str, client: httpx.AsyncClient, admin: Actor, file_storage: ObjectStorage, settings: Any
) -> None:
    # Raw bytes, as a hostile client sends them (httpx would percent-encode controls).
    hostile = "../../../etc/\u202epass\x01wd\x1f\x7f.pdf".encode()
    raw = (
        b'--xx\r\nContent-Disposition: form-data; name="file"; filename="'
        + hostile
        + b'"\r\n\r\n'
        + samples.PDF
        + b"\r\n--xx--\r\n"
    )
    response = await client.post(
        f"/v1/entities/{entity}/files",
        content=raw,
        headers={**admin.headers, "Content-Type": "multipart/form-data; boundary=xx"},
    )
    body = response.json()
    assert body["name"] == "passwd.pdf"
    assert isinstance(file_storage, LocalStorage)
    stored = [p for p in file_storage.root.rglob("*") if p.is_file()]
    assert len(stored) == 1
    assert stored[0].parent.parent == file_storage.root / "objects"
    assert "passwd" not in str(stored[0])
    assert not list(Path(settings.data_dir).parent.rglob("passwd*"))
    got = await client.get(body["content_url"], headers=admin.headers)
    assert got.headers["content-disposition"] == 'attachment; filename="passwd.pdf"'


async def test_viewer_downloads_but_cannot_upload_or_delete(
    entity: str,
    client: httpx.AsyncClient,
    api: Api,
    admin: Actor,
    files_app: Any,
    file_storage: ObjectStorage,
) -> None:
    viewer = await api.add_staff(admin)
    shared = await client.post(
        f"/v1/entities/{entity}/shares", json={"user_id": viewer.user_id}, headers=admin.headers
    )
    assert shared.json()["role"] == "viewer"
    problem(await upload(client, viewer, entity, samples.PDF), 403, "files_upload_forbidden")
    await assert_nothing_stored(files_app, file_storage)

    body = (await upload(client, admin, entity, samples.PDF)).json()
    assert (await client.get(body["content_url"], headers=viewer.headers)).content == samples.PDF
    listed = await client.get(f"/v1/entities/{entity}/files", headers=viewer.headers)
    assert len(listed.json()["items"]) == 1
    versions = await client.post(
        f"/v1/files/{body['id']}/versions", headers=viewer.headers, **form(samples.PDF)
    )
    problem(versions, 403, "files_upload_forbidden")
    deleted = await client.delete(f"/v1/files/{body['id']}", headers=viewer.headers)
    problem(deleted, 403, "files_delete_forbidden")


async def test_without_access_everything_is_not_found(
    entity: str, client: httpx.AsyncClient, api: Api, admin: Actor, files_app: Any
) -> None:
    # Stands for a contact (or staff) without a grant on the entity: existence is hidden.
    outsider = await api.add_staff(admin)
    body = (await upload(client, admin, entity, samples.PDF)).json()
    problem(await upload(client, outsider, entity, samples.PDF), 404, "entity_not_found")
    problem(await client.get(f"/v1/entities/{entity}/files", headers=outsider.headers), 404)
    for url in (f"/v1/files/{body['id']}", body["content_url"], f"/v1/files/{body['id']}/versions"):
        problem(await client.get(url, headers=outsider.headers), 404)
    problem(await client.delete(f"/v1/files/{body['id']}", headers=outsider.headers), 404)
    assert await count(files_app, StoredFile) == 1


async def test_other_firm_cannot_see_the_file(
    entity: str, client: httpx.AsyncClient, api: Api, admin: Actor
) -> None:
    other_admin = await api.sign_up_firm("Rival Audit")
    body = (await upload(client, admin, entity, samples.PDF)).json()
    for url in (f"/v1/files/{body['id']}", body["content_url"]):
        problem(await client.get(url, headers=other_admin.headers), 404, "file_not_found")


async def test_versions(
    entity: str, client: httpx.AsyncClient, admin: Actor, files_app: Any
) -> None:
    first = await upload(client, admin, entity, samples.PDF, "draft.pdf")
    file_id, etag = first.json()["id"], first.headers["etag"]
    v2 = await client.post(
        f"/v1/files/{file_id}/versions",
        headers={**admin.headers, "If-Match": etag},
        **form(samples.CSV, "final.csv"),
    )
    assert v2.status_code == 201, v2.text
    assert v2.headers["location"] == f"/v1/files/{file_id}/versions/2"
    assert v2.json()["number"] == 2 and v2.json()["content_type"] == "text/csv"
    stale = await client.post(
        f"/v1/files/{file_id}/versions",
        headers={**admin.headers, "If-Match": etag},
        **form(samples.PNG),
    )
    problem(stale, 412, "stale_etag")

    current = (await client.get(f"/v1/files/{file_id}", headers=admin.headers)).json()
    assert (current["name"], current["current_version"]) == ("final.csv", 2)
    newest = await client.get(f"/v1/files/{file_id}/content", headers=admin.headers)
    assert newest.content == samples.CSV
    oldest = await client.get(f"/v1/files/{file_id}/content?version=1", headers=admin.headers)
    assert oldest.content == samples.PDF
    assert oldest.headers["content-disposition"] == 'attachment; filename="draft.pdf"'
    problem(await client.get(f"/v1/files/{file_id}/content?version=3", headers=admin.headers), 404)
    versions = (await client.get(f"/v1/files/{file_id}/versions", headers=admin.headers)).json()
    assert [v["number"] for v in versions["items"]] == [2, 1]
    one = await client.get(f"/v1/files/{file_id}/versions/1", headers=admin.headers)
    assert one.json()["name"] == "draft.pdf"
    assert await count(files_app, StoredFile) == 2


async def test_delete_is_soft_then_purged_after_retention(
    entity: str,
    client: httpx.AsyncClient,
    admin: Actor,
    files_app: Any,
    file_storage: ObjectStorage,
) -> None:
    body = (await upload(client, admin, entity, samples.PDF)).json()
    await client.post(
        f"/v1/files/{body['id']}/versions", headers=admin.headers, **form(samples.PDF + b"2")
    )
    problem(
        await client.delete(
            f"/v1/files/{body['id']}", headers={**admin.headers, "If-Match": '"1"'}
        ),
        412,
    )
    assert (
        await client.delete(f"/v1/files/{body['id']}", headers=admin.headers)
    ).status_code == 204
    for url in (f"/v1/files/{body['id']}", body["content_url"]):
        problem(await client.get(url, headers=admin.headers), 404, "file_not_found")
    listed = await client.get(f"/v1/entities/{entity}/files", headers=admin.headers)
    assert listed.json()["items"] == []
    # Kept for the retention period (and keeping the entity from being destroyed)...
    assert len(await leftovers(file_storage)) == 2
    async with files_app.state.sessionmaker() as session:
        assert await count_files_of_entity(session, uuid.UUID(entity)) == 1
    async with files_app.state.sessionmaker() as session:
        assert await service.purge_deleted_files(session, file_storage, retention_days=30) == 0
        await session.commit()
    assert await count(files_app, StoredFile) == 2
    # ...then purged, rows and bytes.
    async with files_app.state.sessionmaker() as session:
        assert await service.purge_deleted_files(session, file_storage, retention_days=0) == 1
        await session.commit()
    await assert_nothing_stored(files_app, file_storage)
    async with files_app.state.sessionmaker() as session:
        assert await count_files_of_entity(session, uuid.UUID(entity)) == 0
    assert (await event_types(files_app))[-2:] == ["file.deleted", "file.purged"]


async def test_failed_transaction_deletes_the_stored_object(
    entity: str,
    client: httpx.AsyncClient,
    admin: Actor,
    files_app: Any,
    file_storage: ObjectStorage,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def failing_add_file(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("database went away")

    monkeypatch.setattr(service, "add_file", failing_add_file)
    response = await upload(client, admin, entity, samples.PDF)
    assert response.status_code == 500
    await assert_nothing_stored(files_app, file_storage)


async def test_interrupted_upload_leaves_no_row_and_no_object(
    entity: str, admin: Actor, files_app: Any, file_storage: ObjectStorage
) -> None:
    boundary = "b0undary"
    head = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n'
        ).encode()
        + samples.PDF
        + os.urandom(200_000)
    )
    messages = [
        {"type": "http.request", "body": head, "more_body": True},
        {"type": "http.request", "body": os.urandom(100_000), "more_body": True},
        {"type": "http.disconnect"},
    ]

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": f"/v1/entities/{entity}/files",
        "raw_path": f"/v1/entities/{entity}/files".encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            (b"authorization", admin.headers["Authorization"].encode()),
            (b"content-type", f"multipart/form-data; boundary={boundary}".encode()),
        ],
        "client": ("127.0.0.1", 1234),
        "server": ("testserver", 80),
        "state": {},
    }
    await files_app(scope, receive, send)
    await assert_nothing_stored(files_app, file_storage)


async def test_upload_routes_document_a_multipart_body(files_app: Any) -> None:
    spec = files_app.openapi()
    for path in ("/v1/entities/{entity_id}/files", "/v1/files/{file_id}/versions"):
        body = spec["paths"][path]["post"]["requestBody"]
        schema = body["content"]["multipart/form-data"]["schema"]
        assert schema["properties"]["file"]["format"] == "binary"
    ids = {op["operationId"] for item in spec["paths"].values() for op in item.values()}
    assert {
        "files_upload", "files_list", "files_get", "files_download", "files_versions_list",
        "files_versions_get", "files_versions_create", "files_delete",
    } <= ids  # fmt: skip
