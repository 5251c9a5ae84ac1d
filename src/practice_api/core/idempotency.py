"""``Idempotency-Key`` on POST: the same key and body replay the first response.

Keys are scoped to the authenticated principal and kept for ``idempotency_ttl_seconds``
(24 hours by default). A key reused with another request answers 409; a key whose first
request is still running answers 409 too. Server errors are not stored, so a retry after a
5xx runs again. Anonymous POSTs (sign-in, sign-up) ignore the header.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from practice_api.core.errors import (
    AppError,
    BadRequest,
    Conflict,
    PayloadTooLarge,
    problem_response,
)
from practice_api.core.models import IdempotencyRecord
from practice_api.core.security import InvalidToken, TokenCodec
from practice_api.core.time import utcnow

HEADER = b"idempotency-key"
MAX_STORED_BODY = 1024 * 1024
_CHUNK = 64 * 1024


class IdempotencyMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        sessionmaker: Callable[[], async_sessionmaker[AsyncSession]],
        tokens: Callable[[], TokenCodec],
        session_is_live: Callable[[uuid.UUID], Awaitable[bool]],
        ttl_seconds: int,
        max_body_bytes: int,
    ) -> None:
        self.app = app
        self._max_body = max_body_bytes
        self._sessionmaker = sessionmaker
        self._tokens = tokens
        self._session_is_live = session_is_live
        self._ttl = dt.timedelta(seconds=ttl_seconds)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        raw_key = headers.get(HEADER)
        if raw_key is None:
            await self.app(scope, receive, send)
            return
        caller = self._caller(headers.get(b"authorization"))
        # A revoked session (logout, deactivation, password change) gets no replay: the app
        # answers it, with a 401.
        if caller is None or not await self._session_is_live(caller[1]):
            await self.app(scope, receive, send)
            return
        owner = caller[0]
        key = raw_key.decode("latin-1").strip()
        if not (1 <= len(key) <= 255) or not key.isprintable():
            await _send_error(
                scope,
                receive,
                send,
                BadRequest(
                    "Idempotency-Key must be 1 to 255 printable characters.",
                    code="invalid_idempotency_key",
                ),
            )
            return

        with tempfile.SpooledTemporaryFile(max_size=_CHUNK * 16) as body:
            digest = hashlib.sha256()
            for part in (scope["method"], scope["path"], scope.get("query_string", b"")):
                digest.update(part if isinstance(part, bytes) else part.encode())
                digest.update(b"\0")
            digest.update(headers.get(b"content-type", b""))
            digest.update(b"\0")
            outcome = await _read_body(receive, body, digest, self._max_body)
            if outcome == "disconnected":
                return
            if outcome == "too_large":
                await _send_error(
                    scope,
                    receive,
                    send,
                    PayloadTooLarge(
                        f"The request body exceeds {self._max_body} bytes.",
                        code="payload_too_large",
                    ),
                )
                return
            request_hash = digest.hexdigest()

            decision = await self._reserve(owner, key, request_hash)
            if isinstance(decision, AppError):
                await _send_error(scope, receive, send, decision)
                return
            if isinstance(decision, IdempotencyRecord):
                await _replay(decision, send)
                return

            body.seek(0)
            await self._run_and_store(scope, _replaying_receive(body, receive), send, owner, key)

    def _caller(self, authorization: bytes | None) -> tuple[str, uuid.UUID] | None:
        """The key's owner (``kind:id``) and the token's session, for a valid token."""
        if not authorization:
            return None
        scheme, _, token = authorization.decode("latin-1").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        try:
            claims = self._tokens().decode(token.strip())
        except InvalidToken:
            return None
        return f"{claims.kind}:{claims.subject}", claims.session_id

    async def _reserve(
        self, owner: str, key: str, request_hash: str
    ) -> AppError | IdempotencyRecord | None:
        now = utcnow()
        async with self._sessionmaker()() as session:
            await session.execute(
                delete(IdempotencyRecord).where(
                    IdempotencyRecord.scope == owner,
                    IdempotencyRecord.key == key,
                    IdempotencyRecord.expires_at <= now,
                )
            )
            existing = await session.scalar(
                select(IdempotencyRecord).where(
                    IdempotencyRecord.scope == owner, IdempotencyRecord.key == key
                )
            )
            if existing is None:
                session.add(
                    IdempotencyRecord(
                        scope=owner, key=key, request_hash=request_hash, expires_at=now + self._ttl
                    )
                )
                try:
                    await session.commit()
                except IntegrityError:
                    return _in_progress()
                return None
            await session.commit()
        if existing.request_hash != request_hash:
            return Conflict(
                "This Idempotency-Key was already used with a different request.",
                code="idempotency_key_reused",
            )
        if existing.status_code is None:
            return _in_progress()
        return existing

    async def _run_and_store(
        self, scope: Scope, receive: Receive, send: Send, owner: str, key: str
    ) -> None:
        status: int | None = None
        stored_headers: list[list[str]] = []
        chunks: list[bytes] = []
        size = 0

        async def capture(message: Message) -> None:
            nonlocal status, size
            if message["type"] == "http.response.start":
                status = int(message["status"])
                stored_headers.extend(
                    [k.decode("latin-1"), v.decode("latin-1")]
                    for k, v in message.get("headers", [])
                    if k.lower() not in (b"x-request-id", b"set-cookie")
                )
            elif message["type"] == "http.response.body":
                chunk = message.get("body", b"")
                size += len(chunk)
                if size <= MAX_STORED_BODY:
                    chunks.append(chunk)
            await send(message)

        completed = False
        try:
            await self.app(scope, receive, capture)
            completed = True
        finally:
            keep = completed and status is not None and status < 500 and size <= MAX_STORED_BODY
            await self._finish(
                owner, key, status if keep else None, stored_headers, b"".join(chunks)
            )

    async def _finish(
        self, owner: str, key: str, status: int | None, headers: list[list[str]], body: bytes
    ) -> None:
        where = (IdempotencyRecord.scope == owner, IdempotencyRecord.key == key)
        async with self._sessionmaker()() as session:
            if status is None:
                await session.execute(delete(IdempotencyRecord).where(*where))
            else:
                await session.execute(
                    update(IdempotencyRecord)
                    .where(*where)
                    .values(status_code=status, response_headers=headers, response_body=body)
                )
            await session.commit()


def _in_progress() -> Conflict:
    return Conflict(
        "A request with this Idempotency-Key is still being processed; retry shortly.",
        code="idempotency_request_in_progress",
    )


async def _read_body(
    receive: Receive, sink: Any, digest: Any, limit: int
) -> Literal["complete", "disconnected", "too_large"]:
    """Read the whole request body into ``sink``, refusing more than ``limit`` bytes."""
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return "disconnected"
        chunk = message.get("body", b"")
        if chunk:
            size += len(chunk)
            if size > limit:
                return "too_large"
            sink.write(chunk)
            digest.update(chunk)
        if not message.get("more_body", False):
            return "complete"


def _replaying_receive(body: Any, receive: Receive) -> Receive:
    done = False

    async def replay() -> Message:
        nonlocal done
        if done:
            return await receive()
        chunk = body.read(_CHUNK)
        more = bool(chunk) and body.tell() < _size(body)
        if not more:
            done = True
        return {"type": "http.request", "body": chunk, "more_body": more}

    return replay


def _size(body: Any) -> int:
    position = body.tell()
    body.seek(0, 2)
    end = int(body.tell())
    body.seek(position)
    return end


async def _replay(record: IdempotencyRecord, send: Send) -> None:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in record.response_headers or []]
    headers.append((b"idempotent-replayed", b"true"))
    await send({"type": "http.response.start", "status": record.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": record.response_body or b""})


async def _send_error(scope: Scope, receive: Receive, send: Send, error: AppError) -> None:
    await problem_response(error)(scope, receive, send)
