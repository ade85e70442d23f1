"""The storage contract every backend honours, and the key rules that keep keys safe everywhere.

Keys are validated here, once, with the same rules for every backend, so a key that is safe for
S3 is also safe as a file path and as a URL path (``/static/images/<key>``) without any quoting.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

MAX_KEY_LENGTH = 512
# NAME_MAX of every common file system: a longer segment would be valid for S3 but fail locally,
# and a key must mean the same thing to every backend.
MAX_SEGMENT_LENGTH = 255
# ASCII only, no "%": keys are never URL-decoded here. The HTTP layer decodes a request path once
# and hands the result to validate_key, so "%2e%2e" arrives either as ".." (refused as a segment)
# or, double-encoded, as "%2e%2e" (refused for its "%"); neither can reach outside the store.
_BAD_CHAR = re.compile(r"[^A-Za-z0-9._/-]")


@dataclass(frozen=True)
class StoredObject:
    key: str
    url: str
    size: int
    content_type: str


class StorageError(Exception):
    """The backend is unreachable or refused a read or write; the job may be retried."""


class InvalidKey(StorageError, ValueError):
    """A key that could escape the store or is malformed: a bug or an attack, never retried."""


@runtime_checkable
class Storage(Protocol):
    """Sync on purpose: the minio package is sync; async callers use asyncio.to_thread."""

    def put(self, key: str, data: bytes, content_type: str = "image/png") -> StoredObject: ...

    def get(self, key: str) -> bytes:
        """The stored bytes; ``KeyError`` if there is no object under ``key``."""
        ...

    def url(self, key: str) -> str: ...

    def delete(self, key: str) -> None:
        """Remove the object; deleting an absent key is fine, so retries are harmless."""
        ...

    def exists(self, key: str) -> bool: ...


def validate_key(key: str) -> str:
    """Return ``key`` unchanged if it is a safe relative object key, else raise ``InvalidKey``.

    Allowed: segments of ``[A-Za-z0-9._-]`` (at most 255 characters each) joined by single ``/``,
    at most 512 characters in all.
    Refused: empty, absolute, ``.``/``..`` or empty segments, and any other character (backslash,
    NUL, control characters, ``%``, spaces, non-ASCII), so no platform can read a key as a path
    that leaves the store.
    """
    if not isinstance(key, str) or not key:
        raise InvalidKey(f"storage key must be a non-empty string, got {key!r}")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidKey(f"storage key is longer than {MAX_KEY_LENGTH} characters")
    if key.startswith("/"):
        raise InvalidKey(f"storage key must be relative: {key!r}")
    bad = _BAD_CHAR.search(key)
    if bad:
        raise InvalidKey(f"storage key contains a forbidden character {bad.group()!r}: {key!r}")
    for segment in key.split("/"):
        if segment in {"", ".", ".."}:
            raise InvalidKey(f"storage key has an empty, '.' or '..' segment: {key!r}")
        if len(segment) > MAX_SEGMENT_LENGTH:
            raise InvalidKey(f"storage key has a segment longer than {MAX_SEGMENT_LENGTH} characters")
    return key


def image_key(job_id: str, index: int, when: datetime | None = None) -> str:
    """``YYYY/MM/DD/<job id>/<n>.png`` (UTC date of ``when``, default now).

    Date folders keep directories small and make age-based cleanup a matter of deleting folders.
    A naive ``when`` is taken to be UTC already, never local time, so every process agrees.
    """
    if "/" in job_id:
        raise InvalidKey(f"job id must be a single key segment: {job_id!r}")
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise InvalidKey(f"image index must be a non-negative integer, got {index!r}")
    moment = when or datetime.now(UTC)
    day = moment.astimezone(UTC) if moment.tzinfo is not None else moment
    return validate_key(f"{day:%Y/%m/%d}/{job_id}/{index}.png")
