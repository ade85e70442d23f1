"""Benchmark of a generation body with images in (issue 16): time and peak Python memory to build it.

An infill at the largest side NovelAI takes (1536×2048) with an incompressible 9 MB image, the worst a
prepared 3 MP PNG gets, and a small mask; ten V4.5 vibe encodings of 64 KB each. For each: the seconds
(best of five) and the peak of Python's allocator (``tracemalloc``: base64 and JSON are Python objects)
to build the body and serialise it as the client's httpx does, over the image's size.

Run: ``.venv/bin/python bench/image_payload.py``. Prints figures, asserts nothing.
"""
# ruff: noqa: E402 - the path fix below has to run before any import.

from __future__ import annotations

import sys

sys.path[0] = __file__.rsplit("/bench/", 1)[0]

import hashlib
import json
import os
import time
import tracemalloc

from novelai.image_payload import vibe_keys
from novelai.inputs import ImageInputs, ImageRef, VibeInput
from novelai.payload import build_payload
from novelai.request import GenerationRequest


def _ref(data: bytes, width: int, height: int) -> ImageRef:
    return ImageRef(key="bench", sha256=hashlib.sha256(data).hexdigest(), width=width, height=height)


def _measure(name: str, req: GenerationRequest, inputs: ImageInputs, carried: int) -> None:
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        json.dumps(build_payload(req, inputs=inputs))
        best = min(best, time.perf_counter() - started)
    tracemalloc.start()
    body = json.dumps(build_payload(req, inputs=inputs))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"{name:<28} {best * 1000:7.1f} ms   peak {peak / 1e6:6.1f} MB = {peak / carried:4.1f}× the "
          f"{carried / 1e6:.1f} MB carried   body {len(body) / 1e6:5.1f} MB")


def main() -> None:
    image, mask = os.urandom(9_000_000), os.urandom(20_000)
    image_ref, mask_ref = _ref(image, 1536, 2048), _ref(mask, 1536, 2048)
    infill = GenerationRequest(prompt="1girl, hat", width=1536, height=2048, image=image_ref, mask=mask_ref,
                               seed=1).resolved()
    _measure("infill 1536×2048, 9 MB", infill, ImageInputs(images={image_ref.sha256: image, mask_ref.sha256: mask}),
             len(image) + len(mask))
    vibes = [os.urandom(448 * 448) for _ in range(10)]
    vibed = GenerationRequest(prompt="1girl", seed=1, vibes=tuple(VibeInput(image=_ref(v, 448, 448)) for v in vibes)
                              ).resolved()
    encodings = {key: os.urandom(64 * 1024) for key in vibe_keys(vibed)}
    _measure("10 vibes, 64 KB encodings", vibed, ImageInputs(vibe_encodings=encodings), 10 * 64 * 1024)


if __name__ == "__main__":
    main()
