"""``naibot settings check`` fails (exit 2) on what would stop a process or is surely wrong, naming
each problem by its variable and never printing the value (first-run report finding 9)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from bot.cli.common import EXIT_OK, EXIT_USAGE
from bot.cli.main import main
from sandbox.discord import DEFAULT_TOKEN as DISCORD_SANDBOX_TOKEN
from sandbox.novelai.accounts import OPUS_TOKEN
from sandbox.telegram import DEFAULT_TOKEN as TELEGRAM_SANDBOX_TOKEN
from tasks.launch import ROOT
from tests.fixtures.redis import TEST_SECRET_KEY

PLACEHOLDER = "is a placeholder (an example value, or one containing '...' or 'change-me'), not a real one: fill it in"
WEBHOOK_SECRET = "q8Zr1S2n7Wq0pXo8v-Kc3_dYh5LmTa9BuE6fGiJ4kN"


@pytest.fixture(autouse=True)
def strong_key_only(bare_environment: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A deployment with a strong key and nothing else (no settings file)."""
    monkeypatch.setenv("NAIBOT_SETTINGS", os.devnull)
    monkeypatch.setenv("NAIBOT_SECRET_KEY", TEST_SECRET_KEY)


def check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str]]:
    """The exit status and the problem lines (stderr, without the line saying which files were read)."""
    status = main([*args, "settings", "check"])
    lines = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("naibot: read ")]
    return status, lines


def test_no_secret_key_while_accounts_are_on_is_named_with_who_refuses_and_the_fix(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("NAIBOT_SECRET_KEY")
    status, lines = check(capsys)
    assert status == EXIT_USAGE
    (line,) = lines
    assert line.startswith("naibot: NAIBOT_SECRET_KEY is not set while personal and group accounts are on")
    assert "worker, api, telegram and discord will refuse to start" in line
    assert "NAIBOT_BOT__ACCOUNTS_ENABLED=false" in line
    monkeypatch.setenv("NAIBOT_BOT__ACCOUNTS_ENABLED", "false")
    assert check(capsys) == (EXIT_OK, [])


def test_env_example_copied_verbatim_is_refused_naming_every_placeholder(
        bare_environment: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """The README's path: cp deploy/env.example .env (next to settings.yaml), nothing filled in."""
    monkeypatch.delenv("NAIBOT_SECRET_KEY")
    monkeypatch.delenv("NAIBOT_SETTINGS")
    saved_environ = dict(os.environ)
    (bare_environment / "settings.yaml").write_text("", encoding="utf-8")
    shutil.copy(ROOT / "deploy" / "env.example", bare_environment / ".env")
    status, lines = check(capsys)
    assert status == EXIT_USAGE
    named = {line.removeprefix("naibot: ").removeprefix("weak secret: ").split(" ", 1)[0] for line in lines}
    assert {"NOVELAI_TOKEN", "TELEGRAM_TOKEN", "DISCORD_TOKEN", "NAIBOT_SECRET_KEY", "REDIS_URL",
            "NAIBOT_API__KEYS[0]", "NAIBOT_API__KEYS[1]"} <= named
    text = "\n".join(lines)
    for value in ("pst-...", "123456:ABC", "change-me-to-the"):
        assert value not in text
    # Filled in, the same file passes.
    (bare_environment / ".env").write_text("\n".join([
        f"NAIBOT_SECRET_KEY={TEST_SECRET_KEY}", "REDIS_URL=redis://127.0.0.1:6379/0", f"NOVELAI_TOKEN={OPUS_TOKEN}",
        f"TELEGRAM_TOKEN={TELEGRAM_SANDBOX_TOKEN}", f"DISCORD_TOKEN={DISCORD_SANDBOX_TOKEN}",
        "NAIBOT_TELEGRAM__WEBHOOK_URL=https://bot.example/telegram",
        f"NAIBOT_TELEGRAM__WEBHOOK_SECRET={WEBHOOK_SECRET}",
    ]) + "\n", encoding="utf-8")
    os.environ.clear()  # what the first run took from the old .env
    os.environ.update(saved_environ)
    assert check(capsys) == (EXIT_OK, [])


@pytest.mark.parametrize(("name", "value"), [
    ("NOVELAI_TOKEN", "pst-..."), ("NOVELAI_PASSWORD", "..."), ("TELEGRAM_TOKEN", "123456:ABC..."),
    ("DISCORD_TOKEN", "..."), ("MINIO_ACCESS_KEY", "..."), ("MINIO_SECRET_KEY", "change-me-minio-secret"),
])
def test_a_placeholder_is_named_by_its_variable(name: str, value: str, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv(name, value)
    status, lines = check(capsys)
    assert status == EXIT_USAGE
    (line,) = lines
    assert line == f"naibot: {name} {PLACEHOLDER}"


@pytest.mark.parametrize(("name", "value", "words"), [
    ("TELEGRAM_TOKEN", "123456:tooShort", "not shaped like a Telegram bot token"),
    ("TELEGRAM_TOKEN", "bot:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw", "not shaped like a Telegram bot token"),
    ("DISCORD_TOKEN", "MTIwMA-only-one-part", "not shaped like a Discord bot token"),
    ("DISCORD_TOKEN", "MTIwMA.two parts.x", "not shaped like a Discord bot token"),
    ("NOVELAI_TOKEN", "my-novelai-password", "does not look like a NovelAI persistent API token"),
])
def test_a_token_of_the_wrong_shape_is_named_without_its_value(name: str, value: str, words: str,
                                                               monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv(name, value)
    status, lines = check(capsys)
    assert status == EXIT_USAGE
    (line,) = lines
    assert line.startswith(f"naibot: {name} ") and words in line
    assert value not in line


def test_a_token_in_the_settings_file_is_named_by_file_and_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "settings.yaml"
    path.write_text("telegram:\n  token: '123456:ABC...'\n", encoding="utf-8")
    monkeypatch.setenv("NAIBOT_SETTINGS", str(path))
    status, lines = check(capsys)
    assert status == EXIT_USAGE
    assert lines == [f"naibot: telegram.token in {path} {PLACEHOLDER}"]


def test_a_webhook_url_without_its_secret_is_named(monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("NAIBOT_TELEGRAM__WEBHOOK_URL", "https://bot.example/telegram")
    status, lines = check(capsys)
    assert status == EXIT_USAGE
    (line,) = lines
    assert line.startswith("naibot: NAIBOT_TELEGRAM__WEBHOOK_URL is set but NAIBOT_TELEGRAM__WEBHOOK_SECRET is not")
    assert "secrets.token_urlsafe(32)" in line


def test_webhook_mode_without_a_url_is_named(monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("NAIBOT_TELEGRAM__MODE", "webhook")
    monkeypatch.setenv("NAIBOT_TELEGRAM__WEBHOOK_SECRET", WEBHOOK_SECRET)
    status, lines = check(capsys)
    assert status == EXIT_USAGE
    assert lines == ["naibot: NAIBOT_TELEGRAM__MODE is webhook but NAIBOT_TELEGRAM__WEBHOOK_URL is not set: naibot "
                     "telegram will refuse to start; set it to the bot's public https:// URL"]
