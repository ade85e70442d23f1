"""`naibot generate --image --mask`, `generate --reference` and `variations JOB`, run as an operator runs them
(a subprocess) against a real worker, Redis, local storage and the NovelAI stand-in: the stand-in saw the
right action, model and inputs (``GET /_sandbox/inputs``), the result is stored and came from the input
(``marker_colour``), and the Opus account paid exactly what NovelAI's price rules say for that input."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from novelai.images import prepare_img2img, prepare_mask, prepare_reference, reference_bucket
from sandbox.novelai.image_inputs import marker_colour, result_colour
from sandbox.novelai.pricing import per_image
from tests.fixtures.cli_images import decoded, inputs_seen, opus_anlas, png, run_json, write
from tests.fixtures.deployment import Deployment

pytestmark = pytest.mark.xdist_group("workers")
V45 = "nai-diffusion-4-5-full"


def mask_png(width: int, height: int) -> bytes:
    """White (repaint) on the top-left quarter, black elsewhere."""
    mask = Image.new("L", (width, height), 0)
    mask.paste(255, (0, 0, width // 2, height // 2))
    out = io.BytesIO()
    mask.save(out, "PNG")
    return out.getvalue()


async def test_inpainting_sends_infill_with_the_mask_at_the_image_size_and_pays_the_mask_strength_price(
        deployment: Deployment, tmp_path: Path) -> None:
    await deployment.start_worker()
    upload, mask = png(512, 512, (9, 9, 90)), mask_png(512, 512)
    result = await run_json(deployment, "generate", "a cat", "--model", "v4.5", "--image",
                            write(tmp_path, "in.png", upload), "--mask", write(tmp_path, "m.png", mask),
                            "--steps", "30", "--max-anlas", "19")
    (record,) = await inputs_seen(deployment)
    assert (record["action"], record["model"]) == ("infill", f"{V45}-inpainting")
    expected_image = prepare_img2img(decoded(upload), 1024, 1024)  # a 1:1 image at one megapixel
    expected_mask = prepare_mask(decoded(mask), 1024, 1024)
    assert [(i["sha256"], i["width"], i["height"]) for i in record["inputs"]] == [
        (expected_image.sha256, 1024, 1024), (expected_mask.sha256, 1024, 1024)]
    (image,) = result["images"]
    assert (image["width"], image["height"]) == (1024, 1024)
    assert result_colour(Path(image["path"]).read_bytes()) == marker_colour(expected_image.sha256)
    # 30 steps: never Opus-free. The price is the image's, times the default mask strength 0.85, rounded up.
    assert per_image(1024, 1024, 30, model=V45, strength=0.85) == 19
    assert opus_anlas(deployment) == 1000 - 19


async def test_inpaint_strength_sets_how_much_the_mask_repaints_and_its_price(deployment: Deployment,
                                                                              tmp_path: Path) -> None:
    await deployment.start_worker()
    upload, mask = png(512, 512, (90, 9, 9)), mask_png(512, 512)
    await run_json(deployment, "generate", "a cat", "--model", "v4.5", "--image", write(tmp_path, "in.png", upload),
                   "--mask", write(tmp_path, "m.png", mask), "--inpaint-strength", "0.3", "--steps", "30",
                   "--max-anlas", "19")
    (record,) = await inputs_seen(deployment)
    assert record["action"] == "infill"
    price = per_image(1024, 1024, 30, model=V45, strength=0.3)
    assert price < per_image(1024, 1024, 30, model=V45, strength=0.85)
    assert opus_anlas(deployment) == 1000 - price


async def test_a_small_inpainting_is_priced_as_if_scaled_up_to_one_megapixel(deployment: Deployment,
                                                                               tmp_path: Path) -> None:
    await deployment.start_worker()
    upload, mask = png(512, 512, (9, 90, 9)), mask_png(512, 512)
    result = await run_json(deployment, "generate", "a cat", "--model", "v4.5", "--size", "512x512", "--image",
                            write(tmp_path, "in.png", upload), "--mask", write(tmp_path, "m.png", mask),
                            "--steps", "30", "--max-anlas", "19")
    (record,) = await inputs_seen(deployment)
    assert record["action"] == "infill"
    assert [(i["width"], i["height"]) for i in record["inputs"]] in ([(512, 512), (512, 512)], [(512, 512), (64, 64)])
    assert (result["images"][0]["width"], result["images"][0]["height"]) == (512, 512)
    assert per_image(512, 512, 30, model=V45, strength=0.85) < 19  # what 512x512 would cost unscaled
    assert opus_anlas(deployment) == 1000 - 19  # priced at 1024x1024 (NKDK ``re``)


async def test_a_precise_reference_sends_the_image_in_its_bucket_and_costs_five_more_with_no_free_image(
        deployment: Deployment, tmp_path: Path) -> None:
    await deployment.start_worker()
    upload = png(600, 900, (200, 120, 30))
    result = await run_json(deployment, "generate", "a cat", "--model", "v4.5", "--size", "512x768", "--steps",
                            "23", "--reference", f"{write(tmp_path, 'ref.png', upload)}:character:0.8:0.5",
                            "--max-anlas", "12")
    (record,) = await inputs_seen(deployment)
    assert (record["action"], record["model"]) == ("generate", V45)
    expected = prepare_reference(decoded(upload), V45)
    assert (expected.width, expected.height) == reference_bucket(V45, 600, 900) == (1024, 1536)
    assert [(i["field"], i["sha256"], i["width"], i["height"]) for i in record["inputs"]] == [
        ("parameters.director_reference_images[0]", expected.sha256, 1024, 1536)]
    (image,) = result["images"]
    assert result_colour(Path(image["path"]).read_bytes()) == marker_colour(expected.sha256)
    # 512x768 at 23 steps is Opus-free without a reference; with one it is paid in full, plus 5.
    assert per_image(512, 768, 23, model=V45) == 7
    assert opus_anlas(deployment) == 1000 - 7 - 5


async def test_variations_of_a_job_redraw_its_result_at_the_same_size_with_a_new_seed(deployment: Deployment) -> None:
    await deployment.start_worker()
    first = await run_json(deployment, "generate", "a blue bird", "--size", "512x768", "--steps", "23",
                           "--seed", "77")
    source = Path(first["images"][0]["path"]).read_bytes()
    result = await run_json(deployment, "variations", f"{first['job_id']}:0")
    (record,) = [r for r in await inputs_seen(deployment) if r["inputs"]]
    expected = prepare_img2img(decoded(source), 512, 768)
    assert record["action"] == "img2img"
    assert [i["sha256"] for i in record["inputs"]] == [expected.sha256]
    (image,) = result["images"]
    assert (image["width"], image["height"]) == (512, 768)
    assert image["seed"] != 77
    assert result_colour(Path(image["path"]).read_bytes()) == marker_colour(expected.sha256)
    assert opus_anlas(deployment) == 1000  # an Opus-sized img2img of 23 steps is free
