"""Finding 3: request bodies are capped while read, before authentication (413 problem+json)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.factories import create_entity
from tests.files import samples
from tests.helpers import Api, problem

LIMIT = 64 * 1024


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"max_body_bytes": LIMIT}


class Source:
    """A chunked request body that counts what the server pulled from it."""

    def __init__(self, total: int, chunk: int = 16 * 1024) -> None:
        self.total, self.chunk, self.sent = total, chunk, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self.sent < self.total:
            self.sent += self.chunk
            yield b"[" * self.chunk


async def test_a_declared_length_past_the_limit_is_refused_unread(api: Api) -> None:
    response = await api.client.post(
        "/v1/entities",
        content=b"{" + b" " * LIMIT + b"}",
        headers={"Content-Type": "application/json"},
    )
    # No token either: the size answers first, so nobody can make the server read it.
    problem(response, 413, "body_too_large")
    assert response.headers["connection"] == "close"


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/v1/entities", "application/json"),
        ("/v1/auth/token", "application/x-www-form-urlencoded"),
        ("/v1/firms", "application/json"),
        ("/v1/portal/activate", "application/json"),
    ],
)
async def test_a_chunked_body_is_cut_off_at_the_limit(
    api: Api, path: str, content_type: str
) -> None:
    source = Source(total=50 * 1024 * 1024)  # 50 MiB offered
    response = await api.client.post(path, content=source, headers={"Content-Type": content_type})
    problem(response, 413, "body_too_large")
    # The server stopped pulling at the limit: at most one chunk past it was read.
    assert source.sent <= LIMIT + source.chunk


async def test_multipart_to_a_route_that_takes_no_upload_is_capped_too(api: Api) -> None:
    admin = await api.sign_up_firm()
    response = await api.client.post(
        "/v1/entities",
        headers=admin.headers,
        files={"file": ("big.pdf", samples.PDF + b"0" * (2 * LIMIT), "application/pdf")},
    )
    problem(response, 413, "body_too_large")


async def test_uploads_keep_their_own_larger_limit(api: Api) -> None:
    admin = await api.sign_up_firm()
    entity = await create_entity(api, admin)
    big = samples.PDF + b"0" * (4 * LIMIT)
    response = await api.client.post(
        f"/v1/entities/{entity['id']}/files",
        headers=admin.headers,
        files={"file": ("big.pdf", big, "application/pdf")},
    )
    assert response.status_code == 201, response.text
    assert response.json()["size"] == len(big)


async def test_bodies_under_the_limit_work(api: Api) -> None:
    admin = await api.sign_up_firm()
    entity = await create_entity(api, admin, notes="n" * 1000)
    assert entity["notes"] == "n" * 1000
