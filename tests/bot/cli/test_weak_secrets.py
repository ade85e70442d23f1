"""Each process refuses the secrets it uses when they are examples or guessable: exit 2, one line
per variable, no traceback, never the value. ``settings check`` names them all and masks the Redis
password."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from honcho.environ import parse as honcho_parse

from bot.cli import chat as cli_chat
from bot.cli.common import EXIT_OK, EXIT_USAGE
from bot.cli.main import main
from naibot.secret_strength import redis_password
from naibot.settings import RedisSettings
from tests.fixtures.http_e2e import free_port
from tests.fixtures.redis import REDIS_URL, TEST_SECRET_KEY

ROOT = Path(__file__).resolve().parents[3]
PROCESSES = ("telegram", "discord", "api", "worker")
STRONG_API_KEY = "DtiFTyN09t7KxD6GKIeXrhBEMvcfMy76ur9KCIH5104="
REDIS_PASSWORD = "sVGa0yK4pZ3n6JbqXw8T1c"


def env_example() -> dict[str, str]:
    """The file read as honcho reads a .env (the JSON value is quoted; tests/deploy/test_env_example.py)."""
    return honcho_parse((ROOT / "deploy" / "env.example").read_text(encoding="utf-8"))


def run_module(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m bot.cli ...`` as systemd or honcho would start it, with ``env`` on top."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("NAIBOT_", "NOVELAI_", "REDIS_"))}
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, env={**base, "NAIBOT_SETTINGS": os.devnull, **env})


def assert_refused_quietly(result: subprocess.CompletedProcess[str], secrets: list[str]) -> None:
    assert result.returncode == EXIT_USAGE, result.stderr
    assert "Traceback" not in result.stderr
    for value in secrets:
        assert value not in result.stderr and value not in result.stdout, "a refusal never prints the value"


def test_the_api_refuses_to_start_on_env_example_unedited() -> None:
    env = env_example()
    result = run_module(env, "api", "--port", str(free_port()))
    password = redis_password(env["REDIS_URL"])
    assert password is not None, "the example REDIS_URL carries a password"
    assert_refused_quietly(result, [password])
    assert result.stderr.splitlines() == [line for line in result.stderr.splitlines() if line.startswith("naibot: ")]
    assert "REDIS_URL" in result.stderr


def test_with_redis_fixed_the_api_names_the_example_secret_key_and_both_api_keys() -> None:
    env = {**env_example(), "REDIS_URL": REDIS_URL}
    result = run_module(env, "api", "--port", str(free_port()))
    examples = [env["NAIBOT_SECRET_KEY"], *(item["key"] for item in json.loads(env["NAIBOT_API__KEYS"]))]
    assert_refused_quietly(result, examples)
    lines = result.stderr.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("naibot: NAIBOT_SECRET_KEY ")
    assert lines[1].startswith("naibot: NAIBOT_API__KEYS[0] (identity admin) ")
    assert lines[2].startswith("naibot: NAIBOT_API__KEYS[1] (identity prometheus) ")


class Reached(Exception):
    """Raised by the stand-ins for what each process does after its checks."""


class _FakeBot:
    def __init__(self, settings: object) -> None:
        pass

    def run(self) -> None:
        raise Reached()


@pytest.fixture
def processes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Strong secrets everywhere; every process's real start replaced by a marker."""
    monkeypatch.setenv("NAIBOT_SETTINGS", os.devnull)
    monkeypatch.setenv("NAIBOT_SECRET_KEY", TEST_SECRET_KEY)
    monkeypatch.setenv("REDIS_URL", f"redis://:{REDIS_PASSWORD}@127.0.0.1:6379/0")
    monkeypatch.setenv("NAIBOT_API__KEYS", json.dumps([{"key": STRONG_API_KEY, "identity": "admin", "admin": True}]))
    monkeypatch.setattr(cli_chat, "_telegram_bot", lambda: _FakeBot)
    monkeypatch.setattr(cli_chat, "_discord_bot", lambda: _FakeBot)

    def reached(*args: object, **kwargs: object) -> None:
        raise Reached()

    monkeypatch.setattr("bot.http.app.create_app", lambda settings: None)
    # naibot api binds its socket itself, then hands it to uvicorn's Server (bot/cli/api.py).
    monkeypatch.setattr("bot.cli.api.listen", lambda host, port, backlog: socket.socket())
    monkeypatch.setattr("uvicorn.Server.run", reached)
    monkeypatch.setattr("bot.cli.queue.os.execv", reached)


@pytest.mark.parametrize("command", PROCESSES)
def test_every_process_starts_with_strong_secrets(processes: None, command: str) -> None:
    with pytest.raises(Reached):
        main([command])


@pytest.mark.parametrize("command", PROCESSES)
@pytest.mark.parametrize("weak", ["change-me-to-the-output-of-openssl-rand-base64-32", "x" * 40,
                                  "my-naibot-secret-password-is-long-enough"])
