"""ETags from row versions: ``If-Match`` guards writes, ``If-None-Match`` saves reads."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Request, Response

from practice_api.core.errors import AppError, PreconditionFailed


class NotModified(AppError):
    """Not an error: rendered as a bare 304 by the handler installed in the app."""

    status, title, default_code = 304, "Not modified", "not_modified"


def etag_for(version: int) -> str:
    return f'"{version}"'


def _listed(header: str) -> list[str]:
    return [part.strip().removeprefix("W/") for part in header.split(",") if part.strip()]


def set_etag(request: Request, response: Response, version: int) -> None:
    """Set the ETag of a single resource; answer 304 when the client already has it."""
    tag = etag_for(version)
    response.headers["ETag"] = tag
    if_none_match = request.headers.get("if-none-match")
    if if_none_match and (if_none_match.strip() == "*" or tag in _listed(if_none_match)):
        raise NotModified(headers={"ETag": tag})


IfMatchHeader = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description="ETag from a previous read; the write fails with 412 if it is stale.",
        max_length=200,
    ),
]


def check_if_match(if_match: str | None, current_version: int) -> None:
    """Raise 412 unless ``If-Match`` is absent, ``*``, or names the current version."""
    if if_match is None:
        return
    if if_match.strip() == "*":
        return
    if etag_for(current_version) not in _listed(if_match):
        raise PreconditionFailed(
            "The resource changed since you read it; read it again and retry.",
            code="stale_etag",
        )
