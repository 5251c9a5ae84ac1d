"""A general rate limit per signed-in caller, with the IETF ``RateLimit`` headers.

Every request with a valid bearer token counts against its principal's budget:
``PRACTICE_RATE_LIMIT_REQUESTS`` per ``PRACTICE_RATE_LIMIT_WINDOW_SECONDS`` (6000 a minute
by default: a busy integration does not hit it by accident), or the firm's own figure from
``PRACTICE_RATE_LIMIT_PER_FIRM`` (a JSON object, firm id to requests per window). Past it:
429 problem+json with ``Retry-After``.

Answers carry the budget as in draft-ietf-httpapi-ratelimit-headers:
``RateLimit-Policy: "caller";q=6000;w=60`` and ``RateLimit: "caller";r=5999;t=42`` (r:
requests left, t: seconds until the window resets); plus the older
``RateLimit-Limit``/``RateLimit-Remaining``/``RateLimit-Reset`` trio many clients read.

The count is an atomic counter: in the database on PostgreSQL (one upsert per request, on
its own connection, so every replica shares it), in process memory on SQLite (one node).
Requests without a valid token are not counted here (sign-in and public links have their
own limits; the route answers 401).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from practice_api.core.errors import RateLimited, problem_response
from practice_api.core.ratelimit import WindowState, count_hit
from practice_api.core.security import InvalidToken, TokenCodec


class MemoryWindows:
    """Fixed windows in this process (asyncio runs one hit at a time: atomic here)."""

    def __init__(self) -> None:
        self._windows: dict[str, tuple[float, int]] = {}

    def hit(self, bucket: str, limit: int, window_seconds: int) -> WindowState:
        now = time.monotonic()
        started, hits = self._windows.get(bucket, (now, 0))
        if now - started >= window_seconds:
            started, hits = now, 0
        hits += 1
        self._windows[bucket] = (started, hits)
        if len(self._windows) > 100_000:  # forget finished windows now and then
            self._windows = {k: v for k, v in self._windows.items() if now - v[0] < window_seconds}
        reset = max(1, math.ceil(started + window_seconds - now))
        return WindowState(limit=limit, remaining=limit - hits, reset_seconds=reset)


class CallerRateLimitMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        tokens: Callable[[], TokenCodec],
        sessionmaker: Callable[[], async_sessionmaker[AsyncSession]],
        in_database: bool,
        limit: int,
        window_seconds: int,
        per_firm: Mapping[str, int],
    ) -> None:
        self.app = app
        self._tokens = tokens
        self._sessionmaker = sessionmaker
        self.in_database = in_database
        self.limit = limit
        self.window_seconds = window_seconds
        self.per_firm = dict(per_firm)
        self.memory = MemoryWindows()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        authorization = dict(scope["headers"]).get(b"authorization", b"")
        scheme, _, token = authorization.decode("latin-1").partition(" ")
        if scheme.lower() != "bearer" or not token:
            await self.app(scope, receive, send)
            return
        try:
            claims = self._tokens().decode(token.strip())
        except InvalidToken:
            await self.app(scope, receive, send)
            return
        limit = self.per_firm.get(str(claims.firm_id), self.limit)
        bucket = f"api:{claims.kind}:{claims.subject}"
        if self.in_database:
            state = await count_hit(self._sessionmaker(), bucket, limit, self.window_seconds)
        else:
            state = self.memory.hit(bucket, limit, self.window_seconds)
        headers = self._headers(state)
        if state.exceeded:
            error = RateLimited(state.reset_seconds, "Too many requests; slow down.")
            response = problem_response(error)
            response.headers.update(dict(headers))
            await response(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {
                    **message,
                    "headers": [
                        *message.get("headers", []),
                        *((k.lower().encode(), v.encode()) for k, v in headers),
                    ],
                }
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _headers(self, state: WindowState) -> list[tuple[str, str]]:
        remaining = max(0, state.remaining)
        return [
            ("RateLimit-Policy", f'"caller";q={state.limit};w={self.window_seconds}'),
            ("RateLimit", f'"caller";r={remaining};t={state.reset_seconds}'),
            ("RateLimit-Limit", str(state.limit)),
            ("RateLimit-Remaining", str(remaining)),
            ("RateLimit-Reset", str(state.reset_seconds)),
        ]
