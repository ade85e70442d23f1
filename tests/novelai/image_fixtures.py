"""Input images for the image-request tests: references and the bytes behind them.

The payload never looks inside the bytes (the images were prepared at submission), so a short stand-in
byte string per image keeps the goldens readable; the client tests over the stand-in use real PNGs.
"""

from __future__ import annotations

import hashlib
import io

from PIL import Image

from novelai.inputs import ImageInputs, ImageRef, ReferenceInput, VibeInput, VibeKey


def ref(name: str, width: int = 832, height: int = 1216) -> ImageRef:
    """An ``ImageRef`` whose sha256 is that of ``image_bytes(name)``."""
    return ImageRef(key=f"2026/12/05/job/input-{name}.png", sha256=hashlib.sha256(image_bytes(name)).hexdigest(),
                    width=width, height=height)


def image_bytes(name: str) -> bytes:
    return f"png:{name}".encode()


def vibe(name: str, strength: float = 0.6, information_extracted: float = 1.0) -> VibeInput:
    return VibeInput(image=ref(name, 448, 448), strength=strength, information_extracted=information_extracted)


def reference(name: str, kind: str = "character&style", strength: float = 1.0,
              fidelity: float = 1.0) -> ReferenceInput:
    return ReferenceInput.model_validate({"image": ref(name, 1024, 1536), "kind": kind, "strength": strength,
                                          "fidelity": fidelity})


def inputs_for(*names: str, encodings: dict[VibeKey, bytes] | None = None) -> ImageInputs:
    return ImageInputs(images={ref(n).sha256: image_bytes(n) for n in names}, vibe_encodings=encodings or {})


def png(width: int, height: int, colour: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    """A real PNG of one colour, for calls that reach the stand-in."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


def png_ref(data: bytes, width: int, height: int) -> ImageRef:
    return ImageRef(key="2026/12/05/job/input.png", sha256=hashlib.sha256(data).hexdigest(), width=width,
                    height=height)
