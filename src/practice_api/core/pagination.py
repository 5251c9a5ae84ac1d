"""Cursor pagination with stable keyset ordering: the one pagination helper.

A cursor is an opaque, URL-safe token holding the ordering and the sort key of the
last item served. The unique id always breaks ties, so rows added while a client pages
are neither skipped nor repeated.

The fast path every list takes (see README, "Performance"):

* the next page is a row-value predicate, ``(key, id) > (:key, :id)``, which the
  database turns into index bounds (every allowed ordering has an index ending in id);
* a repository hands ``paginate_rows`` a select of the columns the list returns
  (``select(Model.id, Model.name, ...)``, see ``FirmScopedRepository.list_page``): it runs
  as Core on the session's connection and gives rows, not hydrated ORM objects;
* ``page_response`` serializes the page once (orjson) into the response, so FastAPI
  neither re-validates nor re-encodes it.
"""

import base64
import datetime as dt
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

import orjson
from fastapi import Depends, Query, Response
from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, Select, literal, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.types import TypeDecorator

from practice_api.core.errors import BadRequest, ValidationFailed, ValidationIssue

T = TypeVar("T")
DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page."
    )


@dataclass(frozen=True)
class PageParams:
    limit: int
    cursor: str | None
    order_by: str | None = None


async def page_params(
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description="Items per page (max 200).")
    ] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None, Query(max_length=1000, description="Opaque cursor from `next_cursor`.")
    ] = None,
) -> PageParams:
    return PageParams(limit=limit, cursor=cursor)


@dataclass(frozen=True)
class Ordering:
    """Allowed ``order_by`` values of one list, each mapping to a column; the id breaks ties."""

    fields: dict[str, InstrumentedAttribute[Any]]
    id_column: InstrumentedAttribute[Any]
    default: str

    def choices(self) -> list[str]:
        return [prefix + name for name in self.fields for prefix in ("", "-")]

    def param(self) -> Any:
        """A dependency reading ``?order_by=`` (documented with its allowed values)."""
        choices = self.choices()
        # Generated clients name the members NAME / NAME_DESC instead of VALUE_1.
        names = [c.removeprefix("-") + ("_desc" if c.startswith("-") else "") for c in choices]

        async def order_by(
            order_by: Annotated[
                str,
                Query(
                    description=self.describe(),
                    json_schema_extra={"enum": choices, "x-enum-varnames": names},
                ),
            ] = self.default,
        ) -> str:
            name, descending = self.parse(order_by)
            return ("-" if descending else "") + name

        return Depends(order_by)

    def describe(self) -> str:
        names = ", ".join(f"`{n}`" for n in self.fields)
        return f"Sort by {names}; prefix with `-` for descending. Default `{self.default}`."

    def parse(self, value: str | None) -> tuple[str, bool]:
        value = self.default if value is None else value
        descending = value.startswith("-")
        name = value.removeprefix("-")
        if name not in self.fields:  # also "", "--name": only the documented values
            raise ValidationFailed(
                f"Unknown order_by {value!r}. {self.describe()}",
                code="invalid_order_by",
                errors=[
                    ValidationIssue(loc=["query", "order_by"], msg="unknown field", type="enum")
                ],
            )
        return name, descending


def _encode_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return {"t": "dt", "v": value.isoformat()}
    if isinstance(value, dt.date):
        return {"t": "date", "v": value.isoformat()}
    if isinstance(value, uuid.UUID):
        return {"t": "uuid", "v": str(value)}
    return value


def _decode_value(value: Any, expected: type) -> Any:
    """The sort key from a cursor, which must be of the ordering column's Python type."""
    if isinstance(value, dict):
        kind, raw = value.get("t"), value.get("v")
        if kind == "dt" and isinstance(raw, str) and expected is dt.datetime:
            decoded = dt.datetime.fromisoformat(raw)
            if decoded.tzinfo is None:
                raise ValueError("naive datetime in cursor")
            return decoded
        if kind == "date" and isinstance(raw, str) and expected is dt.date:
            return dt.date.fromisoformat(raw)
        if kind == "uuid" and isinstance(raw, str) and expected is uuid.UUID:
            return uuid.UUID(raw)
        raise ValueError("bad cursor value")
    if isinstance(value, str | int | float | bool) and type(value) is expected:
        return value
    raise ValueError("bad cursor value")


