"""Calling NovelAI's upscale and Director Tools with a ``NovelAIClient``: payloads, the calls, their answers.

These are functions over the client rather than methods, so ``novelai.client`` stays the generation
client; they use its token handling (``_authorized``: one renewal on 401), its bounded reads (``_send``
reads every answer within ``client.limits``), its timeouts, and the same per-account lock and whole-call
deadline as a generation: NovelAI runs one call at a time per account ("Concurrent generation is locked").

Upscale has two request shapes (CONFLICT, ``/work/shared/novelai-2026.md`` §4.4): the image host's
``{image, model}`` (CARU 0.14.1 ``UpscaleImageRequest``, which always doubles) is tried first, and the
legacy ``{image, width, height, scale}`` (LLK 0.7.12, AED, NEKO 0.5.0) on the API host when the image host
answers 400 or 404 (AAL PR #72's "cloud upscale request fallback"). The legacy shape takes at most 1 MP,
so a larger input has no fallback; 4× exists only in the legacy shape, so a 4× request goes there directly.

Answers are a ZIP of PNGs or a bare PNG, told apart by their magic bytes (``decode_images``), within the
client's limits, except that an upscale may answer an image as large as it asked for (input × scale²),
and no answer may hold more images than the call makes (bg-removal three, everything else one).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import struct
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from novelai import errors
from novelai.accounts import Account
from novelai.answers import error_from_response
from novelai.inputs import ImageRef
from novelai.limits import Limits
from novelai.response import PNG_MAGIC, GeneratedImage, decode_images
from novelai.tool_cost import UpscaleShape, upscale_shapes
from novelai.tool_rules import check_tool, check_upscale, emotion_prompt
from novelai.tools import PROMPTED_TOOLS, ToolRequest, UpscaleRequest

if TYPE_CHECKING:
    from novelai.client import NovelAIClient

log = logging.getLogger(__name__)

# The model the image-host upscale names: CARU's default (the upscaler does not depend on it as far as
# any source says; NovelAI refuses an unknown id).
UPSCALE_MODEL = "nai-diffusion-5-curated"
# The image host's answers that send an upscale to the legacy shape (§4.4's recommendation).
FALLBACK_STATUSES = frozenset({400, 404})
_IHDR = struct.Struct(">II")

T = TypeVar("T")


def _b64_input(ref: ImageRef, png: bytes) -> str:
    """The input as the body carries it, after checking these are the bytes the request names.

    A mismatch is the caller's bug (the wrong image loaded for the job), never sent to NovelAI."""
    if not png.startswith(PNG_MAGIC) or len(png) < 24 or png[12:16] != b"IHDR":
        raise ValueError(f"the input image {ref.sha256[:12]}… is not a prepared PNG")
    if hashlib.sha256(png).hexdigest() != ref.sha256:
        raise ValueError(f"the bytes given are not the input image {ref.sha256[:12]}… the request names")
    if _IHDR.unpack_from(png, 16) != (ref.width, ref.height):
        raise ValueError(f"the input image {ref.sha256[:12]}… is not {ref.width}×{ref.height} as the request says")
    return base64.b64encode(png).decode("ascii")


def upscale_payload(req: UpscaleRequest, png: bytes, *, shape: UpscaleShape = "image-host") -> dict[str, Any]:
    """The ``/ai/upscale`` body in one of its two shapes (§4.4); ``png`` must be the request's image."""
    image = _b64_input(req.image, png)
    if shape == "image-host":
        return {"image": image, "model": UPSCALE_MODEL}
    return {"image": image, "width": req.image.width, "height": req.image.height, "scale": req.scale}


def augment_payload(req: ToolRequest, png: bytes) -> dict[str, Any]:
    """The ``/ai/augment-image`` body (§4.6): ``prompt`` and ``defry`` only for colorize and emotion, as CARU
    sends them (the website's ``use_new_shared_trial`` flag is left out: it is the web UI's own trial)."""
    body: dict[str, Any] = {"req_type": req.tool, "width": req.image.width, "height": req.image.height,
                            "image": _b64_input(req.image, png)}
    if req.tool in PROMPTED_TOOLS:
        body["prompt"] = emotion_prompt(req) if req.tool == "emotion" else req.prompt
        body["defry"] = req.defry
    return body


