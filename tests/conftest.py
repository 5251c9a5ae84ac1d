"""Test harness: every API test runs against SQLite and against PostgreSQL.

PostgreSQL is required in CI (CI=true); elsewhere its tests are skipped, with a clear
message, when no server answers at PRACTICE_TEST_POSTGRES_URL.

Each test's writes are rolled back at its end (``tests/database.py``), so tests do not see
each other's rows and no table is emptied between them. A test that needs real commits
(a live server, worker processes, requests whose transactions race) is marked
``@pytest.mark.committed``: its tables are emptied before and after it instead.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from practice_api.app import create_app
from practice_api.db import make_engine
from practice_api.registry import register_all
from practice_api.schema import upgrade_to_head
from practice_api.settings import Settings
from tests.database import empty_all_tables, rolled_back
from tests.helpers import Api

__all__ = ["empty_all_tables"]  # tests/test_schemathesis.py imports it from here

POSTGRES_ADMIN_URL = os.environ.get(
    "PRACTICE_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
BACKENDS = ("sqlite", "postgresql")
_pg_skip_reason: str | None = None


def pytest_configure(config: pytest.Config) -> None:
    # As the app factory and the CLI do: tests that read the registries without building an
    # app (spec examples, the catalogue) must not depend on another test having built one.
    register_all()
    # Registered here, not in pyproject.toml (whose every change rebuilds .venv).
    config.addinivalue_line(
        "markers",
        "committed: the app really commits (live servers, worker processes, racing "
        "transactions); the tables are emptied before and after instead of rolled back",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makeitem(collector: Any, name: str, obj: Any) -> None:
    """Every ``async def`` test runs on anyio's asyncio runner without a marker each."""
    if collector.istestfunction(obj, name) and inspect.iscoroutinefunction(obj):
        pytest.mark.anyio(obj)


_used: list[str] = []


def pytest_sessionstart(session: pytest.Session) -> None:
    """In CI, fail at once (exit code 3) when PostgreSQL does not answer. Under xdist this
    runs in the controller, before any worker starts."""
    if IN_CI and not hasattr(session.config, "workerinput"):
        try:
            _in_thread(asyncio.run, _pg_admin("SELECT 1"))
        except Exception as exc:
            pytest.exit(f"PostgreSQL is required in CI but not reachable: {exc}", returncode=3)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """The controller collects what each xdist worker exercised."""
    global _pg_skip_reason
    output = getattr(node, "workeroutput", {})
    for backend in output.get("backends_used", []):
        mark_backend_used(backend)
    _pg_skip_reason = _pg_skip_reason or output.get("pg_skip_reason")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> Iterator[None]:
    """The run's last line (after pytest's own summary line) names the database backends
    exercised, or says in red that PostgreSQL was skipped. An xdist worker hands its
    share to the controller instead (``pytest_testnodedown``)."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["backends_used"] = list(_used)
        workeroutput["pg_skip_reason"] = _pg_skip_reason
    yield
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if workeroutput is None and reporter is not None:
        if _pg_skip_reason:
            reporter.write_sep(
                "!", f"PostgreSQL tests SKIPPED: {_pg_skip_reason}; {_backends_line()}", red=True
            )
        else:
            reporter.write_sep("=", _backends_line())


def _backends_line() -> str:
    used = [backend for backend in BACKENDS if backend in _used]
    return "database backends exercised: " + (", ".join(used) or "none")


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


def _in_thread(fn: Any, *args: Any) -> Any:
    # Alembic's env runs its own event loop; keep it off any loop the test runner owns.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(fn, *args).result()


async def _pg_admin(statement: str) -> None:
    engine = make_engine(POSTGRES_ADMIN_URL, pool=False)
    try:
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str | None]]:
    global _pg_skip_reason
    urls: dict[str, str | None] = {}
    sqlite_url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    _in_thread(upgrade_to_head, sqlite_url)
    urls["sqlite"] = sqlite_url

    name = f"practice_test_{os.getpid()}_{secrets.token_hex(3)}"
    try:
        _in_thread(asyncio.run, _pg_admin(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        if IN_CI:
            pytest.exit(f"PostgreSQL is required in CI but not reachable: {exc}", returncode=3)
        _pg_skip_reason = f"no PostgreSQL at {POSTGRES_ADMIN_URL} ({type(exc).__name__})"
        urls["postgresql"] = None
    else:
        pg_url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(False)
        _in_thread(upgrade_to_head, pg_url)
        urls["postgresql"] = pg_url
    yield urls
    if urls.get("postgresql"):
        _in_thread(asyncio.run, _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(backend: str, database_urls: dict[str, str | None]) -> str:
    url = database_urls[backend]
    if url is None:
        pytest.skip(skip_reason())
    mark_backend_used(backend)
    return url


def skip_reason() -> str:
    """Why a backend's tests are skipped (PostgreSQL did not answer)."""
    return _pg_skip_reason or "backend unavailable"


def mark_backend_used(backend: str) -> None:
    """Record that a test ran on ``backend`` (the run's last line lists them)."""
    if backend not in _used:
        _used.append(backend)


def make_settings(database_url: str, data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "environment": "test",
        "database_url": database_url,
        "data_dir": data_dir,
        "secret_key": "test-secret-key-" + "x" * 32,
        "password_hash_rounds": 1,
        "seed_demo": False,
        "run_dispatcher": False,
        # Counts are shared at most once a minute per caller, so what a test counts
        # (statements per request) never depends on how fast the machine is.
        "rate_limit_share_seconds": 60,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Override in a test module to change the app's settings."""
    return {}


@pytest.fixture
def settings(database_url: str, tmp_path: Path, settings_overrides: dict[str, Any]) -> Settings:
    return make_settings(database_url, tmp_path / "data", **settings_overrides)


@pytest.fixture
async def app(settings: Settings, request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    """The app on the test's backend. Its writes are rolled back when the test ends
    (``tests.database.rolled_back``), unless the test is marked ``committed``: then they
    really commit, and every table is emptied before and after it."""
    application = create_app(settings)
    engine = application.state.runtime.engine
    if request.node.get_closest_marker("committed"):
        url = settings.resolved_database_url
        await empty_all_tables(url)
        try:
            yield application
        finally:
            await engine.dispose()
            await empty_all_tables(url)
        return
    try:
        async with rolled_back(application):
            yield application
    finally:
        await engine.dispose()


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
def api(client: httpx.AsyncClient) -> Api:
    return Api(client)
