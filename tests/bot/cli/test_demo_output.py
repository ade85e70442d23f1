"""What `naibot demo` (`make demo`) prints is what happened: every PNG it saved is listed (the Telegram
conversation's too), and its Telegram transcript shows messages in the order they last changed, so the
status edited to "✅ Done" does not come before the `/queue` reply sent while the job still ran. The
conversation goes on with an img2img from a photo Ann sends and the ✨ Enhance button under its result;
the files it leaves show both really happened (the stand-in frames a result in its input's colour)."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox.novelai.image_inputs import marker_colour, result_colour
from tasks.launch import ROOT
from tests.fixtures.chat_pictures import picture_size, result_comment

pytestmark = pytest.mark.xdist_group("workers")

DEMO_TIMEOUT = 240


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One run of the demo in an empty directory (no settings.yaml, no deployment environment): it uses
    the Redis on 127.0.0.1:6379 under a random prefix it deletes, or an embedded one."""
    where = tmp_path_factory.mktemp("demo")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NAIBOT_", "NOVELAI_", "REDIS_", "STORAGE_"))}
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run([sys.executable, "-m", "bot.cli", "demo", "--out", "out"], cwd=where, env=env,
                            capture_output=True, text=True, timeout=DEMO_TIMEOUT, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return where / "out", result.stdout


def test_demo_lists_every_png_it_saved(demo: tuple[Path, str]) -> None:
    out, stdout = demo
    listed = stdout.split("PNG files", 1)[1].splitlines()[1:]
    paths = [Path(line.split()[0]) for line in listed if line.startswith("  /")]
    saved = sorted(path.resolve() for path in out.rglob("*.png"))
    assert len(saved) == 10, ("five from the queue part; from the Telegram conversation three results and the "
                              "inputs of its img2img and Enhance")
    assert sorted(paths) == saved, stdout
    assert any("(Ann on Telegram, seed 42)" in line for line in listed), stdout


def test_demo_transcript_shows_done_after_the_queue_reply(demo: tuple[Path, str]) -> None:
    _, stdout = demo
    transcript = stdout.split("Telegram: the real bot", 1)[1].split("PNG files", 1)[0]
    speakers = re.findall(r"^  (Ann|Bot): (.*)$", transcript, flags=re.MULTILINE)
    lines = [f"{who}: {text}" for who, text in speakers]
    queue_reply = next(i for i, line in enumerate(lines) if line.startswith("Bot: 📋 Queue:"))
    done = next(i for i, line in enumerate(lines) if line.startswith("Bot: ✅ Done"))
    asked = next(i for i, line in enumerate(lines) if line == "Ann: /queue")
    assert asked < queue_reply < done, "\n".join(lines)


def transcript(stdout: str) -> str:
    return stdout.split("Telegram: the real bot", 1)[1].split("PNG files", 1)[0]


def ann_files(stdout: str) -> list[tuple[Path, str]]:
    """The PNGs of Ann's Telegram jobs, in the order listed: each path with what the list says it is."""
    listed = stdout.split("PNG files", 1)[1].splitlines()[1:]
    found = [re.fullmatch(r"  (/\S+)  \(Ann on Telegram, (.*)\)", line) for line in listed]
    return [(Path(match[1]), match[2]) for match in found if match is not None]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_demo_runs_an_img2img_from_a_photo_ann_sends(demo: tuple[Path, str]) -> None:
    _, stdout = demo
    chat = transcript(stdout)
    assert re.search(r"^  Ann: \[photo\] /generate .*strength:0\.6", chat, flags=re.MULTILINE), chat
    assert ("img2img: Ann's photo 832×1216 → result 512×768 at strength 0.6, made from her photo "
            "(NovelAI got it as a 512×768 img2img input)") in chat, chat
    # The files agree: the img2img job kept the input NovelAI got, and its result is framed in that input's colour.
    _, (result, what), (given, kind) = ann_files(stdout)[:3]
    assert what.startswith("seed ") and kind == "the input it was made from", stdout
    assert given.parent == result.parent and given.name == f"input-{sha256(given)[:12]}.png"
    assert picture_size(given.read_bytes()) == picture_size(result.read_bytes()) == (512, 768)
    assert result_colour(result.read_bytes()) == marker_colour(sha256(given))
    assert result_comment(result.read_bytes())["strength"] == 0.6


def test_demo_presses_enhance_under_the_img2img_result(demo: tuple[Path, str]) -> None:
    _, stdout = demo
    chat = transcript(stdout)
    img2img = chat.index("img2img: Ann's photo")
    pressed = chat.index("  Ann: [presses ✨ Enhance under that result]")
    enhanced = chat.index("  Enhance: result 512×768 → 768×1152 (1.5×), made from that result "
                          "(NovelAI got it as a 768×1152 img2img input)")
    assert img2img < pressed < enhanced, chat
    assert "✨ Enhance" in chat[:pressed].rsplit("buttons:", 1)[1].splitlines()[0], "the button was under the result"
    files = ann_files(stdout)
    assert len(files) == 5, stdout
    (result, _), (given, kind) = files[3:]
    assert kind == "the input it was made from" and given.parent == result.parent
    assert picture_size(given.read_bytes()) == picture_size(result.read_bytes()) == (768, 1152)
    assert result_colour(result.read_bytes()) == marker_colour(sha256(given))
