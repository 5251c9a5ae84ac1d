"""A size limit on request bodies, enforced while they are read, before anything else runs.

Issue 14, finding 3: JSON bodies of any size were read into memory before authentication.
Every request body may be at most ``PRACTICE_MAX_BODY_BYTES`` (1 MiB by default) except
``multipart/form-data`` sent to an upload route (one whose spec documents a multipart
body): the upload code streams those and caps them itself while reading, with the
upload's own answers (``file_too_large``, and ``payload_too_large`` for keyed bodies the
idempotency layer holds), so an upload is refused the same way whichever layer sees it.

A ``Content-Length`` past the limit is refused at once, unread. A chunked body is counted
as it arrives: the chunk that crosses the limit is never handed to the app; the client
gets 413 problem+json (and ``Connection: close``, since the rest of its body is left
unread), the app sees a disconnect and whatever it answers is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from practice_api.core.errors import PayloadTooLarge, problem_response

_METHODS_WITH_BODY = {"POST", "PUT", "PATCH", "DELETE"}
_PATH_PARAM = re.compile(r"(\{[^/}]+\})")


def upload_paths(spec: dict[str, Any]) -> list[re.Pattern[str]]:
    """Paths of the operations whose documented request body is ``multipart/form-data``."""
    patterns = []
    for path, item in spec.get("paths", {}).items():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            content = (operation.get("requestBody") or {}).get("content", {})
            if "multipart/form-data" in content:
                regex = "".join(
                    "[^/]+" if _PATH_PARAM.fullmatch(part) else re.escape(part)
                    for part in _PATH_PARAM.split(path)
                )
                patterns.append(re.compile(f"^{regex}$"))
                break
    return patterns


class BodyLimitMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        upload_paths: Callable[[], list[re.Pattern[str]]],
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self._upload_paths = upload_paths
        self._patterns: list[re.Pattern[str]] | None = None

    def _limit(self, scope: Scope, content_type: bytes) -> int | None:
        if not content_type.lower().startswith(b"multipart/form-data"):
            return self.max_body_bytes
        if self._patterns is None:
            self._patterns = self._upload_paths()
        path = scope["path"]
        if any(pattern.match(path) for pattern in self._patterns):
            return None  # the upload code caps it while streaming
        return self.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _METHODS_WITH_BODY:
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        limit = self._limit(scope, headers.get(b"content-type", b""))
        if limit is None:
            await self.app(scope, receive, send)
            return
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, limit)
            return

        received = 0
        refused = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    if not started:
                        await self._refuse(scope, receive, send, limit)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 went out; the app's own answer to the disconnect is dropped
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not refused:
                raise
            # The app failed on the cut-off body (a disconnect); the client has its 413.

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = problem_response(
            PayloadTooLarge(
                f"The request body is larger than {limit} bytes.", code="body_too_large"
            )
        )
        response.headers["Connection"] = "close"
        await response(scope, receive, send)
