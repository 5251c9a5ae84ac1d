"""Small response helpers shared by routers."""

from __future__ import annotations

import datetime as dt
from email.utils import format_datetime
from typing import Any

from fastapi import Depends, Response

from practice_api.core.etag import etag_for

# The largest INTEGER PostgreSQL stores: bound integer parameters by it (422, not a 500).
INT32_MAX = 2**31 - 1


def created(response: Response, location: str, version: int | None = None) -> None:
    """Headers of a ``201 Created``: where the new resource lives and its ETag."""
    response.headers["Location"] = location
    if version is not None:
        response.headers["ETag"] = etag_for(version)


def updated(response: Response, version: int) -> None:
    response.headers["ETag"] = etag_for(version)


def deprecation(since: dt.date, sunset: dt.date) -> Any:
    """``dependencies=[deprecation(...)]`` (with ``deprecated=True``) on a route that will go.

    Its answers carry ``Deprecation: @<unix seconds>`` (RFC 9745) and ``Sunset: <HTTP-date>``
    (RFC 8594); core/openapi.py documents both headers on every deprecated operation. The
    sunset is at least six months after ``since`` (README, "Versioning and deprecation").
    """
    if sunset < since + dt.timedelta(days=182):
        raise ValueError("a deprecated route keeps working for at least six months")
    since_at = dt.datetime.combine(since, dt.time(), tzinfo=dt.UTC)
    sunset_at = dt.datetime.combine(sunset, dt.time(), tzinfo=dt.UTC)
    headers = {
        "Deprecation": f"@{int(since_at.timestamp())}",
        "Sunset": format_datetime(sunset_at, usegmt=True),
    }

    async def mark_deprecated(response: Response) -> None:
        response.headers.update(headers)

    return Depends(mark_deprecated)
