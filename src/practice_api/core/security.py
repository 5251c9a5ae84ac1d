"""Passwords (argon2 via passlib), access JWTs (python-jose) and opaque secrets."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import hmac
import os
import secrets
import sys
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

from jose import JWTError, jwt
from passlib.context import CryptContext

from practice_api.core.time import utcnow

PrincipalKind = Literal["staff", "contact"]


# argon2's own memory cost (passlib's default, 64 MiB) and the share of the machine's
# memory that concurrent hashes may take.
ARGON2_MEMORY_KIB = 65536
_HASHING_MEMORY_SHARE = 0.25
# How much lower the hashing threads' scheduling priority is (Linux "nice", per thread):
# when the cores are busy, the event loop's thread runs first and hashes take the
# leftovers, so sign-ins wait longer under load instead of every other request stalling.
HASHING_NICE_INCREMENT = 10


def _lower_priority() -> None:
    """Pool thread initializer: lower this thread's (not the process's) priority."""
    if sys.platform != "linux":  # elsewhere PRIO_PROCESS would take the whole process
        return
    with contextlib.suppress(OSError, AttributeError):
        thread = threading.get_native_id()
        nice = os.getpriority(os.PRIO_PROCESS, thread)
        os.setpriority(os.PRIO_PROCESS, thread, min(19, nice + HASHING_NICE_INCREMENT))


def hashing_concurrency(memory_kib: int = ARGON2_MEMORY_KIB) -> int:
    """How many hashes may run at once: a quarter of the available memory, and one core
    left for the event loop (argon2 is CPU-bound; more threads only queue), at least one."""
    cores = max(1, (os.cpu_count() or 1) - 1)
    try:
        pages = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return min(cores, 2)
    by_memory = int(pages * _HASHING_MEMORY_SHARE) // (memory_kib * 1024)
    return max(1, min(cores, by_memory))


class PasswordHasher:
    """argon2 hashing. The ``a``-prefixed methods run it in a small thread pool so the event
    loop keeps serving while someone signs in; the pool's size is the limiter (each hash
    takes the memory cost, 64 MiB by default, for its duration)."""

    def __init__(self, rounds: int | None = None, *, concurrency: int | None = None) -> None:
        options: dict[str, Any] = {"schemes": ["argon2"], "deprecated": "auto"}
        memory_kib = ARGON2_MEMORY_KIB
        if rounds is not None:
            # Lower costs are for tests only; unset keeps argon2's own parameters.
            memory_kib = 1024
            options.update(
                argon2__rounds=rounds, argon2__memory_cost=memory_kib, argon2__parallelism=1
            )
        self._context = CryptContext(**options)
        # Verifying against this keeps unknown-user logins as slow as wrong passwords.
        self._dummy = self._context.hash(secrets.token_urlsafe(16))
        self.concurrency = concurrency or hashing_concurrency(memory_kib)
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        # Hashes running right now and the most seen at once (the limiter's test reads it).
        self.running = 0
        self.peak = 0

    def _executor(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    max_workers=self.concurrency,
                    thread_name_prefix="password-hash",
                    initializer=_lower_priority,
                )
            return self._pool

    def _counted(self, work: Callable[[], Any]) -> Any:
        with self._pool_lock:
            self.running += 1
            self.peak = max(self.peak, self.running)
        try:
            return work()
        finally:
            with self._pool_lock:
                self.running -= 1

    async def _off_loop(self, work: Callable[[], Any]) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor(), self._counted, work)

    async def ahash(self, password: str) -> str:
        """``hash`` in the hashing pool (never on the event loop)."""
        hashed: str = await self._off_loop(lambda: self.hash(password))
        return hashed

    async def averify(self, password: str, hashed: str | None) -> bool:
        """``verify`` in the hashing pool (never on the event loop)."""
        valid: bool = await self._off_loop(lambda: self.verify(password, hashed))
        return valid

    def close(self) -> None:
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False)

    def hash(self, password: str) -> str:
        return str(self._context.hash(password))

    def verify(self, password: str, hashed: str | None) -> bool:
        if hashed is None:
            self._context.verify(password, self._dummy)
            return False
        try:
            return bool(self._context.verify(password, hashed))
        except (ValueError, TypeError):
            return False


@dataclass(frozen=True)
class AccessClaims:
    subject: uuid.UUID
    kind: PrincipalKind
    firm_id: uuid.UUID
    session_id: uuid.UUID
    token_id: str
    expires_at: int = 0  # Unix time ("exp")


class InvalidToken(Exception):
    pass


class TokenCodec:
    """Issues and checks access JWTs. Only the configured algorithm is ever accepted."""

    # Checked tokens remembered (the same string always carries the same claims; expiry is
    # checked on every use): the caller limit and the principal both read the token.
    _REMEMBERED = 10_000

    def __init__(self, key: str, algorithm: str, ttl_seconds: int) -> None:
        self._key = key
        self._algorithm = algorithm
        self.ttl_seconds = ttl_seconds
        self._checked: dict[str, AccessClaims] = {}

    def issue(
        self, subject: uuid.UUID, kind: PrincipalKind, firm_id: uuid.UUID, session_id: uuid.UUID
    ) -> str:
        now = utcnow()
        claims = {
            "sub": str(subject),
            "typ": "access",
            "knd": kind,
            "fid": str(firm_id),
            "sid": str(session_id),
            "iat": int(now.timestamp()),
            "exp": int((now + dt.timedelta(seconds=self.ttl_seconds)).timestamp()),
            "jti": secrets.token_urlsafe(12),
        }
        return str(jwt.encode(claims, self._key, algorithm=self._algorithm))

    def decode(self, token: str) -> AccessClaims:
        claims = self._checked.get(token)
        if claims is not None:
            if claims.expires_at > time.time():  # the real clock, as the JWT check reads it
                return claims
            del self._checked[token]
            raise InvalidToken("expired")
        claims = self._decode(token)
        if len(self._checked) >= self._REMEMBERED:
            self._checked.clear()
        self._checked[token] = claims
        return claims

    def _decode(self, token: str) -> AccessClaims:
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") != self._algorithm:
                raise InvalidToken("unexpected algorithm")
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[self._algorithm],
                options={"require_exp": True, "require_iat": True, "require_sub": True},
            )
            if claims.get("typ") != "access" or claims.get("knd") not in ("staff", "contact"):
                raise InvalidToken("not an access token")
            return AccessClaims(
                subject=uuid.UUID(claims["sub"]),
                kind=claims["knd"],
                firm_id=uuid.UUID(claims["fid"]),
                session_id=uuid.UUID(claims["sid"]),
                token_id=str(claims["jti"]),
                expires_at=int(claims["exp"]),
            )
        except (JWTError, KeyError, ValueError, TypeError, AttributeError) as exc:
            raise InvalidToken(str(exc)) from exc


def new_secret() -> str:
    """A long random secret for refresh tokens, invitations, guest links and resets."""
    return secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    """Secrets are stored only as this hash (they carry 256 bits, so no salt is needed)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def secrets_match(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
