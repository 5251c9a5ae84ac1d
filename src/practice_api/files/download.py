"""Answering a stored object over HTTP, written once for every route that serves a file.

* ``Content-Type`` is the sniffed type; ``X-Content-Type-Options: nosniff`` and a
  sandboxing ``Content-Security-Policy`` keep a browser from running what it downloads.
* ``Content-Disposition`` follows RFC 6266: an ASCII ``filename`` fallback and the exact
  name as ``filename*`` (UTF-8, percent-encoded) when it is not plain ASCII.
* The ``ETag`` is the content's SHA-256 (a strong validator): ``If-None-Match`` answers
  304, and ``If-Range`` guards a resumed download against a changed file.
* ``Range: bytes=...`` answers 206 with one range; a request for several ranges gets
  the whole file (200, allowed by RFC 9110 section 14.2); a range past the end answers 416
  with ``Content-Range: bytes */size``. A syntactically invalid Range header is ignored.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import unicodedata
from dataclasses import dataclass
from email.utils import format_datetime
from typing import Literal
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.responses import StreamingResponse

from practice_api.core.errors import AppError, NotFound, problem_response
from practice_api.core.storage import ObjectNotFound, ObjectStorage

log = logging.getLogger("practice_api.files")

Disposition = Literal["attachment", "inline"]
# Types a browser may show inline without running anything of the file's author.
INLINE_SAFE = frozenset(
    {"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp", "text/plain"}
)


@dataclass(frozen=True)
class Download:
    """What the helper needs to know of a stored file."""

    key: str
    size: int
    content_type: str
    filename: str
    sha256: str
    last_modified: dt.datetime | None = None


class RangeNotSatisfiable(AppError):
    status, title, default_code = 416, "Range not satisfiable", "range_not_satisfiable"


_RANGE = re.compile(r"^\s*(\d*)\s*-\s*(\d*)\s*$")
# Past 18 digits a position is beyond any file (and int() of thousands of digits fails).
_MAX_DIGITS = 18


def parse_range(header: str, size: int) -> list[tuple[int, int]] | None:
    """The satisfiable ``(start, end)`` byte ranges (end inclusive) of a ``Range`` header.

    None when the header is not a valid ``bytes`` range set (to be ignored); an empty
    list when it is valid but none of its ranges overlaps the file (416).
    """
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or not spec.strip():
        return None
    ranges: list[tuple[int, int]] = []
    for part in spec.split(","):
        match = _RANGE.match(part)
        if not match or match.group(1) == match.group(2) == "":
            return None
        first, last = match.group(1), match.group(2)
        if len(first) > _MAX_DIGITS:
            continue  # starts past the end of any file: unsatisfiable
        if len(last) > _MAX_DIGITS:
            last = str(10**_MAX_DIGITS)  # "to the end" / "the whole file"
        if first == "":  # suffix: the last N bytes
            length = int(last)
            if length > 0 and size > 0:
                ranges.append((max(0, size - length), size - 1))
            continue
        start = int(first)
        end = int(last) if last else size - 1
        if last and end < start:
            return None
        if start < size:
            ranges.append((start, min(end, size - 1)))
    return ranges


def _coalesce(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def content_disposition(filename: str, disposition: Disposition = "attachment") -> str:
    """RFC 6266 ``Content-Disposition`` with an ASCII fallback and ``filename*``."""
    fallback = (
        "".join(
            ch if 32 <= ord(ch) < 127 and ch not in '"\\' else "_"
            for ch in unicodedata.normalize("NFKD", filename)
            if unicodedata.category(ch) != "Mn"  # accents go, their letters stay
        ).strip()
        or "file"
    )
    value = f'{disposition}; filename="{fallback}"'
    if fallback != filename:
        value += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return value


def _matches(header: str, etag: str) -> bool:
    tags = [part.strip().removeprefix("W/") for part in header.split(",")]
    return "*" in tags or etag in tags


async def file_response(
    request: Request,
    storage: ObjectStorage,
    download: Download,
    *,
    disposition: Disposition = "attachment",
) -> Response:
    """A streamed answer for ``download``, honouring conditional and Range headers."""
    etag = f'"{download.sha256}"'
    if disposition == "inline" and download.content_type not in INLINE_SAFE:
        disposition = "attachment"
    headers = {
        "ETag": etag,
        "Accept-Ranges": "bytes",
        "Content-Disposition": content_disposition(download.filename, disposition),
        "Cache-Control": "private, no-cache",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
    }
    if download.last_modified is not None:
        headers["Last-Modified"] = format_datetime(download.last_modified, usegmt=True)

    if_none_match = request.headers.get("if-none-match")
    if if_none_match and _matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)

    size = download.size
    start, end, status = 0, size - 1, 200
    range_header = request.headers.get("range")
    if_range = request.headers.get("if-range")
    if range_header and (if_range is None or if_range.strip() == etag):
        ranges = parse_range(range_header, size)
        if ranges is not None:
            if not ranges:
                error = RangeNotSatisfiable(
                    f"The file has {size} bytes; the requested range lies outside it.",
                    headers={"Content-Range": f"bytes */{size}"},
                )
                return problem_response(error)
            merged = _coalesce(ranges)
            if len(merged) == 1:
                (start, end), status = merged[0], 206
                headers["Content-Range"] = f"bytes {start}-{end}/{size}"

    length = end - start + 1 if size else 0
    headers["Content-Length"] = str(length)
    try:
        chunks = await storage.open(download.key, start, length)
    except ObjectNotFound:
        log.error("stored object %s is missing", download.key)
        raise NotFound(
            "The file's content is not available.", code="file_content_missing"
        ) from None
    return StreamingResponse(
        chunks, status_code=status, media_type=download.content_type, headers=headers
    )
