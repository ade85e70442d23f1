"""The HTTP API's inpainting, precise reference and variations, end to end: the real app, a real worker, the
NovelAI stand-in. The stand-in records what it decoded (``inputs_seen``) and frames each result in its primary
input's colour (``marker_colour``); the Opus account's balance shows what NovelAI's price rules charged."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from novelai.images import prepare_img2img, prepare_reference
from sandbox.novelai.image_inputs import marker_colour, result_colour
from sandbox.novelai.pricing import per_image
from tests.fixtures.deployment import Deployment
from tests.fixtures.http_e2e import ALICE_KEY, ApiWorld, auth, running_api, with_api
from tests.fixtures.http_images import (
    SIZE,
    api,
    finished,
    first_input,
    multipart,
    opus_anlas,
    png,
    result,
    status,
)

pytestmark = pytest.mark.xdist_group("workers")
__all__ = ["api"]  # the fixture, used by name
V45 = "nai-diffusion-4-5-full"


def mask_png(width: int = SIZE, height: int = SIZE) -> bytes:
    """White (repaint) on the top-left quarter, black elsewhere."""
    mask = Image.new("L", (width, height), 0)
    mask.paste(255, (0, 0, width // 2, height // 2))
    out = io.BytesIO()
    mask.save(out, "PNG")
    return out.getvalue()


def decoded(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


async def test_inpainting_by_multipart_sends_infill_with_its_mask_and_pays_the_inpaint_strength_price(
        deployment: Deployment) -> None:
    # 512x512 at 30 steps (never Opus-free) is priced at 1024x1024 (an infill under 0.8 MP), times 0.3.
    assert per_image(1024, 1024, 30, model=V45, strength=0.3) == 7
    deployment.overrides["NAIBOT_QUEUE__MAX_ANLAS_PER_JOB"] = "7"
    async with running_api(with_api(deployment.settings)) as api:
        response = await api.client.post("/generate", headers=auth(ALICE_KEY), **multipart(
            {"prompt": "a cat", "model": "v4.5", "width": SIZE, "height": SIZE, "steps": 30,
             "inpaint_strength": 0.3}, image=png((9, 9, 90)), mask=mask_png()))
        assert response.status_code == 200, response.text
        job = await finished(api, deployment, response.json()["task_id"])
        request = job.generation
        assert request is not None and request.image is not None and request.mask is not None
        (record,) = deployment.sandbox.inputs_seen.last(1)
        assert (record["action"], record["model"]) == ("infill", f"{V45}-inpainting")
        assert [(i["sha256"], i["width"], i["height"]) for i in record["inputs"]] == [
            (request.image.sha256, SIZE, SIZE), (request.mask.sha256, SIZE, SIZE)]
        assert result_colour(result(deployment, job)) == marker_colour(request.image.sha256)
        assert [(image.width, image.height) for image in job.images] == [(SIZE, SIZE)]
        assert opus_anlas(deployment) == 1000 - 7
        assert (await status(api, job.id))["inputs"] == [{"kind": "image", "width": SIZE, "height": SIZE},
                                                         {"kind": "mask", "width": SIZE, "height": SIZE}]


async def test_inpainting_without_an_inpaint_strength_is_priced_at_the_website_default(
        deployment: Deployment) -> None:
    # The default mask strength is 0.85 (image_rules.DEFAULT_INPAINT_STRENGTH), not 1: 19 Anlas, not 22.
    assert (per_image(1024, 1024, 30, model=V45, strength=0.85), per_image(1024, 1024, 30, model=V45)) == (19, 22)
    deployment.overrides["NAIBOT_QUEUE__MAX_ANLAS_PER_JOB"] = "22"
    image, mask = base64.b64encode(png((9, 90, 9))).decode(), base64.b64encode(mask_png()).decode()
    async with running_api(with_api(deployment.settings)) as api:
        response = await api.client.post("/generate", headers=auth(ALICE_KEY), json={
            "prompt": "a cat", "model": "v4.5", "width": SIZE, "height": SIZE, "steps": 30, "image_b64": image,
            "mask_b64": mask})
        assert response.status_code == 200, response.text
        await finished(api, deployment, response.json()["task_id"])
        assert deployment.sandbox.inputs_seen.last(1)[0]["action"] == "infill"
        assert opus_anlas(deployment) == 1000 - 19
        described = (await api.client.get("/openapi.json")).json()["components"]["schemas"]["ImageGenerateBody"]
        assert "(default 0.85)" in described["properties"]["inpaint_strength"]["description"]


async def test_a_precise_reference_goes_in_its_bucket_and_costs_five_more_with_no_free_image(
        deployment: Deployment) -> None:
    deployment.overrides["NAIBOT_QUEUE__MAX_ANLAS_PER_JOB"] = "10"
    upload = png((200, 120, 30), (900, 600))
    async with running_api(with_api(deployment.settings)) as api:
        response = await api.client.post("/generate", headers=auth(ALICE_KEY), **multipart(
            {"prompt": "a cat", "model": "v4.5", "width": SIZE, "height": SIZE, "steps": 23,
             "references": [{"kind": "style", "strength": 0.8, "fidelity": 0.5}]}, reference=upload))
        assert response.status_code == 200, response.text
        job = await finished(api, deployment, response.json()["task_id"])
        expected = prepare_reference(decoded(upload), V45)
        assert (first_input(job).sha256, expected.width, expected.height) == (expected.sha256, 1536, 1024)
        (record,) = deployment.sandbox.inputs_seen.last(1)
        assert (record["action"], record["model"]) == ("generate", V45)
        assert [(i["field"], i["sha256"], i["width"], i["height"]) for i in record["inputs"]] == [
            ("parameters.director_reference_images[0]", expected.sha256, 1536, 1024)]
        assert result_colour(result(deployment, job)) == marker_colour(expected.sha256)
        # 512x512 at 23 steps would be Opus-free; with a reference it is paid in full, plus 5.
        assert opus_anlas(deployment) == 1000 - per_image(SIZE, SIZE, 23, model=V45) - 5 == 1000 - 10


async def test_variations_of_a_finished_task_redraw_its_result_at_its_size_with_a_new_seed(
        api: ApiWorld, deployment: Deployment) -> None:
    first = await api.submit(prompt="a cat", width=SIZE, height=768, steps=23, seed=77)
    source = await finished(api, deployment, first["task_id"])
    response = await api.client.post(f"/variations/{source.id}", headers=auth(ALICE_KEY), json={"index": 0})
    assert response.status_code == 200, response.text
    job = await finished(api, deployment, response.json()["task_id"])
    expected = prepare_img2img(decoded(result(deployment, source)), SIZE, 768)
    assert first_input(job).sha256 == expected.sha256
    (record,) = deployment.sandbox.inputs_seen.last(1)
    assert (record["action"], [i["sha256"] for i in record["inputs"]]) == ("img2img", [expected.sha256])
    assert [(image.width, image.height) for image in job.images] == [(SIZE, 768)]
    assert job.images[0].seed != 77
    assert result_colour(result(deployment, job)) == marker_colour(expected.sha256)
    answer = await status(api, job.id)
    assert answer["kind"] == "generate"  # a variation is an img2img generation (README, "Job kinds")
    assert answer["inputs"] == [{"kind": "image", "width": SIZE, "height": 768}]
    assert opus_anlas(deployment) == 1000  # an Opus-sized img2img of 23 steps is free
