"""Finding 4: with PostgreSQL accepting connections but not answering, every answer is
bounded: /readyz within 2 s, other requests 503 problem+json with Retry-After within the
configured timeouts; service resumes when the database answers again."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url

from practice_api.app import create_app
from tests.conftest import make_settings
from tests.faults import FreezableProxy
from tests.helpers import Api, problem

TIMEOUT = 1.0  # connect, pool and statement timeouts of the app behind the proxy
BOUND = TIMEOUT + 2 + 2.5  # statement + driver grace + rollback/slack


@pytest.fixture
async def proxied(
    backend: str, database_url: str, tmp_path: Path, app: Any
) -> AsyncIterator[tuple[FreezableProxy, httpx.AsyncClient]]:
    if backend != "postgresql":
        pytest.skip("a PostgreSQL fault")
    url = make_url(database_url)
    proxy = await FreezableProxy(url.host or "127.0.0.1", url.port or 5432).start()
    settings = make_settings(
        url.set(host="127.0.0.1", port=proxy.port).render_as_string(False),
        tmp_path / "proxied",
        database_connect_timeout_seconds=TIMEOUT,
        database_pool_timeout_seconds=TIMEOUT,
        database_statement_timeout_seconds=TIMEOUT,
    )
    proxied_app = create_app(settings)
    transport = httpx.ASGITransport(app=proxied_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield proxy, client
    await proxy.stop()
    await proxied_app.state.runtime.engine.dispose()


async def timed(call: Any) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = await call
    took = time.monotonic() - started
    request = response.request
    # Shown by scripts/fault-drill (pytest -s).
    print(f"  {request.method} {request.url.path}: {response.status_code} in {took:.2f} s")
    return response, took


def assert_unavailable(response: httpx.Response, code: str) -> None:
    problem(response, 503, code)
    assert int(response.headers["retry-after"]) >= 1


@pytest.mark.committed  # a second app (behind the proxy) reads what the first one wrote
async def test_a_silent_database_gets_bounded_answers(
    api: Api, proxied: tuple[FreezableProxy, httpx.AsyncClient], caplog: pytest.LogCaptureFixture
) -> None:
    proxy, client = proxied
    admin = await api.sign_up_firm()
    assert (await client.get("/readyz")).status_code == 200
    assert (await client.get("/v1/me", headers=admin.headers)).status_code == 200

    proxy.freeze()
    print("\ndatabase frozen (connections open, nothing answers):")
    for _ in range(3):
        response, took = await timed(client.get("/readyz"))
        assert_unavailable(response, "not_ready")
        assert took < 2.0, took
    # A route that reads the database (GET /v1/me may answer from the principal remembered
    # a moment ago: no database needed, no round trip on the request path).
    response, took = await timed(client.get("/v1/entities", headers=admin.headers))
    assert_unavailable(response, "database_unavailable")
    assert took < BOUND, took
    response, took = await timed(
        client.post("/v1/entities", json={"name": "Frozen AS"}, headers=admin.headers)
    )
    assert_unavailable(response, "database_unavailable")
    assert took < BOUND, took
    response, took = await timed(
        client.post("/v1/auth/token", data={"username": admin.email, "password": "x"})
    )
    assert_unavailable(response, "database_unavailable")
    assert took < BOUND, took
    assert not [r for r in caplog.records if r.levelname == "ERROR"]

    proxy.thaw()
    thawed = time.monotonic()
    deadline = thawed + 15
    while (await client.get("/readyz")).status_code != 200:
        assert time.monotonic() < deadline, "did not recover"
    print(f"database answering again: ready after {time.monotonic() - thawed:.2f} s")
    assert (await client.get("/v1/me", headers=admin.headers)).status_code == 200
