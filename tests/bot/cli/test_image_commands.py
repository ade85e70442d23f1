"""`naibot generate --image/--mask/--vibe/--reference/--from`, `enhance`, `variations`, `upscale` and `tool`,
run as an operator runs them (a subprocess) against a real worker, Redis, local storage and the NovelAI
stand-in: the stand-in saw the right input (``GET /_sandbox/inputs``), the result is stored and came from it
(``marker_colour``), the cost is charged, a second job with the same vibe pays no encoding; bad files are one
line, exit status 2 and nothing queued."""

from __future__ import annotations

import io
import json
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from bot.cli.image_options import FileProblem, reference_upload, vibe_upload
from naibot.settings import ImagesSettings
from novelai.images import enhance_size, prepare_img2img, prepare_tool_input, size_for_image
from sandbox.novelai.image_inputs import marker_colour, result_colour
from tests.fixtures.cli_images import decoded, inputs_seen, nothing_queued, opus_anlas, png, run_json, write
from tests.fixtures.cli_run import naibot
from tests.fixtures.deployment import Deployment

pytestmark = pytest.mark.xdist_group("workers")


async def test_generate_with_an_image_redraws_that_image_and_stores_the_result(deployment: Deployment,
                                                                            tmp_path: Path) -> None:
    await deployment.start_worker()
    upload = png(600, 900, (200, 40, 40))
    result = await run_json(deployment, "generate", "a cat", "--image", write(tmp_path, "in.png", upload),
                            "--strength", "0.6", "--steps", "23")
    expected = prepare_img2img(decoded(upload), *size_for_image(600, 900))
    (record,) = await inputs_seen(deployment)
    assert record["action"] == "img2img"
    assert [i["sha256"] for i in record["inputs"]] == [expected.sha256]
    (image,) = result["images"]
    assert (image["width"], image["height"]) == size_for_image(600, 900)
    assert result_colour(Path(image["path"]).read_bytes()) == marker_colour(expected.sha256)
    assert opus_anlas(deployment) == 1000  # an Opus-sized img2img of 23 steps is free


async def test_a_second_job_with_the_same_vibe_pays_no_encoding(deployment: Deployment, tmp_path: Path) -> None:
    await deployment.start_worker()
    vibe = write(tmp_path, "v.png", png(400, 400, (10, 200, 10)))
    for _ in range(2):
        await run_json(deployment, "generate", "a cat", "--model", "v4.5", "--size", "512x768", "--steps", "23",
                       "--vibe", f"{vibe}:0.5:0.8", "--max-anlas", "2")
        assert opus_anlas(deployment) == 1000 - 2  # the one encoding, paid by the first job only
    encodes = [r for r in deployment.sandbox.stats.requests if r["path"] == "/ai/encode-vibe"]
    assert len(encodes) == 1
    vibe_inputs = [[i["kind"] for i in r["inputs"]] for r in await inputs_seen(deployment) if r["action"]]
    assert vibe_inputs[-2:] == [["vibe_encoding"], ["vibe_encoding"]]


async def test_upscale_of_a_job_result_doubles_that_result(deployment: Deployment) -> None:
    await deployment.start_worker()
    first = await run_json(deployment, "generate", "a cat", "--size", "512x768", "--steps", "8")
    source = Path(first["images"][0]["path"]).read_bytes()
    result = await run_json(deployment, "upscale", f"{first['job_id']}:0", "--max-anlas", "5")
    assert result["kind"] == "upscale"
    (image,) = result["images"]
    assert (image["width"], image["height"]) == (1024, 1536)
    expected = prepare_tool_input(decoded(source), max_pixels=512 * 768)
    assert [i["sha256"] for i in (await inputs_seen(deployment))[-1]["inputs"]] == [expected.sha256]
    assert result_colour(Path(image["path"]).read_bytes()) == marker_colour(expected.sha256, "upscale")
    assert opus_anlas(deployment) == 1000 - 1  # the image host's upscale is never free


async def test_a_tool_on_a_file_runs_that_tool_on_it(deployment: Deployment, tmp_path: Path) -> None:
    await deployment.start_worker()
    upload = png(512, 512, (240, 200, 10))
    result = await run_json(deployment, "tool", "lineart", write(tmp_path, "art.webp.png", upload))
    expected = prepare_tool_input(decoded(upload))
    assert [i["sha256"] for i in (await inputs_seen(deployment))[-1]["inputs"]] == [expected.sha256]
    assert result_colour(Path(result["images"][0]["path"]).read_bytes()) == marker_colour(expected.sha256, "lineart")


