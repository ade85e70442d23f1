"""Vibe encodings of the NovelAI stand-in: what ``POST /ai/encode-vibe`` returns and what a V4/V4.5
generation's ``reference_image_multiple`` must carry (docs/novelai-2026.md §4.2).

NovelAI answers encode-vibe with raw, opaque bytes that depend on the image, ``information_extracted``
and the model (CARU, NEKO, NKDK), and a V4/V4.5 generation takes them base64-encoded; a raw image there is
an opaque HTTP 500 (MOO). The stand-in's encoding is a magic header, the source image's sha256, the
information extracted, the model id and an HMAC over all of it, so only the stand-in can read one back
and a test can tell which image a vibe came from. The key is fixed (not per process): encodings a bot
cached stay valid across stand-in restarts, as NovelAI's do.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from dataclasses import dataclass
from typing import Any

from sandbox.novelai.state import Refusal
from sandbox.novelai.validation import MODEL_FAMILIES

MAGIC = b"NAI-SANDBOX-VIBE\x01"
_KEY = b"naibot sandbox vibe encodings"
_INFO = struct.Struct(">d")
_MAC_BYTES = 32
# Families whose vibes are encodings (V3 takes raw images; V5 has no vibe transfer: NKDK findings §12).
ENCODED_VIBE_FAMILIES = frozenset({"v4", "v4.5"})
# Encodings are per model (the website's .naiv4vibe files keep one per model); an inpainting model uses
# its base model's encodings.
_INPAINTING_BASE = {"nai-diffusion-4-curated-inpainting": "nai-diffusion-4-curated-preview"}


def encoding_model(model: str) -> str:
    """The model id an encoding for ``model`` was made with: the base id of an inpainting model."""
    return _INPAINTING_BASE.get(model, model.removesuffix("-inpainting"))


@dataclass(frozen=True)
class VibeEncoding:
    """What an encoding says about itself once its HMAC is checked."""

    image_sha256: str
    information_extracted: float
    model: str
    bytes: int

    def summary(self, field: str) -> dict[str, Any]:
        return {"field": field, "kind": "vibe_encoding", "sha256": self.image_sha256, "bytes": self.bytes,
                "information_extracted": self.information_extracted, "model": self.model}


def encode(image_sha256: str, information_extracted: float, model: str) -> bytes:
    body = MAGIC + bytes.fromhex(image_sha256) + _INFO.pack(information_extracted) + model.encode("ascii")
    return body + hmac.new(_KEY, body, hashlib.sha256).digest()


def read(data: bytes) -> VibeEncoding | None:
    """The encoding's contents, or None when these bytes are not an intact encoding of this stand-in."""
    fixed = len(MAGIC) + 32 + _INFO.size
    if not data.startswith(MAGIC) or len(data) < fixed + _MAC_BYTES + 1:
        return None
    body, mac = data[:-_MAC_BYTES], data[-_MAC_BYTES:]
    if not hmac.compare_digest(mac, hmac.new(_KEY, body, hashlib.sha256).digest()):
        return None
    sha = body[len(MAGIC): len(MAGIC) + 32].hex()
    (info,) = _INFO.unpack(body[len(MAGIC) + 32: fixed])
    try:
        model = body[fixed:].decode("ascii")
    except UnicodeDecodeError:
        return None
    return VibeEncoding(sha, info, model, len(data))


def read_for(data: bytes, model: str, name: str) -> VibeEncoding:
    """An encoding a generation on ``model`` can use; anything else fails as NovelAI does, with a 500."""
    encoding = read(data)
    if encoding is None:
        raise Refusal(500, "Internal Server Error")
    if encoding.model != encoding_model(model):
        # Not proven either way; the stand-in fails it loudly so a client caching by the wrong model shows.
        raise Refusal(500, f"Internal Server Error ({name} was encoded for {encoding.model})")
    return encoding


def check_encode_request(body: Any) -> tuple[Any, float, str]:
    """``{image, information_extracted, model}`` of ``/ai/encode-vibe``, checked (the image is decoded by the
    caller). AED's camelCase ``informationExtracted`` "does not seem to work": it is refused here."""
    if not isinstance(body, dict):
        raise Refusal(400, "the request body must be a JSON object")
    if "informationExtracted" in body:
        raise Refusal(400, "unknown field informationExtracted (the key is information_extracted)")
    model, info = body.get("model"), body.get("information_extracted", 1.0)
    if not isinstance(model, str) or MODEL_FAMILIES.get(model) not in ENCODED_VIBE_FAMILIES or model.endswith(
            "-inpainting"):
        raise Refusal(400, f"model {model!r} does not take vibe encodings")
    if isinstance(info, bool) or not isinstance(info, int | float) or not 0 <= info <= 1:
        raise Refusal(400, "information_extracted must be a number in 0..1")
    return body.get("image"), float(info), model
