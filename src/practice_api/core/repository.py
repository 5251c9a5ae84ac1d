"""Shared repository mechanics: firm scoping, get-or-404 and pagination, written once."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar, Generic, TypeVar, cast

from sqlalchemy import Boolean, ColumnElement, Select, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.visitors import InternalTraversal

from practice_api.core.errors import NotFound
from practice_api.core.pagination import Listing, Ordering, PageParams, paginate, paginate_rows
from practice_api.core.principals import Principal

M = TypeVar("M")


class _InIds(ColumnElement[bool]):
    """``column IN (ids)``, written ``column = ANY(ARRAY(ids))`` on PostgreSQL: the ids are
    gathered first (an InitPlan) and each row found by the column's index, whatever the
    planner guesses of how many there are (its guess for ``IN`` can make it hash the whole
    table instead)."""

    inherit_cache = True
    type = Boolean()
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("ids", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: ColumnElement[Any], ids: ColumnElement[Any]) -> None:
        self.column = column
        self.ids = ids


@compiles(_InIds)
def _in_ids_default(element: _InIds, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.column.in_(element.ids), **kw))


@compiles(_InIds, "postgresql")
def _in_ids_postgresql(element: _InIds, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    ids = compiler.process(element.ids.scalar_subquery(), **kw)
    return f"{column} = ANY(ARRAY{ids})"


def in_ids(column: Any, ids: Any) -> ColumnElement[bool]:
    """``column`` is one of the ids ``ids`` (a select of one column) selects, looked up by
    the column's index one id at a time (for a small set of ids)."""
    return _InIds(column, ids)


def dialect_insert(session: AsyncSession, table: Any) -> Any:
    """An INSERT into ``table`` in the session's dialect (PostgreSQL or SQLite), so that
    ``on_conflict_do_nothing`` / ``on_conflict_do_update`` work on both backends."""
    from sqlalchemy.dialects import postgresql, sqlite

    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


async def union_rows(
    session: AsyncSession, selects: Sequence[Any], order_by: Sequence[str]
) -> list[Any]:
    """The rows of several selects of the same columns (``UNION ALL``), ordered by the named
    columns: one statement. Lets a composed view (the portal) gather what several domains
    answer without writing SQL itself."""
    union = union_all(*selects).subquery()
    statement = select(union).order_by(*(union.c[name] for name in order_by))
    connection = await session.connection()  # Core rows: no ORM loading
    return list(await connection.execute(statement))


def like_pattern(text: str) -> str:
    """A case-folded ``LIKE`` pattern matching ``text`` anywhere, wildcards escaped (``\\``)."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class Repository(Generic[M]):
    """One table's SQL; every read starts from ``readable()``.

    This base reads every row: only the tables worked across firms (the outbox's deliveries
    and the events they carry) use it directly. Every tenant table goes through
    ``FirmScopedRepository``."""

    model: ClassVar[type[Any]]
    not_found_code: ClassVar[str]
    not_found_detail: ClassVar[str]

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def readable(self) -> Select[M]:
        return select(self.model)

    def readable_by(self, principal: Principal) -> Select[M]:
        """The rows ``principal`` may read, as one statement: the one place a visibility rule
        is written (Polar's ``get_readable_statement``). The firm's rows here; repositories
        whose rows are not all visible to every principal of the firm narrow it."""
        return self.readable()

    async def get_readable_by(self, principal: Principal, item_id: uuid.UUID) -> M | None:
        """The row ``item_id`` if ``principal`` may read it (else ``None``)."""
        result = await self.session.scalar(
            self.readable_by(principal).where(self.model.id == item_id)
        )
        return result

    async def get(self, item_id: uuid.UUID) -> M | None:
        result = await self.session.scalar(self.readable().where(self.model.id == item_id))
        return result

    async def by_ids(self, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, M]:
        """The readable rows among ``ids``, by id, in one statement."""
        wanted = set(ids)
        if not wanted:
            return {}
        rows = await self.session.scalars(self.readable().where(self.model.id.in_(wanted)))
        return {cast(Any, row).id: row for row in rows}

    @classmethod
    def not_found(cls) -> NotFound:
        """The 404 of this resource (its stable code)."""
        return NotFound(cls.not_found_detail, code=cls.not_found_code)

    async def get_or_404(self, item_id: uuid.UUID) -> M:
        item = await self.get(item_id)
        if item is None:
            raise self.not_found()
        return item

    async def page(
        self,
        statement: Select[M],
        params: PageParams,
        ordering: Ordering,
        order_by: str | None,
    ) -> tuple[Sequence[M], str | None]:
        return await paginate(self.session, statement, params, ordering, order_by)

    async def page_rows(
        self,
        statement: Select[M],
        params: PageParams,
        ordering: Ordering,
        order_by: str | None,
        listing: Listing,
    ) -> tuple[Sequence[Any], str | None]:
        """The fast path of a list: ``statement`` (a ``select`` of the model, filtered)
        narrowed to the listing's columns, one page run as Core; rows, not ORM objects."""
        return await paginate_rows(
            self.session, listing.select(statement), params, ordering, order_by
        )

    def add(self, item: M) -> M:
        self.session.add(item)
        return item

    async def delete(self, item: M) -> None:
        await self.session.delete(item)
        await self.session.flush()


class FirmScopedRepository(Repository[M]):
    """A tenant table: rows of another firm are simply not found."""

    # For rows that belong to another (a share of an entity): the parent's column, and the
    # column a path names the row by (its id; a contact's grant is named by the contact).
    parent_key: ClassVar[str] = "entity_id"
    child_key: ClassVar[str] = "id"
    # Whether ``taken()`` looks at every firm's rows (staff e-mails: sign-in names are global).
    unique_across_firms: ClassVar[bool] = False

    def __init__(self, session: AsyncSession, firm_id: uuid.UUID) -> None:
        super().__init__(session)
        self.firm_id = firm_id

    def readable(self) -> Select[M]:
        return select(self.model).where(self.model.firm_id == self.firm_id)

    async def get_under(self, parent_id: uuid.UUID, child_id: uuid.UUID) -> M | None:
        """The row named ``child_id`` that belongs to ``parent_id`` (else ``None``)."""
        result = await self.session.scalar(
            self.readable().where(
                getattr(self.model, self.parent_key) == parent_id,
                getattr(self.model, self.child_key) == child_id,
            )
        )
        return result

    async def taken(self, *, except_id: uuid.UUID | None = None, **values: Any) -> bool:
        """Whether a row already has these column values (``name=...``, or
        ``entity_id=..., name=...`` for a name unique per entity), other than ``except_id``.

        The check before a unique column is written, so the caller can answer a clear 409
        (the unique index still settles a race). It looks past ``readable()`` on purpose:
        uniqueness holds over the whole firm (or every firm, ``unique_across_firms``), not
        just over what the caller sees."""
        columns = [getattr(self.model, name) == value for name, value in values.items()]
        statement = select(self.model.id).where(*columns)
        if not self.unique_across_firms:
            statement = statement.where(self.model.firm_id == self.firm_id)
        if except_id is not None:
            statement = statement.where(self.model.id != except_id)
        return (await self.session.scalar(statement.limit(1))) is not None
