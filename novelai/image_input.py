"""Reading an image a person hands us, bounded before it is parsed (``novelai.images`` re-exports this).

An upload is hostile until proven otherwise: it may be 50 MB, a GIF, a text file named ``.png``, a PNG
cut short, or a few hundred bytes that claim 100,000×100,000 pixels (a decompression bomb). So the
checks run cheapest first, and each one spends no more than the previous one allowed:

1. the byte count (``max_bytes``), before anything looks inside;
2. the format, by its magic bytes (PNG, JPEG, WebP only; a file's name says nothing);
3. the pixel count, from the header Pillow reads without decoding (``max_pixels``; a PNG's from its
   IHDR before Pillow opens it), with Pillow's own bomb guard (``Image.MAX_IMAGE_PIXELS``, refused from
   the limit itself, not only from twice it where Pillow raises) as a second line;
4. only then the decode, which must read the whole file (a truncated file is refused, never padded grey).

What comes out is pixels and nothing else: EXIF orientation applied (a phone photo stands the way it
was shot), ICC colours converted to sRGB where Pillow can, and every piece of metadata dropped (EXIF
with its GPS position, ICC, text chunks, XMP), because the prepared image is sent to NovelAI and stored.
NovelAI's own text chunks are kept only when the caller asks (``keep_novelai_text``), for reading them.

Each refusal is an ``InvalidImage``: an ``InvalidRequest`` (so every front end shows it like any refused
request) whose one ``Problem`` has a stable ``code`` (``IMAGE_CODES``) for the chat's translations.
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass, field

from PIL import Image, ImageFile, ImageOps

from novelai.errors import InvalidRequest, NovelAIError, Problem
from novelai.limits import DEFAULT_LIMITS, Limits, size_text
from novelai.response import read_png_info

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"
# The formats an upload may be in, as Pillow names them.
ACCEPTED_FORMATS = ("PNG", "JPEG", "WEBP")
# The PNG text keys NovelAI writes (docs/novelai-api.md §5.2; ``novelai-2026.md`` §4.7).
NOVELAI_TEXT_KEYS = ("Title", "Description", "Software", "Source", "Generation time", "Comment")

# Stable codes of the refusals (``Problem.code``; the chat's texts are ``problem.<code>``).
IMAGE_EMPTY = "image_empty"
IMAGE_TOO_LARGE = "image_too_large"
IMAGE_FORMAT = "image_format"
IMAGE_NOT_AN_IMAGE = "image_not_an_image"
IMAGE_TOO_MANY_PIXELS = "image_too_many_pixels"
IMAGE_BOMB = "image_bomb"
IMAGE_CORRUPT = "image_corrupt"
IMAGE_TEXT_TOO_LARGE = "image_text_too_large"
IMAGE_CODES = (IMAGE_EMPTY, IMAGE_TOO_LARGE, IMAGE_FORMAT, IMAGE_NOT_AN_IMAGE, IMAGE_TOO_MANY_PIXELS, IMAGE_BOMB,
               IMAGE_CORRUPT, IMAGE_TEXT_TOO_LARGE)
# Pillow's words when a PNG's text chunks pass its bounds (``PngImagePlugin.MAX_TEXT_CHUNK``/``MAX_TEXT_MEMORY``).
_PILLOW_TEXT_LIMITS = ("Decompressed data too large", "Too much memory used in text chunks")

# Formats people send that we name in the refusal instead of "not an image".
_OTHER_FORMATS: tuple[tuple[bytes, str], ...] = (
    (b"GIF87a", "GIF"), (b"GIF89a", "GIF"), (b"BM", "BMP"), (b"II*\x00", "TIFF"), (b"MM\x00*", "TIFF"),
    (b"\x00\x00\x01\x00", "ICO"), (b"8BPS", "PSD"), (b"%PDF", "PDF"),
)
# HEIC/AVIF: an ISO box ``ftyp`` at offset 4 with one of these brands.
_ISO_BRANDS = {b"heic": "HEIC", b"heix": "HEIC", b"mif1": "HEIF", b"avif": "AVIF", b"avis": "AVIF"}


class InvalidImage(InvalidRequest):
    """An input image we refuse to read; ``code`` says which rule (one of ``IMAGE_CODES``)."""

    def __init__(self, code: str, message: str, **params: object) -> None:
        super().__init__(Problem("image", message, code=code, params=dict(params)))

    @property
    def code(self) -> str:
        return self.problems[0].code


@dataclass
class DecodedImage:
    """An upload's pixels, upright, without metadata: mode ``RGB``, or ``RGBA`` when it had transparency.

    ``source_format`` is what it was (PNG, JPEG, WEBP); ``novelai_text`` holds NovelAI's own PNG text
    chunks when ``read_input`` was asked to keep them (empty otherwise, and for other files)."""

    image: Image.Image
    source_format: str
    novelai_text: dict[str, str] = field(default_factory=dict)

    @property
    def width(self) -> int:
        return self.image.width

    @property
    def height(self) -> int:
        return self.image.height

    @property
    def has_alpha(self) -> bool:
        return self.image.mode == "RGBA"


def sniff_format(data: bytes) -> str:
    """PNG, JPEG or WEBP from the first bytes, else ``InvalidImage`` naming what it is, if we can tell."""
    if data.startswith(PNG_MAGIC):
        return "PNG"
    if data.startswith(JPEG_MAGIC):
        return "JPEG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    other = next((name for magic, name in _OTHER_FORMATS if data.startswith(magic)), None)
    if other is None and data[4:8] == b"ftyp":
        other = _ISO_BRANDS.get(data[8:12])
    if other is not None:
        raise InvalidImage(IMAGE_FORMAT, f"this is a {other} file; send a PNG, JPEG or WebP image",
                           format=other, choices=ACCEPTED_FORMATS)
    raise InvalidImage(IMAGE_NOT_AN_IMAGE, "this file is not an image; send a PNG, JPEG or WebP image",
                       choices=ACCEPTED_FORMATS)


def check_size(data: bytes, max_bytes: int) -> None:
    """Refuse an empty upload or one above ``max_bytes`` before anything reads it."""
    if not data:
        raise InvalidImage(IMAGE_EMPTY, "the file is empty; send a PNG, JPEG or WebP image")
    if len(data) > max_bytes:
        raise InvalidImage(IMAGE_TOO_LARGE, f"the image is {size_text(len(data))}, larger than the "
                                            f"{size_text(max_bytes)} this bot accepts; send a smaller file",
                           size=size_text(len(data)), limit=size_text(max_bytes))


def _check_pixels(width: int, height: int, max_pixels: int) -> None:
    if width * height > max_pixels:
        raise InvalidImage(IMAGE_TOO_MANY_PIXELS,
                           f"the image is {width}×{height} pixels, more than the {max_pixels:,} this bot accepts; "
                           f"send a smaller one", width=width, height=height, max_pixels=max_pixels)


def text_too_large() -> InvalidImage:
    return InvalidImage(IMAGE_TEXT_TOO_LARGE, "this PNG carries more text (metadata) than this bot reads; "
                                              "save the picture again without it")


def _unreadable(fmt: str, exc: Exception) -> InvalidImage:
    """A text-chunk bound Pillow enforced, or a damaged file."""
    if isinstance(exc, ValueError) and any(words in str(exc) for words in _PILLOW_TEXT_LIMITS):
        return text_too_large()
    return corrupt(fmt)


def corrupt(fmt: str) -> InvalidImage:
    return InvalidImage(IMAGE_CORRUPT, f"this {fmt} file is damaged or cut short and cannot be read; send it again",
                        format=fmt)


def _bomb() -> InvalidImage:
    return InvalidImage(IMAGE_BOMB, "this image would decompress to far more pixels than it claims to hold; "
                                    "it was refused unread")


def open_header(data: bytes, fmt: str, max_pixels: int) -> Image.Image:
    """Open (header only) with Pillow's bomb guard on, and check the pixel count before decoding.

    A PNG's size is read from its IHDR first, so a bomb is refused by our own bound (which names
    the size) before Pillow sees it; Pillow's guard remains for what gets past (a JPEG or WebP far
    above ``Image.MAX_IMAGE_PIXELS``, or a ``max_pixels`` set above it)."""
    if fmt == "PNG" and data[12:16] == b"IHDR":
        _check_pixels(int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big"), max_pixels)
    try:
        image = Image.open(io.BytesIO(data), formats=[fmt])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):  # the warning, where made an error
        raise _bomb() from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError) as exc:
        raise _unreadable(fmt, exc) from exc
    _check_pixels(image.width, image.height, max_pixels)
    # Pillow only warns between MAX_IMAGE_PIXELS and twice that; we refuse (compared here rather than
    # with warnings.catch_warnings, which is process-wide and not safe in the threads uploads run in).
    pillow_limit = Image.MAX_IMAGE_PIXELS
    if pillow_limit is not None and image.width * image.height > pillow_limit:
        raise _bomb()
    return image


def decode_pixels(image: Image.Image, fmt: str) -> Image.Image:
    """All the pixels of the first frame, or ``corrupt``: a truncated file is never padded."""
    if ImageFile.LOAD_TRUNCATED_IMAGES:  # a process-wide Pillow switch: never read a cut file as whole
        ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        image.load()
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, MemoryError) as exc:
        raise _unreadable(fmt, exc) from exc
    return image


def _to_srgb(image: Image.Image) -> Image.Image:
    """Colours in sRGB when the file carries another ICC profile (a phone's Display P3 photo); as is
    when Pillow cannot convert it (no littlecms, a broken profile): colours a little off beat a refusal."""
    profile = image.info.get("icc_profile")
    if not profile or image.mode not in ("RGB", "RGBA"):
        return image
    try:
        from PIL import ImageCms

        source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        if "srgb" in ImageCms.getProfileDescription(source).lower().replace(" ", ""):
            return image  # already sRGB: no conversion, no copy
        converted = ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"),
                                              outputMode=image.mode)
    except Exception:  # any failure of an optional colour conversion keeps the pixels
        return image
    return converted if converted is not None else image


def _normal_mode(image: Image.Image) -> Image.Image:
    """RGB, or RGBA when the image has any transparency (alpha channel or a transparent colour)."""
    if image.mode == "I" or image.mode.startswith("I;16"):
        # 16-bit greyscale: Pillow's convert("L") clips at 255, so scale to 8 bits first.
        image = image.convert("I").point(lambda value: value * (1 / 257)).convert("L")
    elif image.mode == "F":
        image = image.point(lambda value: value * 255).convert("L")
    transparent = image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info
    wanted = "RGBA" if transparent else "RGB"
    return image if image.mode == wanted else image.convert(wanted)


def upload_limits(max_bytes: int, max_pixels: int) -> Limits:
    """The bounds ``read_png_info`` reads an upload's text chunks within: the upload's own size and
    pixel bounds, the client's text bounds."""
    return Limits(max_image_bytes=max_bytes, max_image_pixels=max_pixels,
                  max_text_chunk_bytes=DEFAULT_LIMITS.max_text_chunk_bytes,
                  max_text_bytes=DEFAULT_LIMITS.max_text_bytes)


def _novelai_text(data: bytes, max_bytes: int, max_pixels: int) -> dict[str, str]:
    """NovelAI's PNG text chunks (``novelai.response.read_png_info``, within this upload's bounds)."""
    try:
        _width, _height, texts = read_png_info(data, upload_limits(max_bytes, max_pixels))
    except NovelAIError:
        return {}
    return {key: value for key, value in texts.items() if key in NOVELAI_TEXT_KEYS}


def read_input(data: bytes, *, max_bytes: int, max_pixels: int, keep_novelai_text: bool = False) -> DecodedImage:
    """An uploaded PNG/JPEG/WebP as upright RGB(A) pixels without metadata, or ``InvalidImage``.

    Bounded before parsing: bytes, then format by magic, then pixels by header, then the decode
    (see the module docstring). ``keep_novelai_text`` keeps NovelAI's PNG text chunks aside.
    """
    check_size(data, max_bytes)
    fmt = sniff_format(data)
    image = decode_pixels(open_header(data, fmt, max_pixels), fmt)
    # In place: no second copy of the pixels. Unreadable EXIF: the pixels as stored are still the picture.
    with contextlib.suppress(OSError, SyntaxError, ValueError, KeyError, TypeError):
        ImageOps.exif_transpose(image, in_place=True)
    _check_pixels(image.width, image.height, max_pixels)
    image = _normal_mode(_to_srgb(image))
    image.info = {}  # nothing of the file's metadata goes further (EXIF, ICC, text, XMP, dpi)
    text = _novelai_text(data, max_bytes, max_pixels) if keep_novelai_text and fmt == "PNG" else {}
    return DecodedImage(image=image, source_format=fmt, novelai_text=text)
