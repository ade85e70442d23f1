"""The hidden prompts (`NovelAI password:`, `NovelAI token:`, `New secret key:`) on a real terminal: a
pseudo-terminal that is the CLI's controlling tty, as getpass reads /dev/tty. Ctrl-D there says that
nothing was given (exit 2), Ctrl-C ends the command quietly; never a traceback."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from tests.fixtures.deployment import ROOT
from tests.fixtures.redis import TEST_SECRET_KEY

CTRL_C, CTRL_D = b"\x03", b"\x04"
TIMEOUT = 30.0


def _take_terminal() -> None:
    """In the child, after setsid (start_new_session): make stdin, the pty, the controlling terminal."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def at_the_prompt(tmp_path: Path, args: list[str], prompt: bytes, key: bytes) -> tuple[int, str]:
    """Start ``naibot ARGS`` on a terminal, wait for ``prompt``, type ``key``; its exit status and stderr."""
    settings = tmp_path / "settings.yaml"
    settings.write_text("{}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NAIBOT_", "NOVELAI_", "REDIS_"))}
    env.update({"NAIBOT_SETTINGS": str(settings), "NAIBOT_SECRET_KEY": TEST_SECRET_KEY, "PYTHONPATH": str(ROOT),
                "REDIS_URL": "redis://127.0.0.1:1/0"})  # never reached: the prompt comes first
    master, slave = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "bot.cli", *args], cwd=ROOT, env=env, stdin=slave,
                               stdout=slave, stderr=subprocess.PIPE, start_new_session=True,
                               preexec_fn=_take_terminal)
    os.close(slave)
    try:
        seen, deadline = b"", time.monotonic() + TIMEOUT
        while prompt not in seen:
            assert time.monotonic() < deadline and process.poll() is None, f"no prompt; the terminal shows {seen!r}"
            if select.select([master], [], [], 0.5)[0]:
                seen += os.read(master, 1024)
        os.write(master, key)
        try:
            _, err = process.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"still running {TIMEOUT:.0f} s after {key!r} at the prompt")
        return process.returncode, err.decode()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        os.close(master)


@pytest.mark.parametrize(("args", "prompt", "said"), [
    (["account", "add", "alt", "--email", "me@example.com"], b"NovelAI password: ", "naibot: no password given"),
    (["account", "add", "alt", "--token"], b"NovelAI token: ", "naibot: no token given"),
    (["rotate-key"], b"New secret key: ", "naibot: the new key must be at least 32 characters"),
], ids=["password", "token", "new-key"])
def test_ctrl_d_at_a_hidden_prompt_says_nothing_was_given_and_exits_2(tmp_path: Path, args: list[str],
                                                                    prompt: bytes, said: str) -> None:
    code, err = at_the_prompt(tmp_path, args, prompt, CTRL_D)
    assert code == 2, err
    assert said in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err


@pytest.mark.parametrize(("args", "prompt"), [
    (["account", "add", "alt", "--email", "me@example.com"], b"NovelAI password: "),
    (["account", "add", "alt", "--token"], b"NovelAI token: "),
    (["rotate-key"], b"New secret key: "),
], ids=["password", "token", "new-key"])
def test_ctrl_c_at_a_hidden_prompt_ends_the_command_quietly(tmp_path: Path, args: list[str], prompt: bytes) -> None:
    code, err = at_the_prompt(tmp_path, args, prompt, CTRL_C)
    assert code == 1
    assert err.strip() == "", err
