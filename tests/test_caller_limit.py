"""A general rate limit per signed-in caller (IETF RateLimit headers, 429 + Retry-After),
configurable per firm; exact under parallel requests (counted in process memory), shared
by the processes of one database on PostgreSQL (counts exchanged at most every
rate_limit_share_seconds, never a database write per request)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from practice_api.app import create_app
from practice_api.core.time import travel_to, utcnow
from practice_api.settings import Settings
from tests.helpers import Api, problem


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"rate_limit_requests": 10, "rate_limit_window_seconds": 60}


@pytest.fixture(autouse=True)
def window_just_started() -> Iterator[None]:
    """Windows are aligned to the clock: each test starts just after one begins, so none
    ends halfway through a test."""
    now = utcnow().timestamp()
    start = (now // 60 + 1) * 60 + 0.1
    with travel_to(dt.datetime.fromtimestamp(start, dt.UTC)):
        yield


async def test_answers_carry_the_budget_and_429_past_it(api: Api, backend: str) -> None:
    admin = await api.sign_up_firm()
    first = await api.client.get("/v1/me", headers=admin.headers)
    assert first.headers["ratelimit-policy"] == '"caller";q=10;w=60'
    assert first.headers["ratelimit"].startswith('"caller";r=')
    used = 10 - int(first.headers["ratelimit-remaining"])
    for _ in range(10 - used):
        assert (await api.client.get("/v1/me", headers=admin.headers)).status_code == 200
    limited = await api.client.get("/v1/me", headers=admin.headers)
    problem(limited, 429, "rate_limited")
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert limited.headers["ratelimit-remaining"] == "0"
    # Another caller has its own budget; unauthenticated requests are not counted here.
    staff_token = await api.token(admin.email)  # sign-in is not behind the caller limit
    assert staff_token.status_code == 200
    # Windows follow the application's clock: the next one has a fresh budget.
    with travel_to(utcnow() + dt.timedelta(seconds=61)):
        fresh = await api.client.get("/v1/me", headers=admin.headers)
        assert fresh.status_code == 200
        assert int(fresh.headers["ratelimit-remaining"]) >= 8


@pytest.mark.committed  # the parallel requests' counters really race
async def test_parallel_requests_stop_exactly_at_the_limit(api: Api) -> None:
    admin = await api.sign_up_firm()
    responses = await asyncio.gather(
        *(api.client.get("/v1/me", headers=admin.headers) for _ in range(25))
    )
    statuses = Counter(r.status_code for r in responses)
    # sign_up_firm already made one authenticated call (GET /v1/me).
    assert statuses == Counter({200: 9, 429: 16}), statuses


@pytest.mark.committed  # a second app reads the users the first one wrote
async def test_a_firm_can_have_its_own_limit(api: Api, settings: Settings) -> None:
    admin = await api.sign_up_firm()
    other = await api.sign_up_firm("Other Audit")
    configured = settings.model_copy(update={"rate_limit_per_firm": {admin.firm_id: 3}})
    app = create_app(configured)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        first = await client.get("/v1/me", headers=admin.headers)
        assert first.headers["ratelimit-policy"] == '"caller";q=3;w=60'
        statuses = [
            (await client.get("/v1/me", headers=admin.headers)).status_code for _ in range(4)
        ]
        assert 429 in statuses
        other_answer = await client.get("/v1/me", headers=other.headers)
        assert other_answer.headers["ratelimit-policy"] == '"caller";q=10;w=60'
    await app.state.runtime.engine.dispose()


async def test_counting_a_request_costs_no_statement(api: Api, app: Any) -> None:
    """Between two exchanges with the shared counter (a minute under test settings), the
    count lives in memory: a signed-in request runs no rate-limit SQL."""
    admin = await api.sign_up_firm()
    await api.client.get("/v1/me", headers=admin.headers)
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    engine = app.state.runtime.engine.sync_engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        answers = [await api.client.get("/v1/me", headers=admin.headers) for _ in range(3)]
    finally:
        event.remove(engine, "before_cursor_execute", note)
    remaining = [int(a.headers["ratelimit-remaining"]) for a in answers]
    assert remaining == [remaining[0], remaining[0] - 1, remaining[0] - 2]
    assert not [s for s in seen if "rate_counters" in s], seen


@pytest.mark.committed  # two apps (two processes' worth of memory) share one database
async def test_processes_share_a_callers_budget(api: Api, settings: Settings, backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("one node on SQLite: the count stays in memory")
    admin = await api.sign_up_firm()
    sharing = settings.model_copy(update={"rate_limit_share_seconds": 0})
    apps = [create_app(sharing), create_app(sharing)]
    clients = [
        httpx.AsyncClient(transport=httpx.ASGITransport(app=a), base_url="http://testserver")
        for a in apps
    ]
    try:
        first, second = clients
        for _ in range(4):
            assert (await first.get("/v1/me", headers=admin.headers)).status_code == 200
        # Each process shares its count once a request is answered, and learns the others'
        # then: the second learns the first one's four (and sign_up_firm's GET /v1/me on
        # the test's app) after its first request.
        assert (await second.get("/v1/me", headers=admin.headers)).status_code == 200
        seen = await second.get("/v1/me", headers=admin.headers)
        assert seen.headers["ratelimit-remaining"] == "3"
        statuses = [
            (await second.get("/v1/me", headers=admin.headers)).status_code for _ in range(5)
        ]
        assert statuses == [200] * 3 + [429] * 2
        # ... and the first one learns the second's once its next request is answered.
        assert (await first.get("/v1/me", headers=admin.headers)).status_code == 200
        problem(await first.get("/v1/me", headers=admin.headers), 429, "rate_limited")
    finally:
        for client in clients:
            await client.aclose()
        for application in apps:
            await application.state.runtime.engine.dispose()
