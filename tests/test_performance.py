"""Performance guarantees that are properties, not timings (benchmarks: scripts/bench_*.py)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import threading
import time
import uuid
from typing import Any

import pytest
from pydantic import BaseModel
from sqlalchemy import event, func, or_, select

from practice_api.access import principals
from practice_api.core.pagination import Listing, PageParams, encode_cursor, page_query
from practice_api.core.principals import Principal
from practice_api.core.repository import like_pattern
from practice_api.core.security import PasswordHasher, hashing_concurrency
from practice_api.entities.models import Entity
from practice_api.entities.repository import ENTITY_ORDERING, EntityRepository
from tests.contact_helpers import create_contact
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


def _plan_nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    nodes = [plan]
    for child in plan.get("Plans", []):
        nodes.extend(_plan_nodes(child))
    return nodes


async def _explain(app: Any, statement: Any, **settings: str) -> list[dict[str, Any]]:
    """The plan's nodes for ``statement`` (with planner settings) on PostgreSQL."""
    engine = app.state.runtime.engine
    compiled = statement.compile(dialect=engine.dialect)
    processors = compiled._bind_processors
    params = []
    for key in compiled.positiontup or []:
        value = compiled.params[key]
        params.append(processors[key](value) if key in processors else value)
    async with engine.connect() as connection:
        raw = (await connection.get_raw_connection()).driver_connection
        async with raw.transaction():
            for name, value in settings.items():
                await raw.execute(f"SET LOCAL {name} = {value}")
            plan = await raw.fetchval("EXPLAIN (FORMAT JSON) " + str(compiled), *params)
    parsed = json.loads(plan) if isinstance(plan, str) else plan
    return _plan_nodes(parsed[0]["Plan"])


async def test_every_allowed_entity_ordering_is_served_by_an_index(
    api: Api, app: Any, database_url: str
) -> None:
    """With sorting priced out, the planner still finds each page's order in an index (no
    Sort node), for each ordering in both directions, with and without a cursor, alone and
    under the owner, unowned and status filters; search uses the trigram indexes."""
    if not database_url.startswith("postgresql"):
        pytest.skip("EXPLAIN check runs on PostgreSQL")
    admin = await api.sign_up_firm()
    owner = await create_owner(api, admin)
    for n in range(3):
        await create_entity(api, admin, owner_id=owner["id"] if n else None)
    me = await api.client.get("/v1/me", headers=admin.headers)
    principal = Principal(
        kind="staff",
        id=uuid.UUID(admin.user_id),
        firm_id=uuid.UUID(me.json()["firm_id"]),
        session_id=uuid.uuid4(),
        name="admin",
        email="admin@example.com",
        role="admin",
    )
    repository = EntityRepository(None, principal)  # type: ignore[arg-type]
    filters: list[dict[str, Any]] = [
        {},
        {"owner_id": uuid.UUID(owner["id"])},
        {"owner_id": "none"},
        {"status": "archived"},
    ]
    now = dt.datetime.now(dt.UTC)
    keys = {"name": "M", "created_at": now, "updated_at": now}
    for order_by in ENTITY_ORDERING.choices():
        name = order_by.lstrip("-")
        for cursor in (None, encode_cursor(f"entities:{order_by}", keys[name], uuid.uuid4())):
            for chosen in filters:
                query = page_query(
                    repository.listing(repository.filtered(**chosen)),
                    PageParams(limit=50, cursor=cursor),
                    ENTITY_ORDERING,
                    order_by,
                )
                nodes = await _explain(app, query.statement, enable_sort="off")
                kinds = [node["Node Type"] for node in nodes]
                assert "Sort" not in kinds and "Incremental Sort" not in kinds, (
                    order_by,
                    cursor is not None,
                    chosen,
                    kinds,
                )
    # The search predicate alone (the firm's own indexes aside): served by the trigram ones.
    pattern = like_pattern("acme")
    search = select(Entity.id).where(
        or_(
            *(
                func.lower(c).like(pattern, escape="\\")
                for c in (Entity.name, Entity.tax_id, Entity.email)
            )
        )
    )
    nodes = await _explain(app, search, enable_seqscan="off", enable_indexscan="off")
    used = {node.get("Index Name") for node in nodes}
    assert {"ix_entities_name_trgm", "ix_entities_tax_id_trgm", "ix_entities_email_trgm"} <= used


async def test_listed_items_are_what_the_read_schema_gives(api: Api) -> None:
    """Lists on the shared fast path (``Listing``: columns in, dicts out, one orjson
    serialization) give exactly what their single reads give."""
    admin = await api.sign_up_firm()
    office = await api.client.post(
        "/v1/offices", json={"name": "Oslo", "address": "Karl Johans gate 1"}, headers=admin.headers
    )
    assert office.status_code == 201, office.text
    staff = await api.add_staff(admin)
    contact = await create_contact(api, admin, name="Kari Nordmann", phone="+47 1")
    assert contact["id"]
    entity = await create_entity(api, admin)
    shared = await api.client.post(
        f"/v1/entities/{entity['id']}/shares",
        json={"user_id": staff.user_id, "role": "editor"},
        headers=admin.headers,
    )
    assert shared.status_code == 201, shared.text
    for path, count in (
        ("/v1/offices", 1),
        ("/v1/users", 2),
        ("/v1/contacts", 1),
        (f"/v1/entities/{entity['id']}/shares", 1),
    ):
        listed = await api.client.get(path, headers=admin.headers)
        assert listed.status_code == 200, listed.text
        items = listed.json()["items"]
        assert len(items) == count, (path, items)
        for item in items:
            single = await api.client.get(f"{path}/{item['id']}", headers=admin.headers)
            assert single.status_code == 200, single.text
            assert item == single.json(), path
    firm_shares = (await api.client.get("/v1/shares", headers=admin.headers)).json()["items"]
    assert firm_shares == [shared.json()]
    assert staff.user_id in {
        u["id"] for u in (await api.client.get("/v1/users", headers=admin.headers)).json()["items"]
    }


def test_a_listing_refuses_a_schema_that_is_not_its_columns() -> None:
    class WithExtra(BaseModel):
        id: uuid.UUID
        nickname: str

    with pytest.raises(TypeError, match="nickname"):
        Listing.of(Entity, WithExtra)
    assert Listing.of(Entity, EntityIdOnly).keys == ("id",)


class EntityIdOnly(BaseModel):
    id: uuid.UUID
