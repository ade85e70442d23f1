"""Images the NovelAI stand-in is given: base64 fields decoded under bounds, what it saw recorded, and the
colour a result takes from its input so a test can tell which input image a result came from.

NovelAI takes images as base64 strings inside the JSON body (docs/novelai-2026.md §4: "base64 PNG, no
``data:`` prefix"). The stand-in is stricter than proven on one point, on purpose: it decodes only PNG,
because the bot prepares every input as a PNG before sending it (issue 16 plan, "the bytes live in
storage"), so a JPEG reaching the stand-in is a client that skipped preparation. Everything is bounded
before it is parsed: the base64 text by length, the image by its header's dimensions, then decoded.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import struct
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any

from PIL import Image

from sandbox.novelai.state import Refusal

# 32 MiB of image bytes (43 MiB of base64): far above any input the website sends (3,145,728 px PNGs are
# ~10 MB), low enough that a runaway client cannot make the stand-in hold gigabytes.
MAX_INPUT_BYTES = 32 * 1024 * 1024
MAX_BASE64_CHARS = (MAX_INPUT_BYTES + 2) // 3 * 4
# Decoded pixels: 4096 × 4096 covers every tool's input and a 1/1 mask; above it the stand-in refuses before
# decoding (Pillow's own bomb guard would only warn until 2× its 89 MP default).
MAX_INPUT_PIXELS = 4096 * 4096
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
KEEP_INPUT_RECORDS = 100


@dataclass(frozen=True)
class DecodedInput:
    """One image field as the stand-in read it: the raw bytes' sha256 and size, the decoded dimensions."""

    name: str
    sha256: str
    bytes: int
    width: int
    height: int
    mode: str
    image: Image.Image = field(repr=False, compare=False)

    def summary(self) -> dict[str, Any]:
        return {"field": self.name, "kind": "image", "sha256": self.sha256, "bytes": self.bytes,
                "width": self.width, "height": self.height, "mode": self.mode}


def decode_base64(value: Any, name: str, *, status: int = 400) -> bytes:
    """The bytes of a base64 field; refused (``status``) when it is not a bounded, valid base64 string."""
    if not isinstance(value, str) or not value:
        raise Refusal(status, f"{name} must be a base64 string")
    if len(value) > MAX_BASE64_CHARS:
        raise Refusal(413, f"{name} is larger than {MAX_INPUT_BYTES} bytes")
    if value.startswith("data:"):
        raise Refusal(status, f"{name} must be bare base64, without a data: prefix")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Refusal(status, f"{name} is not valid base64") from exc


def open_png(data: bytes, name: str, *, status: int = 400) -> DecodedInput:
    """Decode PNG bytes: the header's size is checked before the pixels are read."""
    if not data.startswith(PNG_MAGIC) or data[12:16] != b"IHDR" or len(data) < 24:
        raise Refusal(status, f"{name} is not a PNG image")
    width, height = struct.unpack(">II", data[16:24])  # the header's size, before Pillow reads anything
    if width * height > MAX_INPUT_PIXELS:
        raise Refusal(400, f"{name} is {width}x{height}, above {MAX_INPUT_PIXELS} pixels")
    try:
        image = Image.open(io.BytesIO(data), formats=["PNG"])
        image.load()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise Refusal(status, f"{name} could not be decoded as an image") from exc
    return DecodedInput(name, hashlib.sha256(data).hexdigest(), len(data), width, height, image.mode, image)


def decode_image(value: Any, name: str, *, status: int = 400) -> DecodedInput:
    """A base64 PNG field, decoded and bounded; ``status`` for a field that is not one (400 unless the real
    service is known to fail otherwise, e.g. a raw image where a V4 vibe encoding belongs: 500)."""
    return open_png(decode_base64(value, name, status=status), name, status=status)


def require_size(image: DecodedInput, width: int, height: int, what: str) -> None:
    """NovelAI does not resize inputs: the image must be exactly the request's size (NKDK, LLK resize_image)."""
    if (image.width, image.height) != (width, height):
        raise Refusal(400, f"{image.name} is {image.width}x{image.height} but {what} is {width}x{height}")


def marker_colour(sha256: str, salt: str = "") -> tuple[int, int, int]:
    """The colour of the frame around a result made from an input with this sha256 (and, for tools, this
    ``req_type``): tests compare a result's top-left pixel with it to know which input produced it."""
    digest = hashlib.sha256(f"{sha256}\0{salt}".encode()).digest() if salt else bytes.fromhex(sha256)
    return digest[0], digest[1], digest[2]


def result_colour(png: bytes) -> tuple[int, int, int]:
    """The top-left pixel of a result PNG, as RGB: for tests, to compare with :func:`marker_colour`."""
    with Image.open(io.BytesIO(png)) as image:
        red, green, blue = image.convert("RGB").getpixel((0, 0))  # type: ignore[misc]
    return int(red), int(green), int(blue)


@dataclass
class InputRecord:
    """What one NovelAI request carried: its endpoint, outcome and decoded inputs (no pixels kept)."""

    path: str
    account: str | None = None
    model: str | None = None
    action: str | None = None
    status: int = 0
    inputs: list[dict[str, Any]] = field(default_factory=list)

    def add(self, summary: dict[str, Any]) -> None:
        self.inputs.append(summary)


class InputLog:
    """The last requests that carried images, newest last (``GET /_sandbox/inputs``)."""

    def __init__(self) -> None:
        self.records: deque[InputRecord] = deque(maxlen=KEEP_INPUT_RECORDS)

    def append(self, record: InputRecord) -> None:
        self.records.append(record)

    def last(self, count: int | None = None) -> list[dict[str, Any]]:
        records = list(self.records)
        if count is not None:
            records = records[-count:] if count > 0 else []
        return [asdict(record) for record in records]

    def clear(self) -> None:
        self.records.clear()
