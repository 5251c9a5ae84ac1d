"""A ``text/csv`` body for ``POST /v1/entities/{entity_id}/file-requests``: one item per
line (columns ``title``, ``description``, ``due_date``), the request's own fields in the
query string. The route class turns it into the JSON body before FastAPI validates it, so
both forms follow the one model and give the same 422 errors."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.datastructures import QueryParams

from practice_api.core.errors import BadRequest

COLUMNS = ("title", "description", "due_date")
QUERY_FIELDS = ("subject", "description", "due_date", "additional_message")

CSV_PARAMETERS: list[dict[str, Any]] = [
    {
        "name": "subject",
        "in": "query",
        "required": False,
        "description": "With a `text/csv` body: the request's subject (required then).",
        "schema": {"type": "string", "maxLength": 300},
    },
    {
        "name": "recipients",
        "in": "query",
        "required": False,
        "description": "With a `text/csv` body: contact ids, comma-separated or repeated.",
        "schema": {"type": "array", "items": {"type": "string", "format": "uuid"}},
        "style": "form",
        "explode": True,
    },
    {
        "name": "due_date",
        "in": "query",
        "required": False,
        "description": "With a `text/csv` body: the request's due date.",
        "schema": {"type": "string", "format": "date"},
    },
    {
        "name": "description",
        "in": "query",
        "required": False,
        "description": "With a `text/csv` body: the request's description.",
        "schema": {"type": "string", "maxLength": 20000},
    },
]

CSV_CONTENT: dict[str, Any] = {
    "text/csv": {
        "schema": {
            "type": "string",
            "description": "A header line with `title` (required), `description` and "
            "`due_date` (YYYY-MM-DD) columns, then one item per line (at most 500).",
        },
        "example": "title,description,due_date\nBank statements,All accounts,2027-01-31\n"
        "Signed engagement letter,,\n",
    }
}


def _is_csv(request: Request) -> bool:
    content_type = request.headers.get("content-type", "")
    return content_type.split(";")[0].strip().lower() in ("text/csv", "application/csv")


def csv_to_body(raw: bytes, query: QueryParams) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadRequest("The CSV body must be UTF-8.", code="malformed_body") from None
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise BadRequest(f"The CSV body is malformed: {exc}", code="malformed_body") from None
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise BadRequest("The CSV body has no header line.", code="malformed_body")
    header = [cell.strip().lower() for cell in rows[0]]
    if "title" not in header:
        raise BadRequest("The CSV header must name a `title` column.", code="malformed_body")
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        raise BadRequest(
            f"Unknown CSV column(s): {', '.join(unknown)}; use {', '.join(COLUMNS)}.",
            code="malformed_body",
        )
    items = []
    for row in rows[1:]:
        item: dict[str, Any] = {}
        for name, cell in zip(header, row, strict=False):
            if cell.strip() or name == "title":
                item[name] = cell
        items.append(item)
    body: dict[str, Any] = {
        name: query[name] for name in QUERY_FIELDS if query.get(name) is not None
    }
    recipients = [
        part.strip()
        for value in query.getlist("recipients")
        for part in value.split(",")
        if part.strip()
    ]
    body["recipients"] = recipients
    body["items"] = items
    return body


class CsvBodyRoute(APIRoute):
    """Reads a ``text/csv`` body as the JSON body it stands for."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route_handler(request: Request) -> Response:
            if _is_csv(request):
                body = json.dumps(csv_to_body(await request.body(), request.query_params))
                scope = dict(request.scope)
                scope["headers"] = [
                    (k, v) for k, v in request.scope["headers"] if k.lower() != b"content-type"
                ] + [(b"content-type", b"application/json")]
                request = Request(scope, request.receive)
                request._body = body.encode()
            return await handler(request)

        return route_handler
