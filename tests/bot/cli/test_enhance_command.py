"""`naibot enhance JOB[:index]|FILE` through a real worker against the NovelAI stand-in (the dry run has its
own test in test_image_commands.py): the stand-in got an img2img of the source image prepared at the enhanced
size, with the website's enhance strength, noise and prompt addition and a new seed; the result is stored, came
from that image (``marker_colour``) and was charged at the enhanced size and strength."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from novelai.derived import ENHANCE_NOISE, ENHANCE_PROMPT_ADDITION, ENHANCE_STRENGTH
from novelai.images import enhance_size, prepare_img2img, size_for_image
from sandbox.novelai.image_inputs import marker_colour, result_colour
from sandbox.novelai.pricing import per_image
from tests.fixtures.cli_images import decoded, inputs_seen, opus_anlas, png, run_json, write
from tests.fixtures.deployment import Deployment

pytestmark = pytest.mark.xdist_group("workers")
V45 = "nai-diffusion-4-5-full"


def last_generation(deployment: Deployment) -> dict[str, Any]:
    """The body of the stand-in's last generation request (long strings, the image, abbreviated)."""
    body: dict[str, Any] = [r for r in deployment.sandbox.stats.requests if r["path"].startswith("/ai/generate-image")
                            ][-1]["body"]
    return body


async def test_enhance_of_a_job_redraws_its_result_at_one_and_a_half_times_and_pays_for_that_size(
        deployment: Deployment) -> None:
    await deployment.start_worker()
    first = await run_json(deployment, "generate", "a red fox, snow", "--model", "v4.5", "--size", "832x1216",
                           "--steps", "8", "--seed", "31")
    assert opus_anlas(deployment) == 1000  # the source was free (Opus, 1 MP, 8 steps)
    source = Path(first["images"][0]["path"]).read_bytes()
    width, height = enhance_size(832, 1216, 1.5)
    assert (width, height) == (1280, 1856)
    price = per_image(width, height, 8, model=V45, strength=ENHANCE_STRENGTH)

    result = await run_json(deployment, "enhance", f"{first['job_id']}:0", "--max-anlas", str(price))

    assert result["kind"] == "generate" and result["job_id"] != first["job_id"]
    expected = prepare_img2img(decoded(source), width, height)
    (record,) = await inputs_seen(deployment)
    assert (record["action"], record["model"]) == ("img2img", V45)
    assert [(i["sha256"], i["width"], i["height"]) for i in record["inputs"]] == [(expected.sha256, width, height)]
    body = last_generation(deployment)
    parameters = body["parameters"]
    assert body["input"].startswith(f"a red fox, {ENHANCE_PROMPT_ADDITION}, snow")
    assert (parameters["width"], parameters["height"], parameters["n_samples"]) == (width, height, 1)
    assert (parameters["strength"], parameters["noise"], parameters["steps"]) == (ENHANCE_STRENGTH, ENHANCE_NOISE, 8)
    assert parameters["seed"] != 31  # a new seed
    (image,) = result["images"]
    assert (image["width"], image["height"]) == (width, height)
    stored = Path(image["path"]).read_bytes()
    assert stored.startswith(b"\x89PNG")
    assert result_colour(stored) == marker_colour(expected.sha256)  # made from the prepared source
    assert price > 2  # above 1 MP: never free, and more than the floor
    assert opus_anlas(deployment) == 1000 - price


async def test_enhance_of_a_file_without_settings_at_factor_one_uses_the_given_prompt(deployment: Deployment,
                                                                       tmp_path: Path) -> None:
    await deployment.start_worker()
    upload = png(640, 640, (30, 120, 200))  # no NovelAI settings in it: the prompt must be given
    result = await run_json(deployment, "enhance", write(tmp_path, "photo.png", upload), "--factor", "1",
                            "--prompt", "a lake", "--model", "v4.5", "--max-anlas", "40")
    width, height = size_for_image(640, 640)  # no recorded size: the model's size of the image's shape
    assert (width, height) == (1024, 1024)
    expected = prepare_img2img(decoded(upload), width, height)
    (record,) = await inputs_seen(deployment)
    assert record["action"] == "img2img"
    assert [(i["sha256"], i["width"], i["height"]) for i in record["inputs"]] == [(expected.sha256, width, height)]
    assert last_generation(deployment)["input"].startswith(f"a lake, {ENHANCE_PROMPT_ADDITION}")
    (image,) = result["images"]
    assert (image["width"], image["height"]) == (width, height)
    assert result_colour(Path(image["path"]).read_bytes()) == marker_colour(expected.sha256)
