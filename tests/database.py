"""Test isolation by rollback: the app's sessions join one transaction that is never committed.

``rolled_back(app)`` opens one connection, begins a transaction and binds the app's
sessionmaker to it with ``join_transaction_mode="create_savepoint"``: every ``commit()`` the
app makes releases a savepoint inside that transaction, every ``rollback()`` returns to one,
and the whole transaction is rolled back at the end. Tests see their own writes (same
connection) and leave nothing behind, so no table is emptied between them.
``savepoint(connection)`` nests one more level: the permission-matrix test builds its world
once and rolls each case back to it.

What the shared connection changes, and how it stays honest:

* Two sessions of different tasks must not interleave their savepoints on the one
  connection; the dispatcher delivers with ``asyncio.gather``. Sessions therefore take
  turns (a lock per connection, re-entrant for the task that holds it), which is how
  SQLite's writers behave anyway; HTTP sends and other work outside a session still overlap.
  A test whose point is two transactions racing (row locks, ``SKIP LOCKED``, visibility
  between connections) cannot run here: mark it ``@pytest.mark.committed``.
* ``runtime.engine`` (``/readyz``) answers on the same connection: on SQLite a second
  connection would wait for the test's write lock.
* Nothing here commits, so code that opens its own engine (a worker process, a live server,
  Alembic) sees none of the test's rows: such tests are ``committed`` too.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from practice_api.db import make_engine
from practice_api.models import Base

# How long a session waits for another task's session on the shared connection before the
# test fails (instead of hanging) with a hint to mark it ``committed``.
TURN_TIMEOUT_SECONDS = 30


class _Turns:
    """A lock re-entrant per task: sessions of one task nest, other tasks wait."""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[Any] | None = None
        self._depth = 0

    async def acquire(self) -> None:
        task = asyncio.current_task()
        if self._owner is task and task is not None:
            self._depth += 1
            return
        try:
            await asyncio.wait_for(self._lock.acquire(), TURN_TIMEOUT_SECONDS)
        except TimeoutError:
            raise RuntimeError(
                "a session waited for another task's session on the test's shared connection: "
                "a test whose transactions must overlap needs @pytest.mark.committed"
            ) from None
        self._owner, self._depth = task, 1

    def release(self) -> None:
        self._depth -= 1
        if self._depth == 0:
            self._owner = None
            self._lock.release()


def _session_class(turns: _Turns) -> type[AsyncSession]:
    class TurnTakingSession(AsyncSession):
        _holds_turn = False

        async def __aenter__(self) -> TurnTakingSession:
            await turns.acquire()
            self._holds_turn = True
            return self

        async def __aexit__(self, *exc: Any) -> None:
            try:
                await super().__aexit__(*exc)
            finally:
                if self._holds_turn:
                    self._holds_turn = False
                    turns.release()

    return TurnTakingSession


class _ConnectionEngine:
    """Stands in for ``runtime.engine``: ``connect()`` lends the test's connection; anything
    else (``sync_engine`` for event listeners, ``url``, ``dialect``) is the real engine's."""

    def __init__(self, connection: AsyncConnection, engine: Any) -> None:
        self._connection = connection
        self._engine = engine

    def __getattr__(self, name: str) -> Any:
        return getattr(self._engine, name)

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[AsyncConnection]:
        yield self._connection

    async def dispose(self) -> None:
        pass


@asynccontextmanager
async def rolled_back(app: Any) -> AsyncIterator[AsyncConnection]:
    """Bind ``app``'s sessions to one transaction, rolled back when the block ends."""
    runtime = app.state.runtime
    maker = runtime.sessionmaker
    engine = runtime.engine
    saved_kw, saved_class = dict(maker.kw), maker.class_
    async with engine.connect() as connection:
        transaction = await connection.begin()
        maker.configure(bind=connection, join_transaction_mode="create_savepoint")
        maker.class_ = _session_class(_Turns())
        runtime.engine = _ConnectionEngine(connection, engine)
        try:
            yield connection
        finally:
            runtime.engine = engine
            maker.kw, maker.class_ = saved_kw, saved_class
            if transaction.is_active:
                await transaction.rollback()


@asynccontextmanager
async def savepoint(connection: AsyncConnection) -> AsyncIterator[None]:
    """Everything the block writes on ``connection`` is rolled back when it ends."""
    nested = await connection.begin_nested()
    try:
        yield
    finally:
        if nested.is_active:
            await nested.rollback()


async def empty_all_tables(url: str) -> None:
    """Delete every row (for the ``committed`` tests, which really write)."""
    engine = make_engine(url, pool=False)
    tables = [table.name for table in reversed(Base.metadata.sorted_tables)]
    try:
        async with engine.begin() as connection:
            if url.startswith("postgresql"):
                await connection.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))
            else:
                for table in tables:
                    await connection.execute(text(f"DELETE FROM {table}"))
    finally:
        await engine.dispose()
