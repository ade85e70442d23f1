"""Which settings file the command reads: a path it was given must exist; a missing default
``./settings.yaml`` is said once; a relative ``storage.dir`` in the file belongs to the file's
directory (first-run report finding 8)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli.common import EXIT_OK, EXIT_USAGE
from bot.cli.main import main
from tests.fixtures.redis import REDIS_URL, TEST_SECRET_KEY

NOTE = "naibot: no ./settings.yaml here, using the built-in defaults\n"


pytestmark = pytest.mark.usefixtures("bare_environment")


def test_a_settings_path_given_on_the_command_line_that_does_not_exist_is_an_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "setings.yaml"
    assert main(["--settings", str(missing), "settings", "check"]) == EXIT_USAGE
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"naibot: settings file {missing} (from --settings) does not exist\n"


def test_a_settings_path_from_naibot_settings_that_does_not_exist_is_an_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("NAIBOT_SETTINGS", "nonexistent.yaml")
    assert main(["queue"]) == EXIT_USAGE
    assert capsys.readouterr().err == "naibot: settings file nonexistent.yaml (from NAIBOT_SETTINGS) does not exist\n"


def test_a_missing_default_settings_file_is_said_once_and_the_command_runs_on_the_defaults(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], redis_prefix: str) -> None:
    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    monkeypatch.setenv("NAIBOT_REDIS__PREFIX", redis_prefix)
    monkeypatch.setenv("NAIBOT_SECRET_KEY", TEST_SECRET_KEY)
    assert main(["queue", "--json"]) == EXIT_OK
    out, err = capsys.readouterr()
    assert json.loads(out)["waiting"] == 0
    assert err == NOTE


def test_settings_check_says_that_it_runs_on_the_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    main(["settings", "check"])
    err = capsys.readouterr().err
    assert "naibot: read no settings file (settings.yaml is absent), built-in defaults; no .env file\n" in err
    assert NOTE not in err


def test_a_relative_storage_dir_in_the_file_is_relative_to_the_files_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """From the file: next to the file, wherever the process starts. From STORAGE_DIR: as given."""
    deploy = tmp_path / "deploy"
    deploy.mkdir()
    (deploy / "settings.yaml").write_text("storage:\n  dir: ./images\n", encoding="utf-8")
    main(["--settings", str(deploy / "settings.yaml"), "settings", "check"])
    assert json.loads(capsys.readouterr().out)["storage"]["dir"] == str(deploy / "images")
    monkeypatch.setenv("STORAGE_DIR", "pictures")
    main(["--settings", str(deploy / "settings.yaml"), "settings", "check"])
    assert json.loads(capsys.readouterr().out)["storage"]["dir"] == "pictures"
