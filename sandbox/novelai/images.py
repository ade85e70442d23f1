"""Fake but well-formed NovelAI images: deterministic PNGs with NovelAI's text chunks, tiny JPEG
previews for the stream, and the ZIP wrapper of ``/ai/generate-image`` (docs/novelai-api.md §5).

Images are a background plus a few shapes. Like NovelAI's they are RGBA PNGs carrying the metadata
twice: in text chunks, and as the "stealth" copy in the alpha channel's low bits that the official
reader (``NovelAI/novelai-image-metadata`` ``nai_meta.py``) finds (§5.2, §10.3). Each PNG is cached
per request and seed, so benchmarks measure our code, not Pillow's.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import io
import json
import zipfile
from typing import Any

from PIL import Image, ImageDraw, ImageEnhance
from PIL.PngImagePlugin import PngInfo

from sandbox.novelai.validation import Generation

# PNG `Source` labels, from the ones LLK's PROMOTION table maps back to model ids.
SOURCE_LABELS = {
    "safe-diffusion": "Stable Diffusion 1D44365E",
    "nai-diffusion": "Stable Diffusion 81274D13",
    "nai-diffusion-furry": "Stable Diffusion 4CC42576",
    "nai-diffusion-2": "Stable Diffusion 49BFAF6A",
    "nai-diffusion-3": "Stable Diffusion XL C1E1DE52",
    "nai-diffusion-furry-3": "Stable Diffusion XL 9CC2F394",
    "nai-diffusion-4-curated-preview": "NovelAI Diffusion V4 7ABFFA2A",
    "nai-diffusion-4-full": "NovelAI Diffusion V4 37442FCA",
    "nai-diffusion-4-5-curated": "NovelAI Diffusion V4.5 5AB81C7C",
    "nai-diffusion-4-5-full": "NovelAI Diffusion V4.5 B9F340FD",
    "nai-diffusion-5-full": "NovelAI Diffusion V5 0ADF9AB7",
    "nai-diffusion-5-curated": "NovelAI Diffusion V5 0ADF9AB7",
    "nai-diffusion-5-full-medium": "NovelAI Diffusion V5 0ADF9AB7",
}
_INPAINTING_BASE = {
    "furry-diffusion-inpainting": "nai-diffusion-furry",
    "nai-diffusion-4-curated-inpainting": "nai-diffusion-4-curated-preview",
}
PREVIEW_WIDTH = 64
_SHAPES = 4
# The official writer's magic (META ``nai_meta_writer.py``); a 32-bit big-endian *bit* count follows.
STEALTH_MAGIC = b"stealth_pngcomp"
IMAGE_COMMENT_KEYS = ("strength", "noise", "extra_noise_seed", "color_correct", "add_original_image",
                      "inpaintImg2ImgStrength")


def source_label(model: str) -> str:
    base = _INPAINTING_BASE.get(model, model.removesuffix("-inpainting"))
    return SOURCE_LABELS[base]


def _scene_digest(generation: Generation, seed: int) -> bytes:
    """The scene of a request and seed; input images (img2img, vibes, references) change it too."""
    inputs = "".join(f"\0{sha}" for sha in generation.inputs)
    text = f"{generation.model}\0{seed}\0{generation.prompt}{inputs}"
    return hashlib.blake2b(text.encode(), digest_size=64).digest()


def _frame_colour(generation: Generation) -> tuple[int, int, int] | None:
    """A result made from inputs is framed in its primary input's colour (``image_inputs.marker_colour``),
    so a test reads which input it came from at pixel (0, 0)."""
    if not generation.inputs:
        return None
    digest = bytes.fromhex(generation.inputs[0])
    return digest[0], digest[1], digest[2]


def _draw_scene(digest: bytes, width: int, height: int, frame: tuple[int, int, int] | None = None) -> Image.Image:
    """Shapes are placed in proportion to the size, so a preview looks like its final image."""
    image = Image.new("P", (width, height), 0)
    image.putpalette(digest[: 3 * (_SHAPES + 1)] + bytes(frame or ()))
    draw = ImageDraw.Draw(image)
    for shape in range(_SHAPES):
        x, y, w, h = digest[16 + 4 * shape: 20 + 4 * shape]
        box = (x * width // 256, y * height // 256,
               (x + w // 2 + 16) * width // 256, (y + h // 2 + 16) * height // 256)
        (draw.ellipse if shape % 2 else draw.rectangle)(box, fill=shape + 1)
    if frame is not None:
        draw.rectangle((0, 0, width - 1, height - 1), outline=_SHAPES + 1, width=max(1, min(width, height) // 64))
    return image


def stealth_payload(text: tuple[tuple[str, str], ...]) -> bytes:
    """What the official writer hides: magic, bit length, then gzip'd JSON of the text chunks without
    the static ``Title`` (META ``serialize_metadata``). ``mtime=0`` keeps equal requests' bytes equal."""
    data = gzip.compress(json.dumps({key: value for key, value in text if key != "Title"}).encode("utf-8"),
                         mtime=0)
    return STEALTH_MAGIC + (len(data) * 8).to_bytes(4, "big") + data


