"""Settings: file, environment overrides, and errors that name the key."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.cli.common import EXIT_USAGE
from bot.cli.main import main
from naibot.settings import SettingsError, load_settings, secret

GOOD_KEY = "x" * 32


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "settings.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_missing_file_gives_documented_defaults(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "absent.yaml", env={})
    assert settings.redis.url == "redis://127.0.0.1:6379/0"
    assert settings.novelai.api_url == "https://api.novelai.net"
    assert settings.novelai.image_url == "https://image.novelai.net"
    assert settings.storage.backend == "local"


def test_shipped_settings_yaml_is_valid() -> None:
    settings = load_settings(Path(__file__).resolve().parents[2] / "settings.yaml", env={})
    assert settings.redis.prefix == "naibot"


def test_unknown_key_is_named_in_the_error(tmp_path: Path) -> None:
    path = write(tmp_path, "redis:\n  urll: redis://x\n")
    with pytest.raises(SettingsError, match=r"redis\.urll: unknown key"):
        load_settings(path, env={})


def test_bad_value_is_named_with_the_problem(tmp_path: Path) -> None:
    path = write(tmp_path, "novelai:\n  timeouts:\n    generate: -5\n")
    with pytest.raises(SettingsError, match=r"novelai\.timeouts\.generate: .*greater than 0"):
        load_settings(path, env={})


def test_invalid_yaml_is_reported(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="not valid YAML"):
        load_settings(write(tmp_path, "redis: [unclosed\n"), env={})


def test_systematic_env_override_reaches_nested_keys(tmp_path: Path) -> None:
    env = {"NAIBOT_REDIS__PREFIX": "bot2", "NAIBOT_NOVELAI__TIMEOUTS__GENERATE": "300"}
    settings = load_settings(write(tmp_path, "redis:\n  prefix: fromfile\n"), env=env)
    assert settings.redis.prefix == "bot2"
    assert settings.novelai.timeouts.generate == 300.0


def test_env_override_of_unknown_key_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"redis\.nope"):
        load_settings(tmp_path / "none.yaml", env={"NAIBOT_REDIS__NOPE": "1"})


@pytest.mark.parametrize(
    ("name", "value", "getter"),
    [
        ("REDIS_URL", "redis://10.0.0.5:6380/2", lambda s: s.redis.url),
        ("MINIO_ENDPOINT", "minio:9000", lambda s: s.storage.minio.endpoint),
        ("MINIO_ACCESS_KEY", "AKIA", lambda s: secret(s.storage.minio.access_key)),
        ("MINIO_SECRET_KEY", "shh-secret", lambda s: secret(s.storage.minio.secret_key)),
        ("MINIO_SECURE", "true", lambda s: s.storage.minio.secure),
        ("MINIO_BUCKET", "pics", lambda s: s.storage.minio.bucket),
        ("NOVELAI_API_URL", "http://127.0.0.1:1", lambda s: s.novelai.api_url),
        ("NOVELAI_IMAGE_URL", "http://127.0.0.1:2", lambda s: s.novelai.image_url),
        ("NOVELAI_TOKEN", "pst-abc", lambda s: secret(s.novelai.default_account.token)),
        ("NOVELAI_EMAIL", "a@b.c", lambda s: s.novelai.default_account.email),
        ("NOVELAI_PASSWORD", "pw", lambda s: secret(s.novelai.default_account.password)),
        ("NAIBOT_SECRET_KEY", GOOD_KEY, lambda s: secret(s.security.secret_key)),
        ("STORAGE_BACKEND", "minio", lambda s: s.storage.backend),
        ("STORAGE_DIR", "/srv/images", lambda s: str(s.storage.dir)),
        ("TELEGRAM_TOKEN", "123:abc", lambda s: secret(s.telegram.token)),
        ("TELEGRAM_API_URL", "http://127.0.0.1:3", lambda s: s.telegram.api_url),
        ("DISCORD_TOKEN", "dtok", lambda s: secret(s.discord.token)),
        ("DISCORD_API_URL", "http://127.0.0.1:4/api/v10", lambda s: s.discord.api_url),
        ("DISCORD_GATEWAY_URL", "ws://127.0.0.1:5/", lambda s: s.discord.gateway_url),
    ],
)
def test_well_known_environment_names_work(tmp_path: Path, name: str, value: str, getter) -> None:
    settings = load_settings(tmp_path / "none.yaml", env={name: value})
    expected = True if value == "true" else value
    assert getter(settings) == expected


def test_redis_host_and_port_replace_parts_of_the_url(tmp_path: Path) -> None:
    path = write(tmp_path, "redis:\n  url: redis://:pw@localhost:6379/3\n")
    settings = load_settings(path, env={"REDIS_HOST": "cache.internal", "REDIS_PORT": "6390"})
    assert settings.redis.url == "redis://:pw@cache.internal:6390/3"


def test_short_secret_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"NAIBOT_SECRET_KEY: .*at least 32"):
        load_settings(tmp_path / "none.yaml", env={"NAIBOT_SECRET_KEY": "short"})


def test_settings_path_comes_from_naibot_settings(tmp_path: Path) -> None:
    path = write(tmp_path, "redis:\n  prefix: viaenv\n")
    assert load_settings(env={"NAIBOT_SETTINGS": str(path)}).redis.prefix == "viaenv"


def test_cli_exits_nonzero_before_doing_anything_on_bad_settings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "storage:\n  backend: floppy\n")
    assert main(["--settings", str(path), "settings", "check"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "storage.backend" in err


def test_settings_check_masks_secrets(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOVELAI_PASSWORD", "hunter2-very-secret")
    monkeypatch.setenv("NAIBOT_SECRET_KEY", "Zq3vL9xT2mW8rK5pN1bY7cH4dF6gJ0sA")
    assert main(["--settings", os.devnull, "settings", "check"]) == 0
    out = capsys.readouterr().out
    assert "hunter2-very-secret" not in out
    assert "**********" in out
