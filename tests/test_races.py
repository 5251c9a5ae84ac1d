"""Requests that race each other, fired at once and many times (issue 14).

On PostgreSQL the transactions really interleave (asyncpg, one connection per request);
SQLite serialises writers, so it runs fewer rounds as a sanity check.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import httpx
import pytest

from tests.contact_helpers import create_contact, grant, issue_secret
from tests.factories import create_entity
from tests.helpers import Api

# The transactions must really interleave, each on its own connection.
pytestmark = pytest.mark.committed


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"portal_attempts_per_address": 10_000, "login_attempts_per_address": 10_000}


def rounds(backend: str) -> int:
    return 15 if backend == "postgresql" else 2


async def _refresh(api: Api, token: str) -> httpx.Response:
    return await api.client.post(
        "/v1/auth/token", data={"grant_type": "refresh_token", "refresh_token": token}
    )


async def test_a_refresh_token_never_forks(api: Api, backend: str) -> None:
    """Finding 1: two refreshes with one token both answered 200 with different tokens."""
    admin = await api.sign_up_firm()
    for round_ in range(rounds(backend)):
        signed_in = await api.sign_in(admin.email)
        responses = await asyncio.gather(
            *(_refresh(api, signed_in.refresh_token) for _ in range(8))
        )
        statuses = Counter(response.status_code for response in responses)
        assert statuses[200] <= 1 and statuses[200] + statuses[401] == 8, (round_, statuses)
        # The losers presented a spent token: reuse detection ended the session, so no
        # chain keeps refreshing, the winner's included.
        for response in responses:
            if response.status_code == 200:
                follow = await _refresh(api, response.json()["refresh_token"])
                assert follow.status_code == 401, (round_, follow.text)
        codes = {r.json()["code"] for r in responses if r.status_code == 401}
        assert codes <= {"refresh_token_reused"}, codes


async def test_a_portal_link_is_spent_once(api: Api, app: Any, backend: str) -> None:
    admin = await api.sign_up_firm()
    entity = await create_entity(api, admin)
    for round_ in range(rounds(backend)):
        contact = await create_contact(api, admin)
        await grant(api, admin, entity["id"], contact["id"])
        secret = await issue_secret(app, contact["id"], "invite")
        responses = await asyncio.gather(
            *(
                api.client.post(
                    "/v1/portal/activate",
                    json={"token": secret, "password": f"a long new password {n}"},
                )
                for n in range(6)
            )
        )
        statuses = Counter(response.status_code for response in responses)
        assert statuses == Counter({204: 1, 404: 5}), (round_, statuses)
