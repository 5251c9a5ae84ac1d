"""Sign-in is rate limited per client address and per account (429 with Retry-After)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from tests.helpers import Api, problem


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {
        "login_attempts_per_address": 6,
        "login_address_window_seconds": 300,
        "login_failures_per_account": 3,
        "login_failure_window_seconds": 900,
    }


ClientFrom = Callable[[str], Any]


@pytest.fixture
def client_from(app: Any) -> ClientFrom:
    """An API client whose requests come from the given client address."""

    @asynccontextmanager
    async def make(address: str) -> AsyncIterator[Api]:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield Api(http)

    return make


def assert_rate_limited(response: httpx.Response) -> int:
    problem(response, 429, "rate_limited")
    retry_after = int(response.headers["retry-after"])
    assert retry_after >= 1
    return retry_after


async def test_failures_per_account_lock_the_account_from_every_address(
    api: Api, client_from: ClientFrom
) -> None:
    admin = await api.sign_up_firm()
    for n in range(3):
        async with client_from(f"10.0.0.{n}") as attacker:
            problem(await attacker.token(admin.email, "wrong guess"), 401, "invalid_credentials")

    async with client_from("10.0.1.1") as elsewhere:
        # Even the right password waits now; the answer says how long.
        retry_after = assert_rate_limited(await elsewhere.token(admin.email))
    assert retry_after <= 900
    # Another account is not affected.
    staff = await api.create_user(admin)
    assert (await api.token(staff["email"])).status_code == 200


async def test_success_clears_the_account_failures(api: Api, client_from: ClientFrom) -> None:
    admin = await api.sign_up_firm()
    for _ in range(2):
        async with client_from("10.0.2.1") as client:
            assert (await client.token(admin.email, "wrong guess")).status_code == 401
    async with client_from("10.0.2.2") as client:
        assert (await client.token(admin.email)).status_code == 200
    for _ in range(2):
        async with client_from("10.0.2.3") as client:
            assert (await client.token(admin.email, "wrong guess")).status_code == 401
    async with client_from("10.0.2.4") as client:
        assert (await client.token(admin.email)).status_code == 200


async def test_attempts_per_address(api: Api, client_from: ClientFrom) -> None:
    admin = await api.sign_up_firm()  # signs in once from the default address
    staff = [await api.create_user(admin) for _ in range(6)]

    async with client_from("192.0.2.7") as noisy:
        for user in staff:  # successes count too: 6 attempts, each a different account
            assert (await noisy.token(user["email"])).status_code == 200
        assert_rate_limited(await noisy.token(staff[0]["email"]))
        assert_rate_limited(await noisy.token("nobody@example.com", "x"))

    async with client_from("192.0.2.8") as quiet:
        assert (await quiet.token(staff[0]["email"])).status_code == 200


async def test_unknown_accounts_count_as_failures(api: Api, client_from: ClientFrom) -> None:
    for n in range(3):
        async with client_from(f"10.0.3.{n}") as client:
            assert (await client.token("ghost@example.com", "x")).status_code == 401
    async with client_from("10.0.3.9") as client:
        assert_rate_limited(await client.token("GHOST@example.com", "x"))
