"""Encryption of secrets at rest (tokens, access keys) with a key derived from a passphrase.

AES-256-GCM with a fresh nonce per record, and the record's Redis key as associated data, so a
ciphertext copied to another account's slot does not decrypt there. The key is derived once
per process from ``NAIBOT_SECRET_KEY`` with scrypt: the passphrase is operator-chosen and may be
weaker than 256 random bits, so a slow KDF earns its few tens of milliseconds.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from typing import Any, TypeGuard

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

_FORMAT_VERSION = b"\x01"
_NONCE_BYTES = 12
# A fixed, public salt: the key must be the same in every process of a deployment, and the
# passphrase is what is secret. Changing this string invalidates every stored secret.
_KDF_SALT = b"naibot/secrets-at-rest/v1"


class SecretError(Exception):
    """A stored secret cannot be read: corrupt, truncated, or sealed under another key."""


def looks_sealed(blob: object) -> TypeGuard[bytes]:
    """True if ``blob`` has the shape of a sealed secret (version byte, nonce, tag), without a key.

    Lets a scan over all of Redis (``naibot rotate-key``) skip plain values cheaply. Redis answers
    bytes (our clients do not decode replies), so a ``str`` is never a sealed secret.
    """
    return isinstance(blob, bytes) and len(blob) >= 1 + _NONCE_BYTES + 16 and blob[:1] == _FORMAT_VERSION


@lru_cache(maxsize=4)
def _derive_key(passphrase: str) -> bytes:
    return Scrypt(salt=_KDF_SALT, length=32, n=2**14, r=8, p=1).derive(passphrase.encode("utf-8"))


class SecretBox:
    """Seal and open small secrets bound to a context string (the slot they are stored in)."""

    def __init__(self, passphrase: str) -> None:
        if not passphrase:
            raise ValueError("a secret-key passphrase is required to store secrets")
        self._aead = AESGCM(_derive_key(passphrase))

    def seal(self, plaintext: bytes, context: str) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return _FORMAT_VERSION + nonce + self._aead.encrypt(nonce, plaintext, context.encode("utf-8"))

    def open(self, blob: bytes | str, context: str) -> bytes:
        """``blob`` as Redis answered it; anything but a sealed secret raises ``SecretError``."""
        if not looks_sealed(blob):
            raise SecretError("not a sealed secret (wrong format or truncated)")
        nonce, body = blob[1 : 1 + _NONCE_BYTES], blob[1 + _NONCE_BYTES :]
        try:
            return self._aead.decrypt(nonce, body, context.encode("utf-8"))
        except InvalidTag:
            raise SecretError("secret does not decrypt (corrupt, moved, or another secret key)") from None

    def seal_json(self, value: Any, context: str) -> bytes:
        return self.seal(json.dumps(value, separators=(",", ":")).encode("utf-8"), context)

    def open_json(self, blob: bytes | str, context: str) -> Any:
        try:
            return json.loads(self.open(blob, context))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise SecretError("secret decrypts but is not valid JSON") from None
