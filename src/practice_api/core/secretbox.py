"""Secrets the API must read back (webhook signing secrets), encrypted at rest.

Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``) with a key derived from the
secret key by HKDF-SHA256 under a purpose label, so the JWT signing key is never used
as an encryption key directly. Stored values read ``fernet:<token>``.

Rotating ``PRACTICE_SECRET_KEY``: put the old key in ``PRACTICE_PREVIOUS_SECRET_KEYS``
(a JSON list) and the new one in ``PRACTICE_SECRET_KEY``; everything still decrypts
(MultiFernet tries each key), and ``practice-api reencrypt-secrets`` re-encrypts what
is stored with the new key; then drop the old key from the list.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "fernet:"
_PURPOSE = b"practice-api/webhook-secrets/v1"


def derive_fernet(secret_key: str) -> Fernet:
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_PURPOSE).derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(raw))


class SecretBox:
    def __init__(self, secret_key: str, previous_keys: Sequence[str] = ()) -> None:
        self._fernet = MultiFernet([derive_fernet(k) for k in (secret_key, *previous_keys)])

    def seal(self, plain: str) -> str:
        return PREFIX + self._fernet.encrypt(plain.encode()).decode()

    def open(self, stored: str) -> str:
        """The plain secret; a value from before encryption (no prefix) is returned as is."""
        if not stored.startswith(PREFIX):
            return stored
        try:
            return self._fernet.decrypt(stored[len(PREFIX) :].encode()).decode()
        except InvalidToken as exc:
            raise ValueError(
                "a stored secret does not decrypt with PRACTICE_SECRET_KEY or "
                "PRACTICE_PREVIOUS_SECRET_KEYS"
            ) from exc

    def reseal(self, stored: str) -> str:
        """``stored`` encrypted with the current key (for key rotation and migration)."""
        return self.seal(self.open(stored))