def answer_limits(limits: Limits, max_pixels: int) -> Limits:
    """``limits`` for an answer whose images may be as large as ``max_pixels`` (an upscale's output).

    Unchanged while ``max_pixels`` is within them (a tool's output is its input's size, at most 3 MP); past
    that, one image may fill the whole answer, which stays bounded by ``max_response_bytes``."""
    if max_pixels <= limits.max_image_pixels:
        return limits
    return replace(limits, max_image_pixels=max(limits.max_image_pixels, max_pixels),
                   max_image_bytes=max(limits.max_image_bytes, limits.max_response_bytes))


def decode_tool_images(body: bytes, *, max_images: int, limits: Limits) -> list[GeneratedImage]:
    """The images of a tool's answer (a ZIP, or one bare PNG, by magic bytes), at most ``max_images``."""
    images = decode_images(body, None, limits)
    if len(images) > max_images:
        raise errors.ArchiveTooLarge(
            f"NovelAI answered with {len(images)} images where the call makes {max_images}",
            user_message="NovelAI's answer held more images than were asked for")
    return images


async def _on_lane(client: NovelAIClient, account: Account, call: Callable[[], Awaitable[T]]) -> T:
    """Run ``call`` as a generation runs: alone on the account, within the whole-call deadline."""
    deadline = client.limits.generation_seconds
    async with client._lock(client._generation_locks, account.fingerprint):
        try:
            async with asyncio.timeout(deadline):
                return await call()
        except TimeoutError:
            raise errors.DeadlineExceeded(
                f"the call did not finish within {deadline:g} s",
                user_message=f"NovelAI did not finish the image within {deadline:g} s") from None


async def _post(client: NovelAIClient, account: Account, url: str, payload: dict[str, Any]) -> httpx.Response:
    return await client._authorized(account, lambda token: client._send(
        "POST", url, json=payload, headers=client._auth_headers(token), timeout=client.timeouts.generate))


async def upscale(client: NovelAIClient, account: Account, req: UpscaleRequest, png: bytes) -> list[GeneratedImage]:
    """Upscale ``png`` (the request's image): the image host first, the legacy API on its 400/404."""
    check_upscale(req)
    shapes = upscale_shapes(req)

    async def call() -> httpx.Response:
        for tried, shape in enumerate(shapes, 1):
            host = client.image_url if shape == "image-host" else client.api_url
            response = await _post(client, account, f"{host}/ai/upscale", upscale_payload(req, png, shape=shape))
            if response.status_code not in FALLBACK_STATUSES or tried == len(shapes):
                return response
            log.info("the image host answered an upscale with %s; trying the legacy shape", response.status_code)
        raise AssertionError("unreachable: every request has a shape")

    response = await _on_lane(client, account, call)
    if response.status_code != 200:
        raise error_from_response(response, client.limits)
    # 4× goes to the legacy shape only; 2× is what both shapes make.
    limits = answer_limits(client.limits, req.image.pixels * req.scale * req.scale)
    return decode_tool_images(response.content, max_images=req.expected_images, limits=limits)


async def augment(client: NovelAIClient, account: Account, req: ToolRequest, png: bytes) -> list[GeneratedImage]:
    """Run one Director Tool on ``png`` (the request's image); bg-removal answers with three images."""
    check_tool(req)
    payload = augment_payload(req, png)
    response = await _on_lane(client, account, lambda: _post(
        client, account, f"{client.image_url}/ai/augment-image", payload))
    if response.status_code != 200:
        raise error_from_response(response, client.limits)
    limits = answer_limits(client.limits, req.image.pixels)
    return decode_tool_images(response.content, max_images=req.expected_images, limits=limits)
