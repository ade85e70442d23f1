"""Uploaded files: photos (with Telegram's size checks and a couple of JPEG thumbnails) and documents.

Deviation, on purpose: the largest ``PhotoSize`` keeps the uploaded bytes unchanged, so tests can compare
them. Real Telegram re-encodes photos as JPEG (at most 2560 px a side), which drops PNG metadata; a bot
that must deliver NovelAI's metadata has to send documents, and only documents behave the same here."""

from __future__ import annotations

import io
import itertools
import mimetypes
import uuid
from dataclasses import dataclass
from typing import Any

from PIL import Image, UnidentifiedImageError

from sandbox.telegram.state import ApiError, StoredFile, bad_request
from sandbox.telegram.wire import Upload

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
THUMBNAIL_SIDES = (90, 320)
_OCTET = "application/octet-stream"
_MAGIC = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"GIF8", "image/gif"),
          (b"RIFF", "image/webp"), (b"PK\x03\x04", "application/zip"))


@dataclass(frozen=True)
class CheckedPhoto:
    """A photo upload checked against Telegram's rules, with its thumbnails: pure work on the bytes, so the
    stand-in can do it off its event loop (decoding and reducing a picture takes milliseconds, during which
    the loop would reach every other call late and the flood windows would see them bunched)."""

    width: int
    height: int
    thumbnails: list[tuple[bytes, int, int]]


def check_photo(data: bytes) -> CheckedPhoto:
    width, height = _checked_photo(data)
    return CheckedPhoto(width, height, _thumbnails(data, width, height))


class FileStore:
    """Files by id and by download path. Photos remember their whole size set, so re-sending any of
    their file ids (as Telegram allows) gives the same ``photo`` list back."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)
        self._files: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        self._photos: dict[str, list[dict[str, Any]]] = {}
        self._documents: dict[str, dict[str, Any]] = {}

    def clear(self) -> None:
        for table in (self._files, self._by_path, self._photos, self._documents):
            table.clear()

    def get(self, file_id: str) -> StoredFile:
        stored = self._files.get(file_id)
        if stored is None:
            raise bad_request("invalid file_id")
        return stored

    def by_path(self, file_path: str) -> StoredFile | None:
        return self._by_path.get(file_path)

    def add_photo(self, upload: Upload, checked: CheckedPhoto | None = None) -> list[dict[str, Any]]:
        """Store a photo and its sizes; ``checked``: ``check_photo`` of its bytes, done already."""
        checked = checked or check_photo(upload.data)
        sizes = [self._photo_size(data, w, h) for data, w, h in checked.thumbnails]
        sizes.append(self._photo_size(upload.data, checked.width, checked.height))
        for size in sizes:
            self._photos[size["file_id"]] = sizes
        return sizes

    def add_document(self, upload: Upload) -> dict[str, Any]:
        if len(upload.data) > MAX_UPLOAD_BYTES:
            raise ApiError(413, "Request Entity Too Large")
        stored = self._store(upload.data, "BQAC", "documents", _suffix(upload.filename))
        document = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                    "file_name": upload.filename, "mime_type": _mime_type(upload),
                    "file_size": len(upload.data)}
        self._documents[stored.file_id] = document
        return document

    def photo(self, file_id: str) -> list[dict[str, Any]]:
        """The size set of a photo sent earlier (a document's id is refused, as by Telegram)."""
        sizes = self._photos.get(file_id)
        if sizes is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        return sizes

    def document(self, file_id: str) -> dict[str, Any]:
        document = self._documents.get(file_id)
        if document is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        return document

    def _photo_size(self, data: bytes, width: int, height: int) -> dict[str, Any]:
        stored = self._store(data, "AgAC", "photos", ".png" if data.startswith(_MAGIC[0][0]) else ".jpg")
        return {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id, "width": width,
                "height": height, "file_size": len(data)}

    def _store(self, data: bytes, prefix: str, folder: str, suffix: str) -> StoredFile:
        number = next(self._counter)
        token = uuid.uuid4().hex
        stored = StoredFile(file_id=f"{prefix}AgADBAAD{number:06d}{token}", file_unique_id=f"AQAD{token[:12]}",
                            data=data, file_path=f"{folder}/file_{number}{suffix}")
        self._files[stored.file_id] = stored
        self._by_path[stored.file_path] = stored
        return stored


def _checked_photo(data: bytes) -> tuple[int, int]:
    """Telegram's sendPhoto rules: at most 10 MB, width + height ≤ 10000, aspect ratio ≤ 20."""
    if len(data) > MAX_PHOTO_BYTES:
        raise bad_request("PHOTO_SAVE_FILE_INVALID")
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
    except (UnidentifiedImageError, OSError) as exc:
        raise bad_request("IMAGE_PROCESS_FAILED") from exc
    if width + height > 10_000 or max(width, height) > 20 * min(width, height):
        raise bad_request("PHOTO_INVALID_DIMENSIONS")
    return width, height


def _thumbnails(data: bytes, width: int, height: int) -> list[tuple[bytes, int, int]]:
    """JPEG reductions for the sides smaller than the photo, like Telegram's "s" and "m" sizes."""
    sides = [side for side in THUMBNAIL_SIDES if side < max(width, height)]
    if not sides:
        return []
    with Image.open(io.BytesIO(data)) as image:
        rgb = image.convert("RGB")
    thumbnails = []
    for side in sides:
        copy = rgb.copy()
        copy.thumbnail((side, side))
        buffer = io.BytesIO()
        copy.save(buffer, format="JPEG", quality=80)
        thumbnails.append((buffer.getvalue(), copy.width, copy.height))
    return thumbnails


def _mime_type(upload: Upload) -> str:
    """The part's type if the client gave one, else what the bytes or the name say (PTB sends
    "application/octet-stream" for bytes without a file name)."""
    if upload.content_type and upload.content_type != _OCTET:
        return upload.content_type
    sniffed = next((mime for magic, mime in _MAGIC if upload.data.startswith(magic)), None)
    return sniffed or mimetypes.guess_type(upload.filename, strict=False)[0] or _OCTET


def _suffix(filename: str) -> str:
    name = filename.rsplit("/", 1)[-1]
    return "." + name.rsplit(".", 1)[1] if "." in name else ""
