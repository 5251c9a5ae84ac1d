"""Finding 9: a client that goes away mid-upload is logged as such, not as an ERROR."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.factories import create_entity
from tests.files import samples
from tests.helpers import Api

BOUNDARY = "----practicedisconnect"


async def test_a_disconnect_mid_upload_is_no_error(
    api: Api, app: Any, caplog: pytest.LogCaptureFixture
) -> None:
    admin = await api.sign_up_firm()
    entity = await create_entity(api, admin)
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode() + samples.PDF
    messages = [
        {"type": "http.request", "body": head, "more_body": True},
        {"type": "http.request", "body": b"0" * 65536, "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": f"/v1/entities/{entity['id']}/files",
        "raw_path": f"/v1/entities/{entity['id']}/files".encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            (b"authorization", f"Bearer {admin.token}".encode()),
            (b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    with caplog.at_level(logging.INFO):
        await app(scope, receive, send)

    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    assert not any(r.exc_info for r in caplog.records)
    assert any("client disconnected" in r.getMessage() for r in caplog.records)
    listed = await api.client.get(f"/v1/entities/{entity['id']}/files", headers=admin.headers)
    assert listed.json()["items"] == []
