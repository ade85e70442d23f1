"""A settings error names where to fix it: the variable that set the bad value, or the file and the
key; and a port or URL that no client could connect to is refused at load, named the same way
(first-run report findings 6 and 7)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.cli.common import EXIT_USAGE
from bot.cli.main import main
from naibot.settings import SettingsError, load_settings


def error_for(env: dict[str, str], file_text: str | None = None, tmp_path: Path | None = None) -> str:
    path: str | Path = os.devnull
    if file_text is not None:
        assert tmp_path is not None
        path = tmp_path / "settings.yaml"
        path.write_text(file_text, encoding="utf-8")
    with pytest.raises(SettingsError) as caught:
        load_settings(path, env=env)
    return str(caught.value)


@pytest.mark.parametrize(("env", "line"), [
    ({"NAIBOT_QUEUE__MAX_ATTEMPTS": "abc"}, "NAIBOT_QUEUE__MAX_ATTEMPTS: Input should be a valid integer"),
    ({"NAIBOT_SECRET_KEY": "short"}, "NAIBOT_SECRET_KEY: must be at least 32 characters long"),
    # The README's old line typed literally: NOVELAI_API_URL=NOVELAI_IMAGE_URL=http://...
    ({"NOVELAI_API_URL": "NOVELAI_IMAGE_URL=http://127.0.0.1:8765"}, "NOVELAI_API_URL: must be an http:// or https://"),
    ({"NAIBOT_REDIS__PORT": "6380"}, "NAIBOT_REDIS__PORT: unknown variable"),
    ({"NAIBOT_API__KEYS": "[{key:x,identity:admin}]"}, "NAIBOT_API__KEYS: Input should be a valid list"),
])
def test_an_environment_error_names_the_variable(env: dict[str, str], line: str) -> None:
    message = error_for(env)
    assert f"\n  {line}" in message
    assert "settings.yaml" not in message and os.devnull not in message


def test_a_file_error_names_the_file_and_the_key(tmp_path: Path) -> None:
    message = error_for({}, "queue:\n  max_attempts: abc\n", tmp_path)
    assert f"{tmp_path / 'settings.yaml'}: queue.max_attempts: Input should be a valid integer" in message


def test_a_variable_replacing_a_good_file_value_is_blamed_not_the_file(tmp_path: Path) -> None:
    message = error_for({"NAIBOT_QUEUE__MAX_ATTEMPTS": "abc"}, "queue:\n  max_attempts: 3\n", tmp_path)
    assert "NAIBOT_QUEUE__MAX_ATTEMPTS: " in message
    assert "settings.yaml" not in message


def test_errors_from_file_and_environment_are_listed_together(tmp_path: Path) -> None:
    message = error_for({"NAIBOT_SECRET_KEY": "short"}, "storage:\n  backend: floppy\n", tmp_path)
    assert "NAIBOT_SECRET_KEY: must be at least 32" in message
    assert f"{tmp_path / 'settings.yaml'}: storage.backend: " in message


def test_an_error_inside_a_json_value_names_the_variable_and_the_item() -> None:
    message = error_for({"NAIBOT_API__KEYS": '[{"key": "short-secret", "identity": "a"}]'})
    assert "NAIBOT_API__KEYS: 0.key: API keys must be at least 16 characters long" in message
    assert "short-secret" not in message


def test_an_unknown_key_inside_a_json_value_is_an_unknown_key_of_that_variable() -> None:
    message = error_for({"NAIBOT_API__KEYS": '[{"key": "a-long-enough-api-key", "identity": "a", "admn": true}]'})
    assert "\n  NAIBOT_API__KEYS: 0.admn: unknown key (check the spelling)" in message


@pytest.mark.parametrize(("env", "line"), [
    ({"REDIS_PORT": "abc"}, "REDIS_PORT: must be a port number from 1 to 65535"),
    ({"REDIS_PORT": "99999"}, "REDIS_PORT: must be a port number from 1 to 65535"),
    ({"REDIS_PORT": "0"}, "REDIS_PORT: must be a port number from 1 to 65535"),
    ({"REDIS_URL": "redis://127.0.0.1:99999/0"}, "REDIS_URL: its port must be a number from 1 to 65535"),
    ({"REDIS_URL": "redis://:pw-in-url@127.0.0.1:abc/0"}, "REDIS_URL: its port must be a number from 1 to 65535"),
    ({"NOVELAI_API_URL": "http://127.0.0.1:80x"}, "NOVELAI_API_URL: its port must be a number"),
    ({"NOVELAI_IMAGE_URL": "https://:443"}, "NOVELAI_IMAGE_URL: names no host"),
    ({"TELEGRAM_API_URL": "http://127.0.0.1:70000"}, "TELEGRAM_API_URL: its port must be a number"),
    ({"TELEGRAM_API_URL": "api.telegram.org"}, "TELEGRAM_API_URL: must be an http:// or https:// URL"),
    ({"DISCORD_API_URL": "http://[::1/api"}, "DISCORD_API_URL: is not a valid URL"),
    ({"DISCORD_GATEWAY_URL": "https://gateway.discord.gg/"}, "DISCORD_GATEWAY_URL: must be a ws:// or wss:// URL"),
    ({"MINIO_ENDPOINT": "minio:90000"}, "MINIO_ENDPOINT: its port must be a number"),
    ({"NAIBOT_TELEGRAM__WEBHOOK_URL": "https://bot.example:x/tg"}, "NAIBOT_TELEGRAM__WEBHOOK_URL: its port"),
    ({"NAIBOT_API__PUBLIC_URL": "https://bot.example:0"}, "NAIBOT_API__PUBLIC_URL: its port"),
    ({"NAIBOT_STORAGE__PUBLIC_BASE_URL": "ftp://files.example"}, "NAIBOT_STORAGE__PUBLIC_BASE_URL: must be an http"),
])
def test_a_port_or_url_no_client_could_use_is_refused_at_load(env: dict[str, str], line: str) -> None:
    message = error_for(env)
    assert f"\n  {line}" in message
    assert "pw-in-url" not in message


def test_the_command_refuses_a_bad_redis_port_with_exit_2_and_no_traceback(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Before: `REDIS_PORT=abc naibot settings check` passed, then `naibot queue` died in a ValueError."""
    monkeypatch.setenv("NAIBOT_SETTINGS", os.devnull)
    monkeypatch.setenv("REDIS_PORT", "abc")
    assert main(["queue"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err == "naibot: invalid settings:\n  REDIS_PORT: must be a port number from 1 to 65535\n"
