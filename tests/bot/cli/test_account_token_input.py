"""`naibot account add NAME --token` takes the token from stdin or NAIBOT_ACCOUNT_TOKEN, never from
argv (visible to every user in ``ps`` and kept in shell history); a token given there is refused."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from pathlib import Path

from bot.cli.common import EXIT_OK, EXIT_USAGE
from sandbox.novelai import OPUS_TOKEN
from tests.fixtures.cli_operator import run

ROOT = Path(__file__).resolve().parents[3]


def running_argv(pid: int) -> bytes:
    """The argv ``ps`` shows for ``pid``, once it has exec'd Python (empty between fork and exec)."""
    deadline = time.monotonic() + 30
    while b"bot.cli" not in (argv := Path(f"/proc/{pid}/cmdline").read_bytes()):
        assert time.monotonic() < deadline, "the CLI did not start"
        time.sleep(0.005)
    return argv


def test_a_token_on_the_command_line_is_refused_and_nothing_is_stored(operator, capsys) -> None:
    prefix, client = operator
    code, out, err = run(capsys, "account", "add", "main", "--token", OPUS_TOKEN)
    assert code == EXIT_USAGE
    assert "stdin" in err and "NAIBOT_ACCOUNT_TOKEN" in err and OPUS_TOKEN not in err + out
    assert client.get(f"{prefix}:nai:account:main") is None


def test_a_bare_token_flag_reads_one_line_from_a_pipe_and_the_token_is_never_in_argv(operator) -> None:
    prefix, client = operator
    process = subprocess.Popen([sys.executable, "-m", "bot.cli", "account", "add", "main", "--token"], cwd=ROOT,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env=dict(os.environ))
    argv = running_argv(process.pid)
    out, err = process.communicate(OPUS_TOKEN.encode() + b"\n", timeout=60)
    assert process.returncode == EXIT_OK, err.decode()
    assert b"saved account main" in out
    assert OPUS_TOKEN.encode() not in argv and b"--token" in argv
    raw = client.get(f"{prefix}:nai:account:main")
    assert raw is not None and OPUS_TOKEN.encode() not in raw


def test_a_bare_token_flag_reads_the_environment_variable(operator, capsys, monkeypatch) -> None:
    prefix, client = operator
    monkeypatch.setenv("NAIBOT_ACCOUNT_TOKEN", OPUS_TOKEN)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    code, _, err = run(capsys, "account", "add", "main", "--token")
    assert code == EXIT_OK, err
    assert client.get(f"{prefix}:nai:account:main") is not None


def test_on_a_terminal_the_token_is_asked_at_a_hidden_prompt(operator, capsys, monkeypatch) -> None:
    prefix, client = operator
    prompts: list[str] = []

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    def hidden(prompt: str = "") -> str:
        prompts.append(prompt)
        return OPUS_TOKEN

    monkeypatch.setattr("sys.stdin", Terminal(""))
    monkeypatch.setattr("getpass.getpass", hidden)
    code, _, err = run(capsys, "account", "add", "main", "--token")
    assert code == EXIT_OK, err
    assert prompts == ["NovelAI token: "]
    assert client.get(f"{prefix}:nai:account:main") is not None


def test_the_default_accounts_novelai_token_is_not_taken_for_another_account(
        operator, capsys, monkeypatch) -> None:
    prefix, client = operator
    monkeypatch.setenv("NOVELAI_TOKEN", OPUS_TOKEN)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    code, _, err = run(capsys, "account", "add", "other", "--token")
    assert code == EXIT_USAGE and "no token given" in err
    assert client.get(f"{prefix}:nai:account:other") is None


def test_the_docs_never_show_a_token_on_the_command_line() -> None:
    for name in ("README.md", "deploy/SCALING.md"):
        for line in (ROOT / name).read_text(encoding="utf-8").splitlines():
            if "account add" in line and "--token" in line:
                assert "--token pst" not in line and "--token <" not in line, line
