"""The ``naibot`` command reads the ``.env`` that ``honcho start`` gives the processes (the one next
to the settings file, ``./.env`` without one), by honcho's rules, without replacing a variable that
is set already: ``naibot generate`` in a plain shell reaches the deployment, not the defaults
(first-run report finding 5)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from bot.cli.common import EXIT_FAILED, EXIT_USAGE
from bot.cli.main import main
from tests.fixtures.redis import TEST_SECRET_KEY, free_port


class Reached(Exception):
    """What the worker's exec was asked to run, instead of running it."""


pytestmark = pytest.mark.usefixtures("bare_environment")


def deployment(tmp_path: Path, dotenv: str, settings: str = "redis:\n  prefix: fromfile\n") -> Path:
    where = tmp_path / "deploy"
    where.mkdir()
    (where / "settings.yaml").write_text(settings, encoding="utf-8")
    (where / ".env").write_text(dotenv, encoding="utf-8")
    return where / "settings.yaml"


def checked(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[dict, str]:
    main([*args, "settings", "check"])
    out, err = capsys.readouterr()
    return json.loads(out), err


def test_the_dotenv_next_to_the_settings_file_is_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = deployment(tmp_path, "NAIBOT_REDIS__PREFIX=fromdotenv\n")
    (tmp_path / "cwd" / ".env").write_text("NAIBOT_REDIS__PREFIX=fromcwd\n", encoding="utf-8")
    shown, err = checked(capsys, "--settings", str(path))
    assert shown["redis"]["prefix"] == "fromdotenv"
    assert f"naibot: read settings file {path} (from --settings); environment file {path.parent / '.env'}\n" in err


def test_without_a_settings_file_the_dotenv_of_the_working_directory_is_read(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "cwd" / ".env").write_text("NAIBOT_REDIS__PREFIX=fromcwd\n", encoding="utf-8")
    shown, err = checked(capsys)
    assert shown["redis"]["prefix"] == "fromcwd"
    assert "environment file .env\n" in err


def test_a_variable_already_set_wins_over_the_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    path = deployment(tmp_path, "NAIBOT_REDIS__PREFIX=fromdotenv\nNAIBOT_QUEUE__MAX_ATTEMPTS=7\n")
    monkeypatch.setenv("NAIBOT_REDIS__PREFIX", "fromshell")
    shown, _ = checked(capsys, "--settings", str(path))
    assert shown["redis"]["prefix"] == "fromshell"
    assert shown["queue"]["max_attempts"] == 7


def test_the_dotenv_is_read_by_honchos_rules(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """honcho skips `export` lines and drops unquoted blanks and comments; so does the command."""
    path = deployment(tmp_path, "export NAIBOT_QUEUE__MAX_ATTEMPTS=9\nNAIBOT_REDIS__PREFIX = two words # note\n"
                                "NAIBOT_BOT__ADMINS='[\"telegram:1\", \"discord:2\"]'\n")
    shown, _ = checked(capsys, "--settings", str(path))
    assert shown["queue"]["max_attempts"] == 5
    assert shown["redis"]["prefix"] == "twowords"
    assert shown["bot"]["admins"] == ["telegram:1", "discord:2"]


def test_loading_the_dotenv_says_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Its REDIS_URL (a closed port) is used, and the only line is the command's own."""
    closed = free_port()
    path = deployment(tmp_path, f"REDIS_URL=redis://127.0.0.1:{closed}/0\nNAIBOT_SECRET_KEY={TEST_SECRET_KEY}\n")
    assert main(["--settings", str(path), "queue"]) == EXIT_FAILED
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("naibot: the queue is unavailable right now") and f":{closed}" in lines[0]


def test_a_dotenv_line_honcho_cannot_read_stops_the_command_naming_the_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = deployment(tmp_path, "NAIBOT_REDIS__PREFIX=ok\nNOVELAI_TOKEN=\"pst-unclosed-secret\n")
    assert main(["--settings", str(path), "queue"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err == f"naibot: {path.parent / '.env'}, line 2: No closing quotation; honcho cannot read this line either\n"


def test_a_bad_value_in_the_dotenv_is_named_by_its_variable(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                                            ) -> None:
    path = deployment(tmp_path, "NAIBOT_QUEUE__MAX_ATTEMPTS=abc\n")
    assert main(["--settings", str(path), "queue"]) == EXIT_USAGE
    assert "\n  NAIBOT_QUEUE__MAX_ATTEMPTS: Input should be a valid integer" in capsys.readouterr().err


def test_the_worker_hands_the_dotenv_on_to_its_dramatiq_processes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                                  ) -> None:
    path = deployment(tmp_path, f"NAIBOT_SECRET_KEY={TEST_SECRET_KEY}\nNOVELAI_TOKEN=pst-abc\n")

    def execv(program: str, argv: list[str]) -> None:
        raise Reached(dict(os.environ))

    monkeypatch.setattr("bot.cli.queue.os.execv", execv)
    with pytest.raises(Reached) as reached:
        main(["--settings", str(path), "worker"])
    environ = reached.value.args[0]
    assert environ["NOVELAI_TOKEN"] == "pst-abc"
    assert environ["NAIBOT_SECRET_KEY"] == TEST_SECRET_KEY
