"""Encryption of secrets at rest (tokens, access keys) with a key derived from a passphrase.

AES-256-GCM with a fresh nonce per record, and the record's Redis key as associated data, so a
ciphertext copied to another account's slot does not decrypt there. The key is derived once
per process from ``NAIBOT_SECRET_KEY`` with scrypt: the passphrase is operator-chosen and may be
weaker than 256 random bits, so a slow KDF earns its few tens of milliseconds.

Two record formats, told apart by their first byte:

- ``\x02`` (what every process seals): the key is derived with the deployment's own random salt
  (``naibot.deployment_salt``), so a dictionary of derived keys does not carry over from one
  deployment's Redis dump to another's.
- ``\x01`` (the first version's): derived with one fixed, public salt. Still opened, so records
  stored before the salt existed keep working; ``naibot rotate-key`` re-seals them as ``\x02``
  (``--keep-key`` to do only that). Not migrated on start: that would be a scan of all of Redis and
  a write per record in every process at every start, racing each other, with no operator asking.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from functools import lru_cache
from typing import Any, TypeGuard

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

_LEGACY_VERSION = b"\x01"
_SALTED_VERSION = b"\x02"
_NONCE_BYTES = 12
# The first version's fixed, public salt, for opening (and sealing, in a box given no salt)
# records in the ``\x01`` format. Changing this string would make them unreadable.
_KDF_SALT = b"naibot/secrets-at-rest/v1"
log = logging.getLogger("naibot.secrets")


class SecretError(Exception):
    """A stored secret cannot be read: corrupt, truncated, or sealed under another key."""


def looks_sealed(blob: object) -> TypeGuard[bytes]:
    """True if ``blob`` has the shape of a sealed secret (version byte, nonce, tag), without a key.

    Lets a scan over all of Redis (``naibot rotate-key``) skip plain values cheaply. Redis answers
    bytes (our clients do not decode replies), so a ``str`` is never a sealed secret.
    """
    return (isinstance(blob, bytes) and len(blob) >= 1 + _NONCE_BYTES + 16
            and blob[:1] in (_LEGACY_VERSION, _SALTED_VERSION))


@lru_cache(maxsize=8)
def _derive_key(passphrase: str, salt: bytes = _KDF_SALT) -> bytes:
    return Scrypt(salt=salt, length=32, n=2**14, r=8, p=1).derive(passphrase.encode("utf-8"))


class SecretBox:
    """Seal and open small secrets bound to a context string (the slot they are stored in).

    ``salt``: the deployment's salt, or a function that fetches it on first use (every process
    passes ``naibot.deployment_salt.salt_loader``). Without one the box reads and writes only the
    first version's fixed-salt format: for tests, benchmarks and tools that seed old records.
    """

    _warned_legacy = False

    def __init__(self, passphrase: str, salt: bytes | Callable[[], bytes] | None = None) -> None:
        if not passphrase:
            raise ValueError("a secret-key passphrase is required to store secrets")
        self._passphrase = passphrase
        self._salt = salt
        self._aeads: dict[bytes, AESGCM] = {}

    def _aead(self, version: bytes) -> AESGCM:
        if version not in self._aeads:
            if version == _LEGACY_VERSION:
                key = _derive_key(self._passphrase)
            else:
                if self._salt is None:
                    raise SecretError("sealed under the deployment's salt, and this box was given none")
                key = _derive_key(self._passphrase, self._salt if isinstance(self._salt, bytes) else self._salt())
            self._aeads[version] = AESGCM(key)
        return self._aeads[version]

    @property
    def _version(self) -> bytes:
        return _LEGACY_VERSION if self._salt is None else _SALTED_VERSION

    def needs_reseal(self, blob: bytes) -> bool:
        """True if ``blob`` is not in the format this box seals (an old fixed-salt record)."""
        return blob[:1] != self._version

    def seal(self, plaintext: bytes, context: str) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        aead = self._aead(self._version)
        return self._version + nonce + aead.encrypt(nonce, plaintext, context.encode("utf-8"))

    def open(self, blob: bytes | str, context: str) -> bytes:
        """``blob`` as Redis answered it; anything but a sealed secret raises ``SecretError``."""
        if not looks_sealed(blob):
            raise SecretError("not a sealed secret (wrong format or truncated)")
        version, nonce, body = blob[:1], blob[1 : 1 + _NONCE_BYTES], blob[1 + _NONCE_BYTES :]
        try:
            plaintext = self._aead(version).decrypt(nonce, body, context.encode("utf-8"))
        except InvalidTag:
            raise SecretError("secret does not decrypt (corrupt, moved, or another secret key)") from None
        if version != self._version and not SecretBox._warned_legacy:
            SecretBox._warned_legacy = True
            log.warning("stored secrets are still sealed under the old fixed-salt key derivation (e.g. %s); "
                        "run `naibot rotate-key --keep-key` to re-seal them under this deployment's salt", context)
        return plaintext

    def seal_json(self, value: Any, context: str) -> bytes:
        return self.seal(json.dumps(value, separators=(",", ":")).encode("utf-8"), context)

    def open_json(self, blob: bytes | str, context: str) -> Any:
        try:
            return json.loads(self.open(blob, context))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise SecretError("secret decrypts but is not valid JSON") from None
