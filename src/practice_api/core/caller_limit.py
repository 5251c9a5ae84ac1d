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

Windows are fixed and aligned to the clock (window *n* covers ``[n * w, (n + 1) * w)``
seconds since the epoch), so every process agrees on where a window starts without asking.

Counting costs no database round trip on the request path: each process counts its
callers' requests in memory (exact within the process: asyncio counts one hit at a time).
On PostgreSQL each process also adds its counts to a shared counter row per caller and
window (``rate_counters``), at most once every ``PRACTICE_RATE_LIMIT_SHARE_SECONDS`` per
caller (1 s by default), after a request's answer has gone out, and learns from the same
upsert what the other workers and replicas counted (the next requests see it). A caller's
budget is therefore shared by every process, and the limit holds exactly within one
process; across N processes a caller can go past it by at most what the other N - 1
served it in the last share interval (with 4 workers at 6000 a minute, a few hundred
requests at worst). On SQLite (one node) the count stays in memory.
When the database does not answer, the count goes on in memory and is shared later.

Requests without a valid token are not counted here (sign-in and public links have their
own limits; the route answers 401).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy import case, literal
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from practice_api.core.errors import RateLimited, database_unavailable, problem_response
from practice_api.core.ratelimit import TABLE, WindowState
from practice_api.core.security import InvalidToken, TokenCodec
from practice_api.core.time import utcnow

log = logging.getLogger("practice_api.ratelimit")

_FORGET_ABOVE = 100_000  # buckets; past it, those of finished windows are dropped


@dataclass
class _Window:
    """One caller's window in this process."""

    index: int  # the window's number (seconds since the epoch // window length)
    hits: int = 0  # requests counted here
    shared: int = 0  # of which already added to the shared counter
    others: int = 0  # requests other processes counted, as of the last exchange
    shared_at: float = -math.inf  # monotonic time of the last exchange
    sharing: bool = False


class SharedCounter:
    """The shared per-window counter rows of PostgreSQL (one upsert adds and reads)."""

    def __init__(self, sessionmaker: Callable[[], async_sessionmaker[AsyncSession]]) -> None:
        self._sessionmaker = sessionmaker

    async def add(self, bucket: str, started: dt.datetime, hits: int) -> int | None:
        """Add ``hits`` to ``bucket``'s count of the window that began at ``started``; the
        window's total over every process (``None`` when the row holds a later window)."""
        table = TABLE
        stored = table.c.window_started_at
        statement = (
            pg_insert(table)
            .values(bucket=bucket, window_started_at=started, hits=hits)
            .on_conflict_do_update(
                index_elements=[table.c.bucket],
                set_={
                    "hits": case(
                        (stored < started, literal(hits)),
                        (stored == started, table.c.hits + hits),
                        else_=table.c.hits,
                    ),
                    "window_started_at": case((stored < started, started), else_=stored),
                },
            )
            .returning(table.c.hits, stored)
        )
        async with self._sessionmaker()() as session, session.begin():
            total, window_started_at = (await session.execute(statement)).one()
        if window_started_at.replace(tzinfo=dt.UTC) != started:
            return None
        return int(total)


class CallerWindows:
    """Fixed, clock-aligned windows per caller, counted in this process and, when given a
    shared counter, exchanged with the other processes at most every ``share_seconds``."""

    def __init__(
        self,
        window_seconds: int,
        shared: SharedCounter | None = None,
        share_seconds: float = 1.0,
    ) -> None:
        self.window_seconds = window_seconds
        self.shared = shared
        self.share_seconds = share_seconds
        self._windows: dict[str, _Window] = {}

    def hit(self, bucket: str, limit: int) -> tuple[WindowState, bool]:
        """Count one request; where the window stands, and whether this request should
        exchange the counts with the other processes (``share``) once it is answered."""
        now = utcnow().timestamp()
        index = int(now // self.window_seconds)
        window = self._windows.get(bucket)
        if window is None or window.index != index:
            if window is None and len(self._windows) >= _FORGET_ABOVE:
                self._windows = {k: w for k, w in self._windows.items() if w.index == index}
            window = self._windows[bucket] = _Window(index)
        window.hits += 1
        due = (
            self.shared is not None
            and not window.sharing
            and time.monotonic() - window.shared_at >= self.share_seconds
        )
        if due:
            window.sharing = True
        reset = max(1, math.ceil((index + 1) * self.window_seconds - now))
        remaining = limit - window.hits - window.others
        return WindowState(limit=limit, remaining=remaining, reset_seconds=reset), due

    async def share(self, bucket: str) -> None:
        """Add this process's new hits to the shared count and learn the others'."""
        window = self._windows.get(bucket)
        if window is None or self.shared is None:
            return
        unshared = window.hits - window.shared
        started = dt.datetime.fromtimestamp(window.index * self.window_seconds, dt.UTC)
        try:
            total = await self.shared.add(bucket, started, unshared)
        except Exception as exc:
            if not database_unavailable(exc):
                raise
            log.warning("rate limit counts not shared (database unavailable): %r", exc)
            return
        finally:
            window.sharing = False
            window.shared_at = time.monotonic()
        window.shared += unshared
        if total is not None:
            window.others = max(0, total - window.shared)

    def skip_share(self, bucket: str) -> None:
        window = self._windows.get(bucket)
        if window is not None:
            window.sharing = False


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
        share_seconds: float = 1.0,
    ) -> None:
        self.app = app
        self._tokens = tokens
        self.limit = limit
        self.window_seconds = window_seconds
        self.per_firm = dict(per_firm)
        self.windows = CallerWindows(
            window_seconds, SharedCounter(sessionmaker) if in_database else None, share_seconds
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        authorization = b""
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value
                break
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
        state, share = self.windows.hit(bucket, limit)
        headers = self._headers(state)
        status = 0
        if state.exceeded:
            error = RateLimited(state.reset_seconds, "Too many requests; slow down.")
            response = problem_response(error)
            response.headers.update({k.decode(): v.decode() for k, v in headers})
            await response(scope, receive, send)
            status = response.status_code
        else:

            async def send_with_headers(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                    message = {**message, "headers": [*message.get("headers", []), *headers]}
                await send(message)

            try:
                await self.app(scope, receive, send_with_headers)
            except BaseException:
                if share:
                    self.windows.skip_share(bucket)
                raise
        if share:
            # After the answer went out: the exchange never delays a request. Not when the
            # database just failed this request (its answer waited for it already).
            if status == 503:
                self.windows.skip_share(bucket)
            else:
                await self.windows.share(bucket)

    def _headers(self, state: WindowState) -> list[tuple[bytes, bytes]]:
        remaining = max(0, state.remaining)
        return [
            (b"ratelimit-policy", f'"caller";q={state.limit};w={self.window_seconds}'.encode()),
            (b"ratelimit", f'"caller";r={remaining};t={state.reset_seconds}'.encode()),
            (b"ratelimit-limit", str(state.limit).encode()),
            (b"ratelimit-remaining", str(remaining).encode()),
            (b"ratelimit-reset", str(state.reset_seconds).encode()),
        ]