def test_every_process_that_opens_accounts_refuses_a_guessable_secret_key(
        processes: None, command: str, weak: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("NAIBOT_SECRET_KEY", weak)
    assert main([command]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.startswith("naibot: NAIBOT_SECRET_KEY ") and err.count("\n") == 1 and weak not in err


@pytest.mark.parametrize("command", [*PROCESSES, "queue", "status", "cancel"])
def test_every_process_refuses_the_example_redis_password(
        processes: None, command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://:change-me@127.0.0.1:6379/0")
    args = [command] + (["job-1"] if command in ("status", "cancel") else [])
    assert main(args) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.startswith("naibot: REDIS_URL ") and "change-me@" not in err


def test_the_api_refuses_a_guessable_api_key_naming_its_identity(
        processes: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("NAIBOT_API__KEYS", json.dumps([
        {"key": STRONG_API_KEY, "identity": "admin", "admin": True},
        {"key": "webapp-key-0123456789abcdef", "identity": "webapp"}]))
    assert main(["api"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.startswith("naibot: NAIBOT_API__KEYS[1] (identity webapp) ") and "webapp-key-" not in err


def test_a_bot_does_not_refuse_for_a_weak_api_key_it_never_uses(
        processes: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NAIBOT_API__KEYS", json.dumps([{"key": "webapp-key-0123456789abcdef", "identity": "w"}]))
    with pytest.raises(Reached):
        main(["telegram"])


@pytest.mark.parametrize("action", [["list"], ["status", "main"], ["remove", "main"]])
def test_account_commands_refuse_a_guessable_secret_key(
        processes: None, action: list[str], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("NAIBOT_SECRET_KEY", "a" * 40)
    assert main(["account", *action]) == EXIT_USAGE
    assert capsys.readouterr().err.startswith("naibot: NAIBOT_SECRET_KEY ")


def test_rotate_key_refuses_a_guessable_new_key(processes: None, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("NAIBOT_NEW_SECRET_KEY", "change-me-to-a-new-openssl-rand-base64-32")
    assert main(["rotate-key"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.startswith("naibot: NAIBOT_NEW_SECRET_KEY ") and "change-me-to-a-new" not in err


def test_settings_check_masks_the_redis_password(processes: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["settings", "check"]) == EXIT_OK
    out = capsys.readouterr().out
    assert REDIS_PASSWORD not in out
    assert json.loads(out)["redis"]["url"] == "redis://:**********@127.0.0.1:6379/0"


def test_settings_check_masks_a_password_in_the_query_and_keeps_the_user(
        processes: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("REDIS_URL", f"rediss://naibot:{REDIS_PASSWORD}@10.0.0.5:6380/1")
    main(["settings", "check"])
    # (rediss:// URLs gain the host-name check the settings add for every client, Dramatiq's too.)
    assert json.loads(capsys.readouterr().out)["redis"]["url"] == (
        "rediss://naibot:**********@10.0.0.5:6380/1?ssl_check_hostname=true")
    monkeypatch.setenv("REDIS_URL", f"unix:///run/redis.sock?db=0&password={REDIS_PASSWORD}")
    main(["settings", "check"])
    assert json.loads(capsys.readouterr().out)["redis"]["url"] == "unix:///run/redis.sock?db=0&password=**********"


def test_the_redis_address_start_logs_show_has_no_password_in_its_query() -> None:
    settings = RedisSettings(url=f"unix:///run/redis.sock?db=0&password={REDIS_PASSWORD}")
    assert REDIS_PASSWORD not in settings.address
    assert RedisSettings(url=f"redis://:{REDIS_PASSWORD}@10.0.0.5:6379/0").address == "redis://10.0.0.5:6379/0"


def test_the_redis_address_keeps_the_scheme_when_the_url_has_credentials() -> None:
    """rediss:// (TLS) or redis:// must still show in the start-up line once the user and password go."""
    tls = RedisSettings(url=f"rediss://naibot:{REDIS_PASSWORD}@redis.example.org:6380/2").address
    assert tls.startswith("rediss://redis.example.org:6380/2") and "naibot" not in tls, tls
    assert RedisSettings(url="redis://127.0.0.1:6379/0").address == "redis://127.0.0.1:6379/0"


def test_settings_check_names_each_weak_secret_and_exits_2() -> None:
    env = env_example()
    result = run_module(env, "settings", "check")
    assert_refused_quietly(result, [env["NAIBOT_SECRET_KEY"], redis_password(env["REDIS_URL"]) or "?"])
    weak = [line for line in result.stderr.splitlines() if line.startswith("naibot: weak secret: ")]
    assert [line.split(": ")[2].split(" ")[0] for line in weak] == [
        "REDIS_URL", "NAIBOT_SECRET_KEY", "NAIBOT_API__KEYS[0]", "NAIBOT_API__KEYS[1]"]
