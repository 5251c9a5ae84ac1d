"""Small response helpers shared by routers."""

from __future__ import annotations

from fastapi import Response

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