async def test_enhance_of_a_job_dry_run_shows_the_body_at_the_enhanced_size_and_queues_nothing(
        deployment: Deployment) -> None:
    await deployment.start_worker()
    first = await run_json(deployment, "generate", "a red fox", "--size", "512x512", "--steps", "8")
    code, out, err = await naibot(deployment, "enhance", first["job_id"], "--dry-run", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["dry_run"] and report["kind"] == "generate"
    body = report["body"]
    assert body["action"] == "img2img" and body["input"].startswith("a red fox")
    assert (body["parameters"]["width"], body["parameters"]["height"]) == enhance_size(512, 512)
    assert body["parameters"]["image"].startswith("<PNG 768x768")
    assert await nothing_queued(deployment)
    assert not any(p.name.startswith("input-") for p in deployment.storage_dir.rglob("*"))


async def test_generate_from_a_file_runs_its_recorded_settings(deployment: Deployment) -> None:
    await deployment.start_worker()
    first = await run_json(deployment, "generate", "a blue bird", "--size", "512x768", "--steps", "9",
                           "--seed", "77")
    code, out, err = await naibot(deployment, "generate", "--from", first["images"][0]["path"], "--dry-run",
                                  "--json")
    assert code == 0, err
    body = json.loads(out)["body"]
    assert "a blue bird" in body["input"]
    assert (body["parameters"]["width"], body["parameters"]["height"], body["parameters"]["steps"],
            body["parameters"]["seed"]) == (512, 768, 9, 77)
    second = await run_json(deployment, "generate", "--from", first["images"][0]["path"], "--seed", "78")
    assert second["images"][0]["seed"] == 78


def _bomb() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", 60_000, 60_000, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 65536, 9)) + \
        chunk(b"IEND", b"")


BAD_FILES = {
    "truncated": png(256, 256, (1, 2, 3))[:80],
    "bomb": _bomb(),
    "huge": b"\0" * (50 * 1024 * 1024),
    "gif": b"GIF89a" + b"\0" * 64,
    "text": b"this is not a picture\n",
}


@pytest.mark.parametrize("name", list(BAD_FILES))
async def test_a_bad_file_is_one_line_exit_2_and_nothing_queued(deployment: Deployment, tmp_path: Path,
                                                                name: str) -> None:
    path = write(tmp_path, f"{name}.png", BAD_FILES[name])
    for command in (("generate", "a cat", "--image", path), ("tool", "sketch", path), ("upscale", path)):
        code, out, err = await naibot(deployment, *command)
        assert (code, out) == (2, ""), err
        assert err.count("\n") == 1 and err.startswith("naibot: ") and f"{name}.png" in err, err
    assert await nothing_queued(deployment)
    assert await inputs_seen(deployment) == []


async def test_the_emotion_tool_without_a_mood_is_refused_with_nothing_queued(deployment: Deployment,
                                                                             tmp_path: Path) -> None:
    code, out, err = await naibot(deployment, "tool", "emotion", write(tmp_path, "a.png", png(256, 256, (4, 4, 4))))
    assert (code, out) == (2, "")
    assert "the emotion tool needs a mood" in err
    assert await nothing_queued(deployment)


async def test_variations_of_a_file_without_settings_asks_for_a_prompt(deployment: Deployment,
                                                                      tmp_path: Path) -> None:
    code, _out, err = await naibot(deployment, "variations", write(tmp_path, "p.png", png(256, 256, (4, 4, 4))))
    assert code == 2 and "give the prompt" in err


def test_vibe_and_reference_specs_take_their_values_from_the_right(tmp_path: Path) -> None:
    settings = ImagesSettings()
    path = write(tmp_path, "a:b.png", png(8, 8, (1, 1, 1)))
    vibe = vibe_upload(f"{path}:0.4:0.9", settings)
    assert (vibe.upload.name, vibe.strength, vibe.information_extracted) == ("a:b.png", 0.4, 0.9)
    assert vibe_upload(path, settings).strength == 0.6
    reference = reference_upload(f"{path}:both:0.8:0.3", settings)
    assert (reference.kind, reference.strength, reference.fidelity) == ("character&style", 0.8, 0.3)
    assert reference_upload(f"{path}:style", settings).kind == "style"
    with pytest.raises(FileProblem, match="say the kind"):
        reference_upload(f"{path}:0.8", settings)


async def test_inpainting_and_a_reference_dry_run_show_what_would_be_sent(deployment: Deployment,
                                                                         tmp_path: Path) -> None:
    image = write(tmp_path, "in.png", png(512, 512, (9, 9, 90)))
    mask_image = Image.new("L", (512, 512), 0)
    mask_image.paste(255, (0, 0, 256, 256))
    out = io.BytesIO()
    mask_image.save(out, "PNG")
    mask = write(tmp_path, "m.png", out.getvalue())
    code, text, err = await naibot(deployment, "generate", "a cat", "--model", "v4.5", "--image", image, "--mask",
                                   mask, "--dry-run", "--json")
    assert code == 0, err
    body = json.loads(text)["body"]
    assert body["action"] == "infill" and body["model"].endswith("-inpainting")
    assert body["parameters"]["mask"].startswith("<PNG 1024x1024")  # the image's shape at 1 MP
    code, text, err = await naibot(deployment, "generate", "a cat", "--model", "v4.5", "--reference",
                                   f"{image}:character:0.8:0.5", "--dry-run", "--json")
    assert code == 0, err
    report = json.loads(text)
    assert report["body"]["parameters"]["director_reference_images"][0].startswith("<PNG 1472x1472")
    assert report["anlas"] >= 5  # +5 per reference, and no Opus free image with one
    assert await nothing_queued(deployment)
