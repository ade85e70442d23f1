"""`naibot info FILE.png [--json]`: the settings NovelAI recorded in an image, from its text chunks or
the hidden copy, and a clear refusal for a file that is not one (bounded before it is read)."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest
from PIL import Image

from bot.cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from bot.cli.main import main
from sandbox.novelai import NovelAISandbox
from tests.fixtures.metadata_images import CHARACTERS, PROMPT, generated, without_text


@pytest.fixture(autouse=True)
def no_deployment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NAIBOT_SETTINGS", os.devnull)


@pytest.fixture
async def image_file(novelai_sandbox: NovelAISandbox, tmp_path: Path) -> Path:
    v4_prompt = {"caption": {"base_caption": PROMPT, "char_captions": CHARACTERS}, "use_coords": True,
                 "use_order": True}
    v4_negative = {"caption": {"base_caption": "lowres", "char_captions": [
        {"char_caption": "", "centers": c["centers"]} for c in CHARACTERS]}, "legacy_uc": False}
    png = await generated(novelai_sandbox, seed=4242, steps=12, scale=5.5, width=512, height=768,
                          v4_prompt=v4_prompt, v4_negative_prompt=v4_negative)
    path = tmp_path / "image_0.png"
    path.write_bytes(png)
    return path


def info(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["info", *args])
    out, err = capsys.readouterr()
    return status, out, err


def test_info_prints_the_recorded_settings(image_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = info(capsys, str(image_file))

    assert status == EXIT_OK
    for line in (f"prompt:    {PROMPT}", "negative:  lowres", "model:     nai-diffusion-4-5-full", "size:      512x768",
                 "steps:     12", "scale:     5.5", "sampler:   k_euler_ancestral", "seed:      4242",
                 "character 1: girl, red hair @ 0.30,0.70", "character 2: boy, glasses @ 0.70,0.50"):
        assert line in out.splitlines()


def test_info_json_is_one_object(image_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = info(capsys, str(image_file), "--json")
    answer = json.loads(out)

    assert status == EXIT_OK
    assert (answer["prompt"], answer["seed"], answer["model"], answer["width"], answer["height"]) == (
        PROMPT, 4242, "nai-diffusion-4-5-full", 512, 768)
    assert [c["prompt"] for c in answer["characters"]] == ["girl, red hair", "boy, glasses"]
    assert answer["from"] == "text"


def test_info_reads_the_hidden_copy_of_a_stripped_png(image_file: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    stripped = tmp_path / "stripped.png"
    stripped.write_bytes(without_text(image_file.read_bytes()))

    status, out, _ = info(capsys, str(stripped), "--json")

    assert status == EXIT_OK
    assert (json.loads(out)["from"], json.loads(out)["seed"]) == ("stealth", 4242)


def test_an_image_without_metadata_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "photo.png"
    out_bytes = io.BytesIO()
    Image.new("RGB", (32, 32)).save(out_bytes, "PNG")
    path.write_bytes(out_bytes.getvalue())

    status, out, _ = info(capsys, str(path), "--json")

    assert (status, json.loads(out)["kind"]) == (EXIT_FAILED, "no_metadata")


def test_a_text_file_named_png_is_refused_as_not_an_image(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "cat.png"
    path.write_text("not really a picture\n")

    status, out, _ = info(capsys, str(path), "--json")
    answer = json.loads(out)

    assert status == EXIT_USAGE
    assert [p["code"] for p in answer["problems"]] == ["image_not_an_image"]


def test_a_huge_file_is_refused_before_it_is_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "huge.png"
    with path.open("wb") as handle:  # sparse: 4 GB on paper, nothing on disk
        handle.write(b"\x89PNG\r\n\x1a\n")
        handle.truncate(4 * 1024**3)

    status, _, err = info(capsys, str(path))

    assert status == EXIT_USAGE
    assert "larger than the 10 MiB this bot reads" in err


def test_a_missing_file_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = info(capsys, str(tmp_path / "nope.png"))
    assert status == EXIT_USAGE and "no such file" in err