def encode_cursor(order: str, key: Any, row_id: uuid.UUID) -> str:
    raw = json.dumps([order, _encode_value(key), str(row_id)], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, order: str, key_type: type) -> tuple[Any, uuid.UUID]:
    """The sort key and id of a cursor; 400 for anything this list did not issue.

    ``key_type`` is the Python type of the ordering column: a key of another type (or
    ``null``) would otherwise reach the database and fail there.
    """
    invalid = BadRequest("The cursor is not valid for this list.", code="invalid_cursor")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(data, list) or len(data) != 3:
            raise invalid
        stored_order, key, row_id = data
        if stored_order != order or not isinstance(row_id, str):
            raise invalid
        return _decode_value(key, key_type), uuid.UUID(row_id)
    except BadRequest:
        raise
    except (ValueError, TypeError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise invalid from exc


@dataclass(frozen=True)
class PageQuery:
    """One page's statement (filters, keyset bound, order, limit + 1) and how to read it."""

    statement: Select[Any]
    column: InstrumentedAttribute[Any]
    id_column: InstrumentedAttribute[Any]
    order_token: str
    limit: int


def page_query(
    statement: Select[Any], params: PageParams, ordering: Ordering, order_by: str | None = None
) -> PageQuery:
    """The statement ``paginate`` runs (benchmarks and EXPLAIN tests read it too)."""
    name, descending = ordering.parse(order_by)
    column = ordering.fields[name]
    id_column = ordering.id_column
    # The cursor names its list (the table) too: another list's cursor is refused (400).
    order_token = f"{id_column.class_.__tablename__}:" + ("-" if descending else "") + name
    if params.cursor:
        key, last_id = decode_cursor(params.cursor, order_token, _python_type(column))
        statement = statement.where(_after(column, id_column, key, last_id, descending))
    if descending:
        statement = statement.order_by(column.desc(), id_column.desc())
    else:
        statement = statement.order_by(column.asc(), id_column.asc())
    return PageQuery(
        statement.limit(params.limit + 1), column, id_column, order_token, params.limit
    )


async def paginate(
    session: AsyncSession,
    statement: Select[Any],
    params: PageParams,
    ordering: Ordering,
    order_by: str | None = None,
) -> tuple[Sequence[Any], str | None]:
    """Run ``statement`` one page at a time; returns the rows and the next cursor."""
    query = page_query(statement, params, ordering, order_by)
    result = await session.execute(query.statement)
    # Explicit columns give plain rows: no ORM objects are built.
    one_entity = _selects_one_entity(statement)
    rows: Sequence[Any] = result.unique().scalars().all() if one_entity else result.all()
    return next_page(query, rows)


async def paginate_rows(
    session: AsyncSession,
    statement: Select[Any],
    params: PageParams,
    ordering: Ordering,
    order_by: str | None = None,
) -> tuple[Sequence[Any], str | None]:
    """The fast path of a list: ``statement`` selects the columns the list returns (labelled
    as the items' fields); the page runs as a Core statement on the session's connection,
    with no ORM loading, and its rows read by attribute (``row.name``)."""
    query = page_query(statement, params, ordering, order_by)
    return next_page(query, await fetch_rows(session, query.statement))


async def fetch_rows(session: AsyncSession, statement: Select[Any]) -> Sequence[Any]:
    """Run a select of columns as Core on the session's connection: the ORM's execution
    (events, compile state, row loading) is skipped; pending changes are flushed first."""
    if session.new or session.dirty or session.deleted:
        await session.flush()
    connection = await session.connection()
    rows: Sequence[Any] = (await connection.execute(statement)).all()
    return rows


@dataclass(frozen=True)
class Listing:
    """What a list selects and how its rows become items, decided once per list.

    ``Listing.of(Model, ReadSchema)`` is the ordinary case: every field of the read schema
    is the model's column of the same name, read as is (no validators or serializers on
    the schema: checked here, at import). Fields from another table come as ``extra``
    labelled columns with the ``joins`` that reach them (a share's ``user_name``).
    ``select`` narrows a ``select(Model)`` of the repository to those columns; ``items``
    turns the page's rows into the items' dicts, which ``page_response`` writes once. A
    list whose items need more (a nested object) selects its own labelled columns and
    builds its items (entities do).
    """

    columns: tuple[Any, ...]
    keys: tuple[str, ...]
    joins: tuple[tuple[Any, Any], ...] = ()

    @classmethod
    def of(
        cls,
        model: type[Any],
        schema: type[BaseModel],
        *,
        extra: dict[str, Any] | None = None,
        joins: tuple[tuple[Any, Any], ...] = (),
    ) -> "Listing":
        table = model.__table__
        extra = extra or {}
        keys = tuple(schema.model_fields)
        missing = [key for key in keys if key not in table.c and key not in extra]
        decorators = schema.__pydantic_decorators__
        custom = [
            *decorators.field_validators,
            *decorators.field_serializers,
            *decorators.model_validators,
            *decorators.model_serializers,
            *schema.model_computed_fields,
        ]
        if missing or custom:
            raise TypeError(
                f"{schema.__name__} is not its model's columns as they are "
                f"(not columns: {missing}; custom: {custom}): select labelled columns "
                "and build the items instead"
            )
        columns = tuple(extra[key].label(key) if key in extra else table.c[key] for key in keys)
        return cls(columns=columns, keys=keys, joins=joins)

    def select(self, statement: Select[Any]) -> Select[Any]:
        statement = statement.with_only_columns(*self.columns, maintain_column_froms=True)
        for target, onclause in self.joins:
            statement = statement.join(target, onclause)
        return statement

    def items(self, rows: Sequence[Any]) -> list[dict[str, Any]]:
        keys = self.keys
        return [dict(zip(keys, row, strict=True)) for row in rows]


def next_page(query: PageQuery, rows: Sequence[Any]) -> tuple[Sequence[Any], str | None]:
    """Cut the look-ahead row off and make the cursor of the page's last row."""
    next_cursor = None
    if len(rows) > query.limit:
        rows = rows[: query.limit]
        last = rows[-1]
        next_cursor = encode_cursor(
            query.order_token, getattr(last, query.column.key), getattr(last, query.id_column.key)
        )
    return rows, next_cursor


def _selects_one_entity(statement: Select[Any]) -> bool:
    described = statement.column_descriptions
    return len(described) == 1 and isinstance(described[0]["expr"], type)


def _python_type(column: InstrumentedAttribute[Any]) -> type:
    column_type = column.type
    if isinstance(column_type, TypeDecorator):  # e.g. UTCDateTime: ask what it decorates
        column_type = column_type.impl_instance
    python_type: type = column_type.python_type
    return python_type


def _after(
    column: InstrumentedAttribute[Any],
    id_column: InstrumentedAttribute[Any],
    key: Any,
    last_id: uuid.UUID,
    descending: bool,
) -> ColumnElement[bool]:
    if column is id_column:
        return id_column < last_id if descending else id_column > last_id
    # A row-value comparison: one index range scan from (key, id) on, in either direction.
    after = tuple_(column, id_column)
    bound = tuple_(
        _bound(column, key),
        _bound(id_column, last_id),
    )
    return after < bound if descending else after > bound


def _bound(column: InstrumentedAttribute[Any], value: Any) -> Any:
    return literal(value, type_=column.type)


def to_page(rows: Sequence[Any], next_cursor: str | None, convert: Callable[[Any], T]) -> Page[T]:
    return Page[T](items=[convert(row) for row in rows], next_cursor=next_cursor)


JSON_OPTIONS = orjson.OPT_UTC_Z


def json_default(value: Any) -> Any:
    """orjson's fallback for the values it does not write itself."""
    if isinstance(value, uuid.UUID):  # asyncpg's own UUID subclass (orjson takes only uuid's)
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def page_response(items: list[Any], next_cursor: str | None) -> Response:
    """A page as JSON, serialized once: ``items`` are dicts (or lists) of JSON-able values,
    UUIDs and aware datetimes (written as pydantic writes them, ``...Z``)."""
    return json_response({"items": items, "next_cursor": next_cursor})


def json_response(body: Any, status_code: int = 200) -> Response:
    """A JSON answer serialized once, without re-validation: ``body`` holds dicts, lists and
    JSON-able values, UUIDs, dates and aware datetimes (written as pydantic writes them)."""
    return Response(
        orjson.dumps(body, default=json_default, option=JSON_OPTIONS),
        status_code=status_code,
        media_type="application/json",
    )


def model_page_response(page: BaseModel) -> Response:
    """A page already built as a pydantic model, serialized once (no re-validation)."""
    return Response(page.model_dump_json(), media_type="application/json")
