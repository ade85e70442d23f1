"""NovelAI access-key derivation, exactly as NovelAI's web client does it.

The web client never sends the password: it derives a 64-character "access key" from the
email and password with Argon2id (salt = BLAKE2b of a pre-salt) and logs in with that key.
We do the same on the server side so a user's password is used once, in memory, and then
dropped; only the access key is kept to renew tokens later (see docs/novelai-api.md §2).
"""

from __future__ import annotations

import base64
import hashlib

from argon2.low_level import Type, hash_secret_raw

_ACCESS_KEY_DOMAIN = "novelai_data_access_key"
# 2,000,000 bytes as the web client asks libsodium for; libsodium floors to whole KiB.
_MEMORY_KIB = 2_000_000 // 1024
_TIME_COST = 2
_PARALLELISM = 1
_HASH_LEN = 64


def normalize_email(email: str) -> str:
    """Emails are case-insensitive at NovelAI's login, so derive from the trimmed, lower-cased form."""
    return email.strip().lower()


def js_prefix(text: str, units: int) -> str:
    """``text.slice(0, units)`` as JavaScript does it: in UTF-16 code units, not code points.

    An emoji (outside the BMP) counts as two units, and a slice may end between the two halves: the
    lone half then becomes U+FFFD when the string is encoded to UTF-8, as ``TextEncoder`` (which
    libsodium-wrappers uses for strings) and Node's ``Buffer.from`` both do (docs/novelai-api.md §10.2).
    """
    return text.encode("utf-16-le", "surrogatepass")[: 2 * units].decode("utf-16-le", "replace")


def pre_salt(email: str, password: str) -> bytes:
    """The bytes BLAKE2b hashes into the salt: the website's ``password.slice(0, 6) + email + domain``."""
    return f"{js_prefix(password, 6)}{email}{_ACCESS_KEY_DOMAIN}".encode()


def derive_access_key(email: str, password: str, *, normalize: bool = True) -> str:
    """Return the 64-character URL-safe access key NovelAI expects at ``POST /user/login``.

    ``normalize=False`` derives from the email exactly as given (trimmed only by the caller): the key
    of an account whose key was made from a mixed-case email (see ``novelai.accounts``).
    Argon2id costs about 10 ms and 2 MB per call, so callers derive once and keep the key.
    """
    if normalize:
        email = normalize_email(email)
    salt = hashlib.blake2b(pre_salt(email, password), digest_size=16).digest()
    raw = hash_secret_raw(
        secret=password.encode("utf-8"),
        salt=salt,
        time_cost=_TIME_COST,
        memory_cost=_MEMORY_KIB,
        parallelism=_PARALLELISM,
        hash_len=_HASH_LEN,
        type=Type.ID,
    )
    return base64.urlsafe_b64encode(raw).decode("ascii")[:64]
