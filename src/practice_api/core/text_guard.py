"""Refuse URLs whose text no database can store (NUL bytes, invalid UTF-8) with a 400.

Request bodies get the same rule from ``InputModel``; this covers paths and query strings,
so a filter like ``?q=%00`` answers a clear problem instead of a driver error.
"""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Receive, Scope, Send

from practice_api.core.errors import BadRequest, problem_response


def _storable(raw: bytes) -> bool:
    decoded = unquote_to_bytes(raw.replace(b"+", b" "))
    if b"\x00" in decoded:
        return False
    try:
        decoded.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class TextGuardMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope.get("raw_path") or scope["path"].encode("utf-8", "surrogateescape")
            if not (_storable(path) and _storable(scope.get("query_string", b""))):
                response = problem_response(
                    BadRequest(
                        "The URL contains NUL characters or invalid UTF-8.",
                        code="malformed_url",
                    )
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
