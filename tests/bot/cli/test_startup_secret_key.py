"""Every long-running process refuses to start with accounts enabled and no NAIBOT_SECRET_KEY."""

from __future__ import annotations

import os
import socket

import pytest

from bot.cli import chat as cli_chat
from bot.cli.common import EXIT_USAGE
from bot.cli.demo import demo_env
from bot.cli.main import main
from naibot.settings import load_settings
from novelai.factory import require_secret_key
from tests.fixtures.redis import TEST_SECRET_KEY

ENTRY_POINTS = ("telegram", "discord", "api", "worker")


class Reached(Exception):
    """Raised by the stand-ins for what each process does after the check."""


class _FakeBot:
    def __init__(self, settings: object) -> None:
        pass

    def run(self) -> None:
        raise Reached()


@pytest.fixture(autouse=True)
def bare_environment(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """No settings file and no key; every process's real start replaced by a marker."""
    monkeypatch.setenv("NAIBOT_SETTINGS", os.devnull)
    monkeypatch.delenv("NAIBOT_SECRET_KEY", raising=False)
    monkeypatch.delenv("NAIBOT_BOT__ACCOUNTS_ENABLED", raising=False)
    monkeypatch.setattr(cli_chat, "_telegram_bot", lambda: _FakeBot)
    monkeypatch.setattr(cli_chat, "_discord_bot", lambda: _FakeBot)

    def reached(*args: object, **kwargs: object) -> None:
        raise Reached()

    monkeypatch.setattr("bot.http.app.create_app", lambda settings: None)
    # naibot api binds its socket itself, then hands it to uvicorn's Server (bot/cli/api.py).
    monkeypatch.setattr("bot.cli.api.listen", lambda host, port, backlog: socket.socket())
    monkeypatch.setattr("uvicorn.Server.run", reached)
    monkeypatch.setattr("bot.cli.queue.os.execv", reached)


@pytest.mark.parametrize("command", ENTRY_POINTS)
def test_process_exits_2_naming_the_key_when_accounts_are_enabled_without_one(
        command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([command]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "NAIBOT_SECRET_KEY" in err and "accounts" in err
    assert "NAIBOT_BOT__ACCOUNTS_ENABLED=false" in err


@pytest.mark.parametrize("command", ENTRY_POINTS)
def test_process_starts_without_a_key_when_accounts_are_disabled(command: str,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NAIBOT_BOT__ACCOUNTS_ENABLED", "false")
    with pytest.raises(Reached):
        main([command])


@pytest.mark.parametrize("command", ENTRY_POINTS)
def test_process_starts_with_accounts_enabled_and_a_key(command: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NAIBOT_SECRET_KEY", TEST_SECRET_KEY)
    with pytest.raises(Reached):
        main([command])


def test_demo_worker_environment_carries_its_own_key_so_a_fresh_machine_passes_the_check(tmp_path) -> None:
    env = demo_env("redis://127.0.0.1:6379/0", "demo", "http://127.0.0.1:1", tmp_path)
    settings = load_settings(env={**env, "NAIBOT_SETTINGS": str(tmp_path / "none.yaml")})
    assert settings.bot.accounts_enabled
    require_secret_key(settings)  # raises if the demo's worker would be refused
