"""Sign-in limits: per client address, and per account *and* address with growing delays.

Issue 14, finding 2: the limits must hold when the attempts arrive in parallel (they are
atomic counters, raced here for real, many times), an attacker must not lock the owner
out, and ``X-Forwarded-For`` is believed only from ``PRACTICE_TRUSTED_PROXIES``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from practice_api.core.ratelimit import growing_delay
from practice_api.core.time import travel_to, utcnow
from tests.helpers import Api, problem


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {
        "login_attempts_per_address": 6,
        "login_address_window_seconds": 300,
        "login_failures_per_account": 3,
        "login_failure_window_seconds": 900,
        "login_delay_cap_seconds": 60,
    }


ClientFrom = Callable[..., Any]


@pytest.fixture
def client_from(app: Any) -> ClientFrom:
    """An API client whose requests come from the given client address."""

    @asynccontextmanager
    async def make(address: str, headers: dict[str, str] | None = None) -> AsyncIterator[Api]:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers=headers
        ) as http:
            yield Api(http)

    return make


def assert_rate_limited(response: httpx.Response) -> int:
    problem(response, 429, "rate_limited")
    retry_after = int(response.headers["retry-after"])
    assert retry_after >= 1
    return retry_after


def test_delays_grow_and_stop_at_the_cap() -> None:
    assert [growing_delay(n, 3, 60) for n in range(1, 10)] == [0, 0, 1, 2, 4, 8, 16, 32, 60]
    assert growing_delay(10_000, 3, 900) == 900


async def test_failures_slow_that_address_down_not_the_owner(
    api: Api, client_from: ClientFrom
) -> None:
    admin = await api.sign_up_firm()
    async with client_from("10.0.0.1") as attacker:
        for _ in range(3):
            problem(await attacker.token(admin.email, "wrong guess"), 401, "invalid_credentials")
        # The third failure started a 1 s delay; the fourth attempt must wait.
        assert assert_rate_limited(await attacker.token(admin.email, "wrong guess")) == 1
        # Even the right password waits there (it could be the attacker's next guess).
        assert_rate_limited(await attacker.token(admin.email))

    # The owner, from their own address, is not locked out.
    async with client_from("10.0.1.1") as owner:
        assert (await owner.token(admin.email)).status_code == 200


@pytest.mark.parametrize(
    "settings_overrides",
    [{"login_failures_per_account": 3, "login_delay_cap_seconds": 60}],
)
async def test_delays_double_and_success_clears_them(api: Api, client_from: ClientFrom) -> None:
    admin = await api.sign_up_firm()
    start = utcnow()
    async with client_from("10.0.2.1") as client:
        for _ in range(3):
            assert (await client.token(admin.email, "wrong guess")).status_code == 401
        waits = []
        moment = start
        for _ in range(3):
            moment += dt.timedelta(seconds=61)
            with travel_to(moment):
                assert (await client.token(admin.email, "wrong guess")).status_code == 401
                waits.append(assert_rate_limited(await client.token(admin.email, "x")))
        assert waits == [2, 4, 8]
        moment += dt.timedelta(seconds=61)
        with travel_to(moment):
            assert (await client.token(admin.email)).status_code == 200
            # Cleared: three free attempts again.
            for _ in range(3):
                assert (await client.token(admin.email, "wrong guess")).status_code == 401


async def test_attempts_are_forgotten_after_the_window(api: Api, client_from: ClientFrom) -> None:
    admin = await api.sign_up_firm()
    async with client_from("10.0.4.1") as client:
        for _ in range(3):
            assert (await client.token(admin.email, "wrong guess")).status_code == 401
        with travel_to(utcnow() + dt.timedelta(seconds=901)):
            for _ in range(2):
                assert (await client.token(admin.email, "wrong guess")).status_code == 401
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


async def test_unknown_accounts_are_slowed_alike(client_from: ClientFrom) -> None:
    async with client_from("10.0.3.1") as client:
        for _ in range(3):
            assert (await client.token("ghost@example.com", "x")).status_code == 401
        assert_rate_limited(await client.token("GHOST@example.com", "x"))


async def test_forwarded_for_is_ignored_without_trusted_proxies(
    api: Api, client_from: ClientFrom
) -> None:
    admin = await api.sign_up_firm()
    # Each forged X-Forwarded-For used to get a fresh bucket.
    for n in range(3):
        async with client_from("127.0.0.1", {"X-Forwarded-For": f"203.0.113.{n}"}) as forged:
            assert (await forged.token(admin.email, "wrong guess")).status_code == 401
    async with client_from("127.0.0.1", {"X-Forwarded-For": "203.0.113.99"}) as forged:
        assert_rate_limited(await forged.token(admin.email, "wrong guess"))


# --- concurrency, for real: the counters are atomic --------------------------------------


async def _race(
    client_from: ClientFrom, address: str, calls: list[tuple[str, str]]
) -> Counter[int]:
    async with client_from(address) as client:
        responses = await asyncio.gather(*(client.token(email, pw) for email, pw in calls))
    return Counter(response.status_code for response in responses)


def rounds(backend: str) -> int:
    # SQLite serialises writers anyway; PostgreSQL is where the races were found.
    return 12 if backend == "postgresql" else 2


@pytest.mark.committed  # the counters are raced on their own connections
async def test_parallel_wrong_passwords_are_checked_only_up_to_the_limit(
    api: Api, client_from: ClientFrom, backend: str
) -> None:
    admin = await api.sign_up_firm()
    for round_ in range(rounds(backend)):
        statuses = await _race(
            client_from, f"10.1.{round_}.1", [(admin.email, f"guess {n}") for n in range(20)]
        )
        # Limit 3 per account and address, then a delay: exactly 3 passwords are checked.
        assert statuses == Counter({401: 3, 429: 17}), (round_, statuses)


@pytest.mark.committed  # the counters are raced on their own connections
async def test_parallel_attempts_from_one_address_stop_at_the_limit(
    api: Api, client_from: ClientFrom, backend: str
) -> None:
    await api.sign_up_firm()
    for round_ in range(rounds(backend)):
        calls = [(f"nobody-{n}@example.com", "x") for n in range(15)]
        statuses = await _race(client_from, f"10.2.{round_}.1", calls)
        # Limit 6 per address (distinct accounts, so only the address limit applies).
        assert statuses == Counter({401: 6, 429: 9}), (round_, statuses)


@pytest.mark.parametrize(
    "settings_overrides",
    [{"login_failures_per_account": 3, "trusted_proxies": ["127.0.0.0/8"]}],
)
async def test_trusted_proxy_forwards_each_clients_address(
    api: Api, client_from: ClientFrom
) -> None:
    admin = await api.sign_up_firm()
    async with client_from("127.0.0.1", {"X-Forwarded-For": "198.51.100.1"}) as attacker:
        for _ in range(3):
            assert (await attacker.token(admin.email, "wrong guess")).status_code == 401
        assert_rate_limited(await attacker.token(admin.email, "wrong guess"))
    # Another client behind the same proxy has its own bucket (a forged left-most hop
    # does not matter: the proxy appends what it saw).
    async with client_from("127.0.0.1", {"X-Forwarded-For": "198.51.100.1, 198.51.100.2"}) as owner:
        assert (await owner.token(admin.email)).status_code == 200
    # Not from a trusted proxy: the header is ignored, the peer is the address.
    async with client_from("192.0.2.50", {"X-Forwarded-For": "198.51.100.1"}) as other:
        assert (await other.token(admin.email)).status_code == 200
