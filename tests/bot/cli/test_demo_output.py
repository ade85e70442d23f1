"""What `naibot demo` (`make demo`) prints is what happened: every PNG it saved is listed (the Telegram
conversation's too), and its Telegram transcript shows messages in the order they last changed, so the
status edited to "✅ Done" does not come before the `/queue` reply sent while the job still ran."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tasks.launch import ROOT

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
    assert len(saved) == 6, "five from the queue part, one from the Telegram conversation"
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
