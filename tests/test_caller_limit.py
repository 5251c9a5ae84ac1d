"""A general rate limit per signed-in caller (IETF RateLimit headers, 429 + Retry-After),
configurable per firm; atomic under parallel requests (a database counter on PostgreSQL)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from typing import Any

import httpx
import pytest

from practice_api.app import create_app
from practice_api.core.time import travel_to, utcnow
from practice_api.settings import Settings
from tests.helpers import Api, problem


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"rate_limit_requests": 10, "rate_limit_window_seconds": 60}


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
    if backend == "postgresql":  # the database window can be moved with the clock
        with travel_to(utcnow() + dt.timedelta(seconds=61)):
            assert (await api.client.get("/v1/me", headers=admin.headers)).status_code == 200


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
