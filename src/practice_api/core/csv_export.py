"""CSV answers (``text/csv``): RFC 4180 lines, UTF-8 with a byte-order mark (so spreadsheet
programs read accents right), and every cell guarded against formula injection.

A cell a client wrote (a name, an answer) that starts like a formula (``=``, ``+``, ``-``,
``@``, a tab or a line break, or their full-width forms) would run as one when the file is
opened in a spreadsheet (``=HYPERLINK(...)``, DDE). Such text gets a leading apostrophe,
which spreadsheets show as plain text (OWASP "CSV injection"). Numbers (``int``,
``float``, ``Decimal``) are written as numbers: ``-5`` stays a number.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from fastapi import Response

MEDIA_TYPE = "text/csv; charset=utf-8; header=present"
# The ``text/csv`` alternative of a route's 200 answer, for its ``responses``.
OPENAPI_CONTENT: dict[str, Any] = {
    "description": "The JSON answer; with `Accept: text/csv` (or `format=csv`), a CSV file "
    "(RFC 4180, UTF-8 with a byte-order mark, a header line).",
    "content": {"text/csv": {"schema": {"type": "string"}}},
}
BOM = "\ufeff"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def wants_csv(accept: str | None) -> bool:
    """Whether an ``Accept`` header prefers ``text/csv`` to JSON (the first listed wins; a
    ``q`` of 0 refuses)."""
    if not accept:
        return False
    best: tuple[float, int, str] | None = None
    for position, part in enumerate(accept.split(",")):
        media, _, params = part.strip().partition(";")
        media = media.strip().lower()
        if media not in ("text/csv", "application/json", "application/*", "text/*", "*/*"):
            continue
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality <= 0:
            continue
        candidate = (-quality, position, media)
        if best is None or candidate < best:
            best = candidate
    return best is not None and best[2] in ("text/csv", "text/*")


def cell(value: Any) -> str | int | float | Decimal:
    """One value as a CSV cell: ``None`` is empty, booleans read ``yes``/``no``, lists are
    joined with ``; ``, text that could run as a formula gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, list | tuple):
        return guard("; ".join("" if v is None else str(v) for v in value))
    return guard(str(value))


def guard(text: str) -> str:
    """``text`` as a spreadsheet shows it literally (see the module's docstring)."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def lines(rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The CSV text of ``rows`` (each a sequence of raw values), one line at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([cell(v) for v in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def text(rows: Iterable[Sequence[Any]]) -> str:
    return BOM + "".join(lines(rows))


def response(rows: Iterable[Sequence[Any]], filename: str) -> Response:
    """A ``text/csv`` download of ``rows`` (the header row first), built before it is sent
    (the unit of work closes before the body goes out)."""
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in filename)
    return Response(
        text(rows).encode(),
        media_type=MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{safe or "export.csv"}"'},
    )
