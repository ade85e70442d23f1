"""Benchmark of input images (issue 16): time and peak memory to read and prepare a 3 MP upload.

For each upload (a 2048×1536 photo-like JPEG, the same as an RGBA PNG, and as a lossy WebP) and each
step (``read_input``, then each preparer on what it read, then ``read_metadata`` of a NovelAI-sized
PNG), in a fresh child process so one case's memory does not hide in another's:

- wall seconds, best of three;
- peak memory: the child's peak resident set (Linux ``VmHWM``, reset before the step) above what it
  held before it (Pillow allocates pixels outside Python's allocator, so ``tracemalloc`` would not
  see them), in MB, and in
  "copies": that growth over the size of one decoded RGBA copy of the image (12.6 MB at 3 MP).

The rule it checks by eye: never more than a couple of copies of a 3 MP image at once.
Run: ``.venv/bin/python bench/input_images.py``. Prints figures, asserts nothing.
"""
# ruff: noqa: E402 - the path fix below has to run before any import.

from __future__ import annotations

import sys

sys.path[0] = __file__.rsplit("/bench/", 1)[0]

import io
import multiprocessing
import time
from collections.abc import Callable

from PIL import Image, ImageDraw, ImageFilter

from novelai.images import (
    prepare_img2img,
    prepare_mask,
    prepare_reference,
    prepare_tool_input,
    prepare_vibe,
    read_input,
)
from novelai.metadata import read_metadata

WIDTH, HEIGHT = 2048, 1536
MAX_BYTES, MAX_PIXELS = 10 * 1024 * 1024, 16_777_216
RGBA_COPY_MB = WIDTH * HEIGHT * 4 / 1e6
REPEATS = 3


def photo_like() -> Image.Image:
    """Noise under shapes, blurred: compresses like a photo, not like a flat test card."""
    image = Image.merge("RGB", [Image.effect_noise((WIDTH, HEIGHT), sigma).convert("L") for sigma in (40, 60, 80)])
    draw = ImageDraw.Draw(image)
    for index in range(40):
        x, y = (index * 397) % WIDTH, (index * 613) % HEIGHT
        draw.ellipse((x, y, x + 300, y + 200), fill=(index * 6 % 256, 200 - index * 4, index * 3 % 256))
    return image.filter(ImageFilter.GaussianBlur(2))


def uploads() -> dict[str, bytes]:
    photo = photo_like()
    rgba = photo.convert("RGBA")
    rgba.putalpha(Image.linear_gradient("L").resize((WIDTH, HEIGHT)))
    out: dict[str, bytes] = {}
    for name, image, fmt, save in (("JPEG q90", photo, "JPEG", {"quality": 90}),
                                   ("PNG RGBA", rgba, "PNG", {"compress_level": 6}),
                                   ("WebP q90", photo, "WEBP", {"quality": 90})):
        buffer = io.BytesIO()
        image.save(buffer, fmt, **save)
        out[name] = buffer.getvalue()
    return out


def _status_mb(field: str) -> float:
    """VmRSS (now) or VmHWM (the peak since the last reset) of this process, in MB (Linux /proc)."""
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith(field + ":"))
    return int(line.split()[1]) * 1024 / 1e6


def _reset_peak() -> None:
    """Set VmHWM back to the current RSS (Linux 4.0+), so the peak is this step's alone."""
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")


def _steps(data: bytes) -> dict[str, Callable[[], object]]:
    def decoded() -> object:
        return read_input(data, max_bytes=MAX_BYTES, max_pixels=MAX_PIXELS)

    def then(prepare: Callable[[object], object]) -> Callable[[], object]:
        return lambda: prepare(decoded())

    return {
        "read_input": decoded,
        "+ img2img 832x1216": then(lambda d: prepare_img2img(d, 832, 1216)),  # type: ignore[arg-type]
        "+ mask 832x1216": then(lambda d: prepare_mask(d, 832, 1216)),  # type: ignore[arg-type]
        "+ reference v4.5": then(lambda d: prepare_reference(d, "v4.5")),  # type: ignore[arg-type]
        "+ vibe v4.5": then(lambda d: prepare_vibe(d, "v4.5")),  # type: ignore[arg-type]
        "+ tool input": then(lambda d: prepare_tool_input(d)),  # type: ignore[arg-type]
        "read_metadata": lambda: read_metadata(data, max_bytes=MAX_BYTES, max_pixels=MAX_PIXELS),
    }


def _measure(data: bytes, step: str, results: multiprocessing.Queue[tuple[float, float]]) -> None:
    run = _steps(data)[step]
    _reset_peak()
    before = _status_mb("VmRSS")
    best = float("inf")
    for _ in range(REPEATS):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    results.put((best, _status_mb("VmHWM") - before))


def measure(data: bytes, step: str) -> tuple[float, float]:
    context = multiprocessing.get_context("spawn")
    results: multiprocessing.Queue[tuple[float, float]] = context.Queue()
    child = context.Process(target=_measure, args=(data, step, results))
    child.start()
    figures = results.get()
    child.join()
    return figures


def main() -> None:
    print(f"3 MP input: {WIDTH}x{HEIGHT}; one decoded RGBA copy = {RGBA_COPY_MB:.1f} MB; best of {REPEATS}")
    print(f"{'upload':<10} {'bytes':>10}  {'step':<20} {'seconds':>8} {'peak MB':>8} {'copies':>7}")
    for name, data in uploads().items():
        for step in _steps(data):
            seconds, peak = measure(data, step)
            print(f"{name:<10} {len(data):>10,}  {step:<20} {seconds:>8.3f} {peak:>8.1f} {peak / RGBA_COPY_MB:>7.2f}")


if __name__ == "__main__":
    main()
