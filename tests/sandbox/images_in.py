"""Helpers of the stand-in's image-input tests (tests/sandbox/test_novelai_images_*.py): input PNGs, request
bodies as the website shapes them (docs/novelai-2026.md §4), Anlas and the stand-in's input log over HTTP."""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from typing import Any

import httpx
from PIL import Image

from sandbox.novelai import TABLET_EMAIL, NovelAISandbox, SandboxAccount


def png(width: int, height: int, colour: tuple[int, int, int] = (40, 90, 160), mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, (width, height), colour if mode != "L" else colour[0]).save(out, "PNG")
    return out.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def body(model: str = "nai-diffusion-4-5-full", action: str = "generate", *, width: int = 512, height: int = 768,
         steps: int = 23, **params: Any) -> dict[str, Any]:
    """A generation body (V3 or V4+ shape by model) with overridable parameters."""
    parameters: dict[str, Any] = {
        "width": width, "height": height, "scale": 5, "sampler": "k_euler_ancestral", "steps": steps,
        "n_samples": 1, "seed": 1234, "noise_schedule": "karras", "negative_prompt": "lowres",
    }
    if not model.startswith("nai-diffusion-3"):
        parameters["v4_prompt"] = {"caption": {"base_caption": "1girl", "char_captions": []}, "use_coords": False,
                                   "use_order": True}
        parameters["v4_negative_prompt"] = {"caption": {"base_caption": "lowres", "char_captions": []},
                                            "legacy_uc": False}
    parameters.update(params)
    return {"input": "1girl", "model": model, "action": action, "parameters": parameters}


def img2img(image: bytes, model: str = "nai-diffusion-4-5-full", **params: Any) -> dict[str, Any]:
    """An img2img body as CARU/NKDK send it on V4.5 (``img2img`` object included)."""
    fields = {"image": b64(image), "strength": 0.7, "noise": 0.0, "extra_noise_seed": 1234, "color_correct": False,
              "img2img": {"strength": 0.7, "color_correct": True}, **params}
    return body(model, "img2img", **fields)


def infill(image: bytes, mask: bytes, model: str = "nai-diffusion-4-5-full-inpainting", **params: Any
           ) -> dict[str, Any]:
    fields = {"image": b64(image), "mask": b64(mask), "strength": 0.7, "noise": 0.0, "add_original_image": False,
              "inpaintImg2ImgStrength": 1.0, **params}
    return body(model, "infill", **fields)


def tablet(sandbox: NovelAISandbox, anlas: int = 500) -> dict[str, str]:
    """A Tablet (no Opus free image) account's headers, so every price shows in its balance."""
    sandbox.add_account(SandboxAccount(email=TABLET_EMAIL, password="x", tier=1, anlas=anlas))
    return {"Authorization": f"Bearer {sandbox.issue_token(TABLET_EMAIL)}"}


async def anlas(client: httpx.AsyncClient, headers: dict[str, str]) -> int:
    answer = await client.get("/user/subscription", headers=headers)
    assert answer.status_code == 200
    left = answer.json()["trainingStepsLeft"]
    return int(left["fixedTrainingStepsLeft"] + left["purchasedTrainingSteps"])


async def last_inputs(client: httpx.AsyncClient) -> dict[str, Any]:
    """The stand-in's record of the last request that carried images."""
    answer = await client.get("/_sandbox/inputs", params={"last": 1})
    assert answer.status_code == 200
    requests = answer.json()["requests"]
    assert len(requests) == 1
    return dict(requests[0])


def members(zip_body: bytes) -> list[bytes]:
    with zipfile.ZipFile(io.BytesIO(zip_body)) as archive:
        return [archive.read(name) for name in archive.namelist()]


def size_of(image: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(image)) as opened:
        return opened.size
