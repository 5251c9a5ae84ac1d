"""Performance guarantees that are properties, not timings (benchmarks: scripts/bench_*.py)."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest
from sqlalchemy import event

from practice_api.access import principals
from practice_api.core.security import PasswordHasher, hashing_concurrency
from tests.factories import create_entity, create_owner, owner_for
from tests.helpers import Actor, Api


async def test_sign_in_hashing_runs_off_the_loop_behind_a_limiter() -> None:
    hasher = PasswordHasher(1, concurrency=2)
    hashed = hasher.hash("correct horse")
    loop_thread = threading.get_ident()
    threads: set[int] = set()
    slow_verify = hasher.verify

    def verify(password: str, stored: str | None) -> bool:
        threads.add(threading.get_ident())
        time.sleep(0.05)  # long enough for the eight calls to overlap if nothing limits them
        return slow_verify(password, stored)

    hasher.verify = verify  # type: ignore[method-assign]
    try:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.005)
                ticks += 1

        ticking = asyncio.create_task(ticker())
        results = await asyncio.gather(
            *(hasher.averify("correct horse" if n % 2 else "wrong", hashed) for n in range(8))
        )
        ticking.cancel()
    finally:
        hasher.close()
    assert results == [n % 2 == 1 for n in range(8)]
    assert hasher.peak == 2  # never more hashes at once than the limiter allows
    assert hasher.running == 0
    assert loop_thread not in threads
    assert ticks >= 10  # the event loop kept running while four rounds of hashes ran


def test_hashing_concurrency_is_sized_to_memory() -> None:
    assert hashing_concurrency() >= 1
    # A hash that would need more memory than the machine has still gets one slot.
    assert hashing_concurrency(memory_kib=2**40) == 1


class StatementCounter:
    """Counts the SQL statements the app's engine runs (BEGIN/COMMIT are not statements)."""

    def __init__(self, app: Any) -> None:
        self.engine = app.state.runtime.engine.sync_engine
        self.count = 0

    def _seen(self, *_: Any) -> None:
        self.count += 1

    def __enter__(self) -> StatementCounter:
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *_: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)


async def _statements(api: Api, app: Any, url: str, actor: Actor) -> tuple[int, int]:
    counts = []
    await api.client.get(url, headers=actor.headers)  # the caller's principal is now known
    for limit in (1, 25):  # 1 item, then every item (at least 6)
        with StatementCounter(app) as counter:
            response = await api.client.get(url, params={"limit": limit}, headers=actor.headers)
        assert response.status_code == 200, response.text
        served = len(response.json()["items"])
        assert served == 1 if limit == 1 else served >= 6, url
        counts.append(counter.count)
    return counts[0], counts[1]


@pytest.mark.committed  # counts the statements of real transactions (no savepoints)
async def test_statements_per_list_do_not_grow_with_the_page(
    api: Api, app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(principals, "PRINCIPAL_CACHE_SECONDS", 600)
    admin = await api.sign_up_firm()
    staff = await api.add_staff(admin)
    mine = await owner_for(api, admin, staff)
    for n in range(6):
        entity = await create_entity(api, admin, owner_id=mine["id"] if n % 2 else None)
        if n % 2 == 0:
            shared = await api.client.post(
                f"/v1/entities/{entity['id']}/shares",
                json={"user_id": staff.user_id, "role": "editor" if n % 4 else "viewer"},
                headers=admin.headers,
            )
            assert shared.status_code == 201, shared.text
        await create_owner(api, admin, name=f"Owner {n}")
        await api.add_staff(admin)
    for url, actor in (
        ("/v1/entities", admin),
        ("/v1/entities", staff),
        ("/v1/owners", admin),
        ("/v1/users", admin),
        ("/v1/activity", admin),
    ):
        small, large = await _statements(api, app, url, actor)
        assert small == large, (url, small, large)


async def test_list_items_are_the_single_reads(api: Api) -> None:
    """The list's one-pass serialization gives exactly what GET /v1/entities/{id} gives."""
    admin = await api.sign_up_firm()
    staff = await api.add_staff(admin)
    mine = await owner_for(api, admin, staff)
    await create_entity(api, admin, owner_id=mine["id"], tax_id="NO 1", email="a@x.example")
    await create_entity(api, staff)  # created, unowned: the responsible
    owned_by_other = await create_entity(
        api, staff, owner_id=(await create_owner(api, admin))["id"]
    )
    for role in ("editor", "viewer"):
        entity = await create_entity(api, admin, notes="shared")
        shared = await api.client.post(
            f"/v1/entities/{entity['id']}/shares",
            json={"user_id": staff.user_id, "role": role},
            headers=admin.headers,
        )
        assert shared.status_code == 201, shared.text
    await create_entity(api, admin)  # not visible to staff
    for actor, expected in ((admin, 6), (staff, 5)):
        listed = await api.client.get("/v1/entities", headers=actor.headers)
        assert listed.status_code == 200, listed.text
        items = listed.json()["items"]
        assert len(items) == expected
        for item in items:
            single = await api.client.get(f"/v1/entities/{item['id']}", headers=actor.headers)
            assert item == single.json()
    levels = {
        item["id"]: item["access"]
        for item in (await api.client.get("/v1/entities", headers=staff.headers)).json()["items"]
    }
    assert levels[owned_by_other["id"]] == "viewer"
    assert sorted(levels.values()) == ["editor", "owner", "owner", "viewer", "viewer"]
