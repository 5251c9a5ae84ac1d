"""Passwords (argon2 via passlib), access JWTs (python-jose) and opaque secrets."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from typing import Any, Literal

from jose import JWTError, jwt
from passlib.context import CryptContext

from practice_api.core.time import utcnow

PrincipalKind = Literal["staff", "contact"]


class PasswordHasher:
    def __init__(self, rounds: int | None = None) -> None:
        options: dict[str, Any] = {"schemes": ["argon2"], "deprecated": "auto"}
        if rounds is not None:
            # Lower costs are for tests only; unset keeps argon2's own parameters.
            options.update(argon2__rounds=rounds, argon2__memory_cost=1024, argon2__parallelism=1)
        self._context = CryptContext(**options)
        # Verifying against this keeps unknown-user logins as slow as wrong passwords.
        self._dummy = self._context.hash(secrets.token_urlsafe(16))

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


class InvalidToken(Exception):
    pass


class TokenCodec:
    """Issues and checks access JWTs. Only the configured algorithm is ever accepted."""

    def __init__(self, key: str, algorithm: str, ttl_seconds: int) -> None:
        self._key = key
        self._algorithm = algorithm
        self.ttl_seconds = ttl_seconds

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
