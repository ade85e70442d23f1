"""Images a request takes as input, held by reference: what a queued job carries instead of bytes.

A job waits in Redis, where image bytes do not belong (a waiting job stays under 2 KB). So a request
names each input image by an ``ImageRef``: the storage key of the prepared PNG (already resized,
letterboxed or masked as the request needs it, see ``novelai.images``), its SHA-256 and its size.
The worker reads the bytes once per attempt into an ``ImageInputs`` and hands them to the client,
which builds the body from them (``novelai.image_payload``). A retried or recovered job finds them
again under the same keys; the storage's retention removes them with the job's results.

Vibe transfer on V4/V4.5 sends encodings, not images: NovelAI's ``/ai/encode-vibe`` turns an image
into opaque bytes that depend on the image, the information extracted and the model. They are
cached by ``VibeKey`` so the same vibe is paid for once (``tasks.vibe_cache``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from pydantic import BaseModel, Field

SHA256_PATTERN = r"^[0-9a-f]{64}$"
# A storage key (``storage.base.validate_key`` checks the characters when it is used).
MAX_KEY_CHARS = 512

# How many vibes and references one request may carry. Vibes: NKDK allows 10, LLK 16; we follow
# NKDK's 10, the website's own limit (docs/novelai-api.md, "Vibe transfer").
MAX_VIBES = 10
MAX_REFERENCES = 6

ReferenceKind = Literal["character", "style", "character&style"]
REFERENCE_KINDS: tuple[ReferenceKind, ...] = ("character", "style", "character&style")


class ImageRef(BaseModel, frozen=True):
    """One prepared input image in storage: where it is, what it is, how big it is."""

    key: str = Field(min_length=1, max_length=MAX_KEY_CHARS)
    sha256: str = Field(pattern=SHA256_PATTERN)
    width: int = Field(ge=1, le=16_384)
    height: int = Field(ge=1, le=16_384)

    @property
    def pixels(self) -> int:
        return self.width * self.height


class VibeInput(BaseModel, frozen=True):
    """One vibe: an image whose style the generation follows (V3: the image; V4/V4.5: its encoding)."""

    image: ImageRef
    strength: float = Field(0.6, ge=0.0, le=1.0)
    information_extracted: float = Field(1.0, ge=0.0, le=1.0)


class ReferenceInput(BaseModel, frozen=True):
    """One precise reference (``director_reference_*``): the same character, style, or both.

    ``fidelity`` is sent as ``1 - fidelity`` in ``director_reference_secondary_strength_values``."""

    image: ImageRef
    kind: ReferenceKind = "character&style"
    strength: float = Field(1.0, ge=0.0, le=5.0)
    fidelity: float = Field(1.0, ge=0.0, le=1.0)


class VibeKey(NamedTuple):
    """What an encoding depends on: the image, the information extracted and the model."""

    sha256: str
    information_extracted: float
    model: str


@dataclass(frozen=True)
class ImageInputs:
    """The bytes behind a request's ``ImageRef``s for one attempt: prepared PNGs by SHA-256, and
    the vibe encodings (V4/V4.5) by ``VibeKey``."""

    images: dict[str, bytes] = field(default_factory=dict)
    vibe_encodings: dict[VibeKey, bytes] = field(default_factory=dict)

    def image(self, ref: ImageRef) -> bytes:
        try:
            return self.images[ref.sha256]
        except KeyError:
            raise ValueError(f"the input image {ref.sha256[:12]}… was not loaded for this attempt") from None

    def encoding(self, key: VibeKey) -> bytes:
        try:
            return self.vibe_encodings[key]
        except KeyError:
            raise ValueError(f"the vibe encoding of {key.sha256[:12]}… was not loaded for this attempt") from None
