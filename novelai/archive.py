"""Reading the ZIP of ``/ai/generate-image`` within ``Limits``: a ZIP bomb costs a bounded amount.

Three checks, each before the work it guards: the member count from the end-of-central-directory
record (before ``zipfile`` builds a ``ZipInfo`` per entry), the sizes the central directory
declares (before anything is inflated), and the bytes actually inflated, counted chunk by chunk
(so a member that inflates past what it declared is stopped at the bound too). Overlapping
members (CVE-2024-0450, unfixed in Python < 3.11.8) are covered by the member count and the
total size: each of them counts in full.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from novelai.errors import ArchiveTooLarge, ServerError
from novelai.limits import Limits, size_text

_EOCD = struct.Struct("<4s4H2LH")
_EOCD_SIGNATURE = b"PK\x05\x06"
_MAX_COMMENT = 0xFFFF
_READ_CHUNK = 1024 * 1024


def declared_members(body: bytes) -> int | None:
    """The entry count the end-of-central-directory record declares; None if there is none."""
    tail_start = max(0, len(body) - _EOCD.size - _MAX_COMMENT)
    at = body.rfind(_EOCD_SIGNATURE, tail_start)
    if at < 0 or at + _EOCD.size > len(body):
        return None
    entries: int = _EOCD.unpack_from(body, at)[4]
    return entries


def _too_many(count: int, limits: Limits) -> ArchiveTooLarge:
    return ArchiveTooLarge(f"NovelAI's ZIP has {count:,} members, more than {limits.max_zip_members}",
                           user_message=f"NovelAI's answer held more than the {limits.max_zip_members} "
                                        f"images this bot accepts")


def _too_big(what: str, limit: int) -> ArchiveTooLarge:
    return ArchiveTooLarge(f"NovelAI's ZIP: {what} inflates to more than {limit:,} bytes",
                           user_message=f"NovelAI's answer unpacks to more than the {size_text(limit)} "
                                        f"this bot accepts")


def read_zip_pngs(body: bytes, limits: Limits) -> list[bytes]:
    """The ``.png`` members of a ZIP in image order, each read within ``limits.max_image_bytes``."""
    declared = declared_members(body)
    if declared is not None and declared > limits.max_zip_members:
        raise _too_many(declared, limits)
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            infos = archive.infolist()
            if len(infos) > limits.max_zip_members:
                raise _too_many(len(infos), limits)
            pngs = sorted((i for i in infos if i.filename.lower().endswith(".png")),
                          key=lambda info: image_number(info.filename))
            total = 0
            for info in pngs:
                if info.file_size > limits.max_image_bytes:
                    raise _too_big(info.filename, limits.max_image_bytes)
                total += info.file_size
            if total > limits.max_response_bytes:
                raise _too_big("all images together", limits.max_response_bytes)
            return [_read_member(archive, info, limits.max_image_bytes) for info in pngs]
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
        raise ServerError(f"NovelAI sent a broken ZIP: {exc}") from exc


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """Inflate one member a chunk at a time, stopping at ``limit`` whatever its header said."""
    out = bytearray()
    with archive.open(info) as member:
        while chunk := member.read(_READ_CHUNK):
            if len(out) + len(chunk) > limit:
                raise _too_big(info.filename, limit)
            out.extend(chunk)
    return bytes(out)


def image_number(name: str) -> tuple[int, str]:
    """``image_10.png`` after ``image_9.png``: members sort by the number in their name."""
    digits = "".join(ch for ch in name.rsplit("/", 1)[-1] if ch.isdigit())
    return (int(digits) if digits else 0, name)
