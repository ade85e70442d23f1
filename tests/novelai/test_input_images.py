"""Uploaded images: every refusal (with its stable code), EXIF orientation, metadata gone, transparency,
and the exact size of what each preparer makes."""

from __future__ import annotations

import hashlib
import io
import os
import struct
import zlib

import pytest
from PIL import Image, ImageCms

from novelai.errors import InvalidRequest
from novelai.images import (
    MASK_EMPTY,
    TOOL_MAX_PIXELS,
    VIBE_MAX_PIXELS,
    DecodedImage,
    InvalidImage,
    PreparedImage,
    enhance_size,
    prepare_img2img,
    prepare_mask,
    prepare_reference,
    prepare_tool_input,
    prepare_vibe,
    read_input,
    size_for_image,
)
from tests.fixtures.png_files import chunk, encoded, with_chunk

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 4_000_000
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def read(data: bytes, **kwargs: object) -> DecodedImage:
    limits: dict[str, object] = {"max_bytes": MAX_BYTES, "max_pixels": MAX_PIXELS, **kwargs}
    return read_input(data, **limits)  # type: ignore[arg-type]


def png_claiming(width: int, height: int) -> bytes:
    """A few hundred bytes whose header claims width×height grey pixels: a decompression bomb."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 65536, 9)
    return PNG_SIGNATURE + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def chunk_types(png: bytes) -> list[bytes]:
    types, pos = [], len(PNG_SIGNATURE)
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos:pos + 4])
        types.append(png[pos + 4:pos + 8])
        pos += 12 + length
    return types


def opened(prepared: PreparedImage) -> Image.Image:
    return Image.open(io.BytesIO(prepared.png))


def halves(width: int, height: int, left: tuple[int, ...], right: tuple[int, ...], mode: str = "RGB") -> Image.Image:
    image = Image.new(mode, (width, height), left)
    image.paste(right, (width // 2, 0, width, height))
    return image


def refusal(data: bytes, **kwargs: object) -> InvalidImage:
    with pytest.raises(InvalidImage) as caught:
        read(data, **kwargs)
    return caught.value


# ---- refusals ------------------------------------------------------------------------------------

def test_a_truncated_png_is_refused_not_padded() -> None:
    whole = encoded(Image.effect_noise((300, 300), 64).convert("RGB"))
    assert refusal(whole[: len(whole) // 2]).code == "image_corrupt"


def test_a_corrupt_jpeg_is_refused() -> None:
    whole = encoded(Image.effect_noise((300, 300), 64).convert("RGB"), "JPEG")
    assert refusal(whole[:200]).code == "image_corrupt"


def test_a_decompression_bomb_is_refused_from_its_header_before_decoding() -> None:
    error = refusal(png_claiming(30_000, 30_000))
    assert error.code == "image_too_many_pixels"
    assert error.problems[0].params == {"width": 30_000, "height": 30_000, "max_pixels": MAX_PIXELS}


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize("side", [12_000, 20_000])  # above Pillow's limit (it warns), above twice it (it raises)
def test_pillows_bomb_guard_stays_on_above_a_generous_pixel_setting(side: int) -> None:
    assert refusal(png_claiming(side, side), max_pixels=10**10).code == "image_bomb"


def test_a_50_mb_upload_is_refused_by_its_size_alone() -> None:
    error = refusal(PNG_SIGNATURE + bytes(50 * 1024 * 1024))
    assert error.code == "image_too_large"
    assert "50 MiB" in str(error) and "10 MiB" in str(error)


def test_a_gif_is_refused_by_name() -> None:
    error = refusal(encoded(Image.new("P", (8, 8)), "GIF"))
    assert error.code == "image_format" and "GIF" in str(error)


def test_a_text_file_named_png_is_not_an_image() -> None:
    assert refusal(b"hello, I am a text file called cat.png\n").code == "image_not_an_image"


def test_an_empty_upload_is_refused() -> None:
    assert refusal(b"").code == "image_empty"


def test_too_many_pixels_are_refused() -> None:
    error = refusal(encoded(Image.new("RGB", (2100, 2000))))
    assert error.code == "image_too_many_pixels"


def test_a_refusal_is_a_refused_request_about_the_image() -> None:
    error = refusal(b"GIF89a")
    assert isinstance(error, InvalidRequest)
    assert [(p.field, p.code) for p in error.problems] == [("image", "image_format")]


# ---- what read_input gives -----------------------------------------------------------------------

def test_exif_orientation_is_applied() -> None:
    """Orientation 6 (rotate 90° clockwise to display): a wide file shot upright becomes tall."""
    stored = halves(40, 20, (255, 0, 0), (0, 0, 255))
    exif = Image.Exif()
    exif[0x0112] = 6
    image = read(encoded(stored, "JPEG", exif=exif.tobytes(), quality=95)).image

    assert image.size == (20, 40)
    top, bottom = image.getpixel((10, 5)), image.getpixel((10, 35))
    assert top[0] > 200 > top[2] and bottom[2] > 200 > bottom[0], "left half on top after the turn"


def test_exif_icc_and_text_are_gone_from_every_prepared_image() -> None:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make
    exif[0x8825] = {2: (48.0, 51.0, 0.0)}  # GPS latitude
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    upload = encoded(Image.new("RGB", (640, 480), (200, 220, 240)), "PNG", exif=exif.tobytes(), icc_profile=icc,
                     pnginfo=_text_info({"Comment": "{}", "Author": "me"}))
    decoded = read(upload)

    assert decoded.image.info == {}
    for prepared in (prepare_img2img(decoded, 512, 512), prepare_mask(decoded, 512, 512),
                     prepare_reference(decoded, "v4.5"), prepare_vibe(decoded, "v4.5"), prepare_tool_input(decoded)):
        assert set(chunk_types(prepared.png)) <= {b"IHDR", b"IDAT", b"IEND"}


def _text_info(texts: dict[str, str]) -> object:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    for key, value in texts.items():
        info.add_text(key, value)
    return info


def test_novelai_text_chunks_are_kept_aside_only_when_asked() -> None:
    upload = encoded(Image.new("RGB", (64, 64)), "PNG",
                     pnginfo=_text_info({"Software": "NovelAI", "Comment": '{"seed": 3}', "Author": "me"}))

    assert read(upload).novelai_text == {}
    assert read(upload, keep_novelai_text=True).novelai_text == {"Software": "NovelAI", "Comment": '{"seed": 3}'}


def test_webp_is_read() -> None:
    decoded = read(encoded(Image.new("RGB", (96, 64), (1, 2, 3)), "WEBP", lossless=True))
    assert (decoded.source_format, decoded.image.size, decoded.image.getpixel((5, 5))) == ("WEBP", (96, 64), (1, 2, 3))


def test_transparency_is_kept_until_a_preparer_flattens_it() -> None:
    decoded = read(encoded(Image.new("RGBA", (64, 64), (255, 0, 0, 0))))
    assert decoded.has_alpha
    assert opened(prepare_img2img(decoded, 64, 64)).getpixel((5, 5)) == (255, 255, 255), "img2img: on white"
    assert opened(prepare_reference(decoded, "v4.5")).getpixel((5, 5)) == (0, 0, 0), "reference: on black"


def test_a_palette_with_a_transparent_colour_counts_as_transparent() -> None:
    palette = Image.new("P", (16, 16), 0)
    palette.putpalette([255, 0, 0, 0, 255, 0])
    assert read(encoded(palette, transparency=0)).has_alpha


def test_a_16_bit_greyscale_png_keeps_its_brightness() -> None:
    grey = Image.new("I;16", (16, 16), 32768)
    assert read(encoded(grey)).image.getpixel((1, 1)) == (127, 127, 127)


# ---- preparers -----------------------------------------------------------------------------------

def test_img2img_is_exactly_the_asked_size_cropped_not_stretched() -> None:
    # A wide upload: red band on the far left, which the centre crop to a tall size trims away.
    upload = Image.new("RGB", (3000, 1000), (0, 0, 255))
    upload.paste((255, 0, 0), (0, 0, 300, 1000))
    prepared = prepare_img2img(read(encoded(upload)), 832, 1216)
    image = opened(prepared)

    assert (prepared.width, prepared.height, image.size, image.mode) == (832, 1216, (832, 1216), "RGB")
    assert image.getpixel((0, 600)) == (0, 0, 255)
    assert prepared.sha256 == hashlib.sha256(prepared.png).hexdigest()


def test_a_mask_is_binary_greyscale_on_the_8_pixel_grid_at_the_image_size() -> None:
    mask = Image.new("L", (1000, 1000), 0)
    mask.paste(200, (500, 500, 503, 503))  # a 3-pixel dab, light grey
    image = opened(prepare_mask(read(encoded(mask)), 512, 512))

    assert (image.mode, image.size) == ("L", (512, 512))
    assert set(image.tobytes()) == {0, 255}
    left, top, right, bottom = image.getbbox()  # type: ignore[misc]
    assert left % 8 == top % 8 == right % 8 == bottom % 8 == 0, "whole 8×8 cells, as NovelAI's latent"


def test_a_mask_binarises_at_half_grey() -> None:
    faint = Image.new("L", (64, 64), 100)
    with pytest.raises(InvalidImage) as caught:
        prepare_mask(read(encoded(faint)), 64, 64)
    assert caught.value.code == MASK_EMPTY


def test_a_mask_drawn_on_a_transparent_layer_repaints_the_strokes() -> None:
    layer = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    layer.paste((255, 255, 255, 255), (0, 0, 16, 64))
    assert opened(prepare_mask(read(encoded(layer)), 64, 64)).getbbox() == (0, 0, 16, 64)


@pytest.mark.parametrize(("model", "size", "bucket"), [
    ("v4.5", (600, 1000), (1024, 1536)),
    ("v4.5-curated", (1000, 600), (1536, 1024)),
    ("v4.5", (1000, 900), (1472, 1472)),
    ("v5", (600, 1000), (832, 1216)),
    ("v5-curated", (1000, 600), (1216, 832)),
    ("v5", (900, 1000), (1024, 1024)),
])
def test_a_reference_is_letterboxed_into_its_familys_bucket(model: str, size: tuple[int, int],
                                                            bucket: tuple[int, int]) -> None:
    image = opened(prepare_reference(read(encoded(Image.new("RGB", size, (250, 250, 250)))), model))
    assert image.size == bucket
    assert image.getpixel((0, 0)) in {(0, 0, 0), (250, 250, 250)}


def test_a_reference_of_another_aspect_gets_black_bars() -> None:
    image = opened(prepare_reference(read(encoded(Image.new("RGB", (1000, 300), (250, 250, 250)))), "v4.5"))
    assert image.size == (1536, 1024)
    assert image.getpixel((768, 5)) == (0, 0, 0) and image.getpixel((768, 512)) == (250, 250, 250)


def test_a_v3_vibe_is_448_square_and_a_v45_vibe_keeps_its_shape_within_the_bound() -> None:
    decoded = read(encoded(Image.new("RGB", (1800, 1200))))

    assert (prepare_vibe(decoded, "v3").width, prepare_vibe(decoded, "v3").height) == (448, 448)
    v45 = prepare_vibe(decoded, "v4.5")
    assert v45.width * v45.height <= VIBE_MAX_PIXELS and abs(v45.width / v45.height - 1.5) < 0.01
    small = prepare_vibe(read(encoded(Image.new("RGB", (300, 200)))), "v4.5")
    assert (small.width, small.height) == (300, 200)


def test_a_v5_vibe_is_refused() -> None:
    with pytest.raises(InvalidRequest) as caught:
        prepare_vibe(read(encoded(Image.new("RGB", (64, 64)))), "v5")
    assert caught.value.problems[0].code == "vibes_unsupported"


def test_a_tool_input_keeps_its_size_or_shrinks_to_the_tools_limit() -> None:
    small = prepare_tool_input(read(encoded(Image.new("RGB", (700, 500)))))
    large = prepare_tool_input(read(encoded(Image.new("RGB", (2000, 1900)))), max_pixels=1_048_576)

    assert (small.width, small.height) == (700, 500)
    assert large.width * large.height <= 1_048_576 < 2000 * 1900
    assert TOOL_MAX_PIXELS == 3_145_728


@pytest.mark.parametrize(("size", "factor", "expected"), [
    ((832, 1216), 1.5, (1280, 1856)),
    ((832, 1216), 1.0, (832, 1216)),
    ((1024, 1024), 1.5, (1536, 1536)),
    ((1472, 1472), 1.5, (1728, 1728)),  # 2208² is past 3,145,728 px: shrunk, multiples of 64
    ((1088, 1920), 1.5, (1152, 2048)),  # 2880 is past the 2048 side limit
])
def test_enhance_size(size: tuple[int, int], factor: float, expected: tuple[int, int]) -> None:
    width, height = enhance_size(*size, factor)
    assert (width, height) == expected
    assert width % 64 == height % 64 == 0 and width * height <= 3_145_728 and max(width, height) <= 2048


def test_size_for_image_keeps_the_aspect_within_one_megapixel() -> None:
    width, height = size_for_image(4000, 3000)
    assert width * height <= 1024 * 1024 and width % 64 == height % 64 == 0
    assert abs(width / height - 4 / 3) < 0.05


def test_the_images_settings_bound_uploads_by_default_and_refuse_a_useless_bound() -> None:
    from naibot.settings import Settings, SettingsError, load_settings

    assert (Settings().images.max_input_bytes, Settings().images.max_input_pixels) == (10 * 1024 * 1024, 4096 * 4096)
    with pytest.raises(SettingsError, match="NAIBOT_IMAGES__MAX_INPUT_PIXELS"):
        load_settings(os.devnull, env={"NAIBOT_IMAGES__MAX_INPUT_PIXELS": str(10**10)})


def test_a_png_whose_text_inflates_past_the_bound_is_refused_as_too_much_text() -> None:
    bomb = with_chunk(encoded(Image.new("RGB", (32, 32))), b"zTXt",
                      b"Comment\x00\x00" + zlib.compress(b"a" * (50 * 1024 * 1024)))
    assert refusal(bomb).code == "image_text_too_large"


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def swapped_primaries_profile() -> bytes:
    """A minimal ICC v2 RGB profile whose red and blue primaries are sRGB's blue and red (D50 colorants)."""
    def xyz(x: float, y: float, z: float) -> bytes:
        return b"XYZ " + bytes(4) + _s15(x) + _s15(y) + _s15(z)

    curve = b"curv" + bytes(4) + struct.pack(">IH", 1, 0x0233) + bytes(2)  # gamma 2.2 as u8Fixed8
    text = b"swapped\x00"
    desc = b"desc" + bytes(4) + struct.pack(">I", len(text)) + text + bytes(8) + bytes(3) + bytes(67)
    tags = [(b"desc", desc), (b"wtpt", xyz(0.9642, 1.0, 0.8249)), (b"rXYZ", xyz(0.1431, 0.0606, 0.7141)),
            (b"gXYZ", xyz(0.3851, 0.7169, 0.0971)), (b"bXYZ", xyz(0.4361, 0.2225, 0.0139)),
            (b"rTRC", curve), (b"gTRC", curve), (b"bTRC", curve)]
    offset = 128 + 4 + 12 * len(tags)
    table, data = b"", b""
    for signature, body in tags:
        body += bytes(-len(body) % 4)
        table += signature + struct.pack(">II", offset + len(data), len(body))
        data += body
    header = (struct.pack(">I", offset + len(data)) + bytes(4) + struct.pack(">I", 0x02100000) + b"mntrRGB XYZ "
              + bytes(12) + b"acsp" + bytes(28) + _s15(0.9642) + _s15(1.0) + _s15(0.8249) + bytes(48))
    return header + struct.pack(">I", len(tags)) + table + data


def test_colours_of_another_profile_are_converted_to_srgb() -> None:
    """What the file calls red is, by its profile, sRGB's blue: NovelAI gets the colour the person saw."""
    upload = encoded(Image.new("RGB", (8, 8), (255, 0, 0)), icc_profile=swapped_primaries_profile())
    red, green, blue = read(upload).image.getpixel((1, 1))  # type: ignore[misc]
    assert blue > 200 and red < 60 and green < 60


def test_an_srgb_profile_leaves_the_pixels_as_they_are() -> None:
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    assert read(encoded(Image.new("RGB", (8, 8), (200, 100, 50)), icc_profile=icc)).image.getpixel((1, 1)) == (
        200, 100, 50)
