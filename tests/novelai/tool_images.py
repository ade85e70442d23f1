"""Input images and ``ImageRef``s for the upscale and Director Tools tests (helper D)."""

from __future__ import annotations

import hashlib
import io
import zipfile

from PIL import Image

from novelai.inputs import ImageRef


def png_of(width: int, height: int, colour: tuple[int, int, int] = (200, 120, 40)) -> bytes:
    """A solid PNG of this size: small however large it is, so big sizes stay cheap to test."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "PNG")
    return out.getvalue()


def ref_of(png: bytes, width: int, height: int) -> ImageRef:
    """The reference a job would carry for these bytes (the storage key does not matter here)."""
    sha = hashlib.sha256(png).hexdigest()
    return ImageRef(key=f"2026/12/05/job/input-{sha[:12]}.png", sha256=sha, width=width, height=height)


def sized_ref(width: int, height: int) -> ImageRef:
    """A reference to an image of this size whose bytes are never read (rules and prices)."""
    return ImageRef(key="2026/12/05/job/input.png", sha256="0" * 64, width=width, height=height)


def zip_of(*pngs: bytes, names: list[str] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for i, png in enumerate(pngs):
            archive.writestr((names or [])[i] if names else f"image_{i}.png", png)
    return out.getvalue()
