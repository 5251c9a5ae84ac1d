"""Engine, sessions and the per-request unit of work (the base and mixins: ``core.orm``)."""

from __future__ import annotations

import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import Depends, Request
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.pool import NullPool

from practice_api.core.errors import AppError

# The declarative base and mixins live in core (no domain imports); models import them here.
from practice_api.core.orm import (
    NAMING_CONVENTION,
    Base,
    IdMixin,
    JSONType,
    TimestampMixin,
    UTCDateTime,
    VersionedMixin,
)

__all__ = [
    "NAMING_CONVENTION",
    "AfterCommit",
    "Base",
    "IdMixin",
    "JSONType",
    "SessionDep",
    "TimestampMixin",
    "UTCDateTime",
    "VersionedMixin",
    "after_commit",
    "after_rollback",
    "get_session",
    "make_engine",
    "make_sessionmaker",
    "writes_on_get",
]


def make_engine(
    url: str,
    *,
    pool: bool = True,
    pool_size: int | None = None,
    max_overflow: int = 10,
    connect_timeout: float | None = None,
    statement_timeout: float | None = None,
    pool_timeout: float | None = None,
) -> AsyncEngine:
    """An engine; with timeouts (PostgreSQL), no request waits on the database unboundedly.

    ``connect_timeout`` bounds opening a connection, ``pool_timeout`` waiting for a free
    one, ``statement_timeout`` each statement: PostgreSQL cancels it at that point
    (``statement_timeout``), and the driver gives up two seconds later when the server
    does not answer at all (asyncpg ``command_timeout``, which also bounds COMMIT and
    ROLLBACK).
    """
    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": 30}
    elif url.startswith("postgresql"):
        connect_args: dict[str, Any] = {}
        if connect_timeout is not None:
            connect_args["timeout"] = connect_timeout
        if statement_timeout is not None:
            connect_args["command_timeout"] = statement_timeout + 2
            connect_args["server_settings"] = {
                "statement_timeout": str(int(statement_timeout * 1000)),
                # A transaction left open by a stuck client does not hold locks forever.
                "idle_in_transaction_session_timeout": str(int(max(60, statement_timeout) * 1000)),
            }
        kwargs["connect_args"] = connect_args
    if not pool:
        kwargs["poolclass"] = NullPool
    else:
        if pool_size is not None and not url.startswith("sqlite"):
            kwargs.update(pool_size=pool_size, max_overflow=max_overflow)
        if pool_timeout is not None and url.startswith("postgresql"):
            kwargs["pool_timeout"] = pool_timeout
    engine = create_async_engine(url, **kwargs)
    if url.startswith("sqlite"):
        _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # aiosqlite's own transaction handling is turned off so SQLAlchemy's BEGIN is used.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Take the write lock at the start so two writers queue instead of deadlocking.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=True)


async def ping(engine: AsyncEngine) -> None:
    """A trivial query on a fresh connection (readiness); raises when the database does not
    answer."""
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


AfterCommit = Callable[[], Awaitable[None]]


def after_commit(session: AsyncSession, callback: AfterCommit) -> None:
    """Run ``callback`` once the request's transaction has committed (e.g. kick a dispatcher)."""
    session.info.setdefault("after_commit", []).append(callback)


def after_rollback(session: AsyncSession, callback: AfterCommit) -> None:
    """Run ``callback`` if the request's transaction does not commit (e.g. delete a stored
    object that no row will ever point to)."""
    session.info.setdefault("after_rollback", []).append(callback)


READ_ONLY = "read_only"
_READ_METHODS = frozenset({"GET", "HEAD"})
_autocommit_binds: weakref.WeakKeyDictionary[Any, AsyncEngine] = weakref.WeakKeyDictionary()

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def writes_on_get(endpoint: Endpoint) -> Endpoint:
    """Mark a GET route that writes (a download recorded in the activity log): it gets an
    ordinary transaction. Every other GET is read-only: on PostgreSQL it runs without
    BEGIN/COMMIT round trips (autocommit), and a write in it fails loudly."""
    endpoint.__writes_on_get__ = True  # type: ignore[attr-defined]
    return endpoint


def _read_only(request: Request) -> bool:
    if request.method not in _READ_METHODS:
        return False
    return not getattr(request.scope.get("endpoint"), "__writes_on_get__", False)


def _autocommit(engine: AsyncEngine) -> AsyncEngine | None:
    """The engine's autocommit twin on PostgreSQL (reads without BEGIN/COMMIT); SQLite keeps
    its transactions (they cost no round trip there)."""
    if engine.dialect.name != "postgresql":
        return None
    twin = _autocommit_binds.get(engine.sync_engine)
    if twin is None:
        twin = engine.execution_options(isolation_level="AUTOCOMMIT")
        _autocommit_binds[engine.sync_engine] = twin
    return twin


class ReadOnlyViolation(RuntimeError):
    pass


def _refuse_write(session: Session) -> None:
    raise ReadOnlyViolation(
        "This GET route writes: mark it with practice_api.db.writes_on_get so it gets a "
        "transaction (GET routes are read-only by default)."
    )


@event.listens_for(Session, "before_flush")
def _guard_flush(session: Session, *_: Any) -> None:
    if session.info.get(READ_ONLY) and (session.new or session.dirty or session.deleted):
        _refuse_write(session)


@event.listens_for(Session, "do_orm_execute")
def _guard_statement(state: ORMExecuteState) -> None:
    if state.session.info.get(READ_ONLY) and (
        state.is_insert or state.is_update or state.is_delete
    ):
        _refuse_write(state.session)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One unit of work per request: commit once at the end, or roll back.

    Read-only GETs (all but those marked ``writes_on_get``) run on PostgreSQL in autocommit:
    their statements need no BEGIN and COMMIT round trips."""
    maker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    if _read_only(request):
        engine = maker.kw.get("bind")
        twin = _autocommit(engine) if isinstance(engine, AsyncEngine) else None
        session = maker(bind=twin) if twin is not None else maker()
        session.info[READ_ONLY] = True
    else:
        session = maker()
    committed = False
    try:
        async with session:
            try:
                yield session
            except AppError as error:
                if error.keep_changes:
                    await session.commit()
                    committed = True
                else:
                    await session.rollback()
                raise
            except BaseException:
                await session.rollback()
                raise
            else:
                await session.commit()
                committed = True
    finally:
        if not committed:
            # Shielded: compensations run even when the request was cancelled.
            with anyio.CancelScope(shield=True):
                for callback in session.info.pop("after_rollback", []):
                    await callback()
    for callback in session.info.pop("after_commit", []):
        await callback()


# scope="function": the commit happens before the response is sent, so a failed commit
# answers an error instead of a success that did not persist.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
