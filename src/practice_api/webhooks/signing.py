"""Webhook signatures: the recipe receivers follow to verify a delivery.

``Practice-Signature: t=<unix seconds>,id=<delivery id>,v1=<hex>[,v1=<hex>]`` where each
``v1`` is ``HMAC-SHA256(secret, f"{t}.{raw body}")`` in lower-case hex (two while a rotated
secret is in its grace period). Receivers recompute it over the raw body, compare in
constant time, reject timestamps older than a few minutes (replays) and drop a delivery
id they already processed (retries are at-least-once).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid

SIGNATURE_HEADER = "Practice-Signature"
DELIVERY_HEADER = "Practice-Delivery-Id"
EVENT_HEADER = "Practice-Event-Type"
SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(
    secrets_: list[str], timestamp: int, delivery_id: uuid.UUID, body: bytes
) -> str:
    parts = [f"t={timestamp}", f"id={delivery_id}"]
    parts += [f"v1={sign(secret, timestamp, body)}" for secret in secrets_]
    return ",".join(parts)


def verify(
    secret: str,
    header: str,
    body: bytes,
    *,
    tolerance_seconds: int = 300,
    now: float | None = None,
) -> bool:
    """The receiver's side of the recipe (used by the tests; copy it into integrations)."""
    fields: dict[str, list[str]] = {}
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        fields.setdefault(key, []).append(value)
    try:
        timestamp = int(fields["t"][0])
    except (KeyError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - timestamp) > tolerance_seconds:
        return False
    expected = sign(secret, timestamp, body)
    return any(hmac.compare_digest(expected, given) for given in fields.get("v1", []))