def _stealth_alpha(payload: bytes, width: int, height: int) -> Image.Image:
    """The alpha channel as META ``LSBInjector.finalize`` leaves it: 0xFF everywhere, 0xFE | bit for
    the payload's bits, most significant first, filled column by column (down each column, then right)."""
    alpha = bytearray(b"\xff") * (width * height)
    if len(payload) * 8 > len(alpha):
        raise ValueError(f"{width}×{height} pixels cannot hold {len(payload)} bytes of metadata")
    for index, byte in enumerate(payload):
        for bit in range(8):
            position = index * 8 + bit
            alpha[(position % height) * width + position // height] = 0xFE | ((byte >> (7 - bit)) & 1)
    return Image.frombytes("L", (width, height), bytes(alpha))


@functools.lru_cache(maxsize=256)
def _encode_png(digest: bytes, width: int, height: int, text: tuple[tuple[str, str], ...],
                frame: tuple[int, int, int] | None = None) -> bytes:
    info = PngInfo()
    for key, value in text:
        info.add_text(key, value)
    image = _draw_scene(digest, width, height, frame).convert("RGBA")
    image.putalpha(_stealth_alpha(stealth_payload(text), width, height))
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=1, pnginfo=info)
    return out.getvalue()


def comment_json(generation: Generation, seed: int | None) -> str:
    """The ``Comment`` chunk: the parameters as NovelAI records them; ``seed`` only if the client chose it."""
    params = generation.parameters
    comment: dict[str, Any] = {
        "prompt": generation.prompt,
        "steps": generation.steps,
        "height": generation.height,
        "width": generation.width,
        "scale": generation.scale,
        "uncond_scale": params.get("uncond_scale", 1.0),
        "cfg_rescale": params.get("cfg_rescale", 0.0),
        "n_samples": generation.n_samples,
        "noise_schedule": params.get("noise_schedule", "karras"),
        "sampler": generation.sampler,
        "sm": generation.sm,
        "sm_dyn": generation.sm_dyn,
        "uc": generation.negative_prompt,
        "request_type": generation.request_type,
    }
    if seed is not None:
        comment["seed"] = seed
    if generation.action != "generate":  # NovelAI records the img2img settings of an Img2ImgRequest
        comment.update({key: params[key] for key in IMAGE_COMMENT_KEYS if key in params})
    for key in ("v4_prompt", "v4_negative_prompt"):
        if key in params:
            comment[key] = params[key]
    return json.dumps(comment, ensure_ascii=False)


def _generation_time(generation: Generation) -> str:
    """A plausible, reproducible duration (the real one is wall-clock and would break byte equality)."""
    megapixels = generation.width * generation.height / 1_000_000
    return f"{0.5 + 0.06 * generation.steps * megapixels:.3f}"


def render_png(generation: Generation, seed: int, *, record_seed: bool = True) -> bytes:
    """The PNG of one sample: same request and seed, same bytes."""
    text = (
        ("Title", "AI generated image"),
        ("Description", generation.prompt),
        ("Software", "NovelAI"),
        ("Source", source_label(generation.model)),
        ("Generation time", _generation_time(generation)),
        ("Comment", comment_json(generation, seed if record_seed else None)),
    )
    digest = _scene_digest(generation, seed)
    return _encode_png(digest, generation.width, generation.height, text, _frame_colour(generation))


def render_preview(generation: Generation, seed: int, step: int) -> bytes:
    """A small JPEG that brightens towards the final image as the steps advance."""
    height = max(1, round(PREVIEW_WIDTH * generation.height / generation.width))
    digest = _scene_digest(generation, seed)
    image = _draw_scene(digest, PREVIEW_WIDTH, height, _frame_colour(generation)).convert("RGB")
    image = ImageEnhance.Brightness(image).enhance((step + 1) / generation.steps)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=60)
    return out.getvalue()


def zip_images(pngs: list[bytes]) -> bytes:
    """The body of ``/ai/generate-image``: ``image_0.png`` … in a DEFLATE ZIP."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for index, png in enumerate(pngs):
            info = zipfile.ZipInfo(f"image_{index}.png", date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, png, compresslevel=1)
    return out.getvalue()
