"""Typed, validated settings: ``settings.yaml`` first, then the environment on top.

One module owns configuration so every process (worker, bots, API, CLI) reads it the same way
and a mistake is caught at start, named by where to fix it, before anything runs. The sections are
in ``naibot.settings_sections``; the environment layer (``NAIBOT_<SECTION>__<KEY>``, the
well-known names) and the record of which variable set what, in ``naibot.settings_env``; which file
and which ``.env`` the ``naibot`` command reads, in ``naibot.settings_source``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, SecretStr, ValidationError

from naibot.settings_env import SETTINGS_PATH_ENV, Sources, apply_env, describe
from naibot.settings_sections import (
    MIN_SECRET_KEY_LENGTH,
    ApiKeySettings,
    ApiSettings,
    BotSettings,
    DiscordSettings,
    LoggingSettings,
    MinioSettings,
    NovelAILimits,
    NovelAISettings,
    QueueSettings,
    RedisSettings,
    Section,
    SecuritySettings,
    StorageSettings,
    TelegramSettings,
    WorkerSettings,
    webhook_secret_problem,
)

__all__ = [
    "MIN_SECRET_KEY_LENGTH", "ApiKeySettings", "ApiSettings", "BotSettings", "DiscordSettings", "ImagesSettings",
    "LoggingSettings",
    "MinioSettings", "NovelAILimits", "NovelAISettings", "QueueSettings", "RedisSettings", "SecuritySettings",
    "Settings", "SettingsError", "Sources", "StorageSettings", "TelegramSettings", "WorkerSettings", "load_settings",
    "load_traced", "secret", "webhook_secret_problem",
]

_MIB = 1024 * 1024


class ImagesSettings(Section):
    """Bounds of the images people hand the bot (img2img, masks, vibes, references, tools), checked
    before anything parses them (``novelai.image_input``). A decoded image costs 4 bytes a pixel, so
    ``max_input_pixels`` bounds the memory one upload can take: 16,777,216 px (4096², a 12 MP phone
    photo fits) is 64 MB. Pillow's own bomb guard (89,478,485 px) is the ceiling."""

    max_input_bytes: int = Field(10 * _MIB, ge=64 * 1024, le=100 * _MIB)
    max_input_pixels: int = Field(4096 * 4096, ge=64 * 64, le=89_478_485)


class Settings(Section):
    redis: RedisSettings = RedisSettings()
    novelai: NovelAISettings = NovelAISettings()
    security: SecuritySettings = SecuritySettings()
    storage: StorageSettings = StorageSettings()
    telegram: TelegramSettings = TelegramSettings()
    discord: DiscordSettings = DiscordSettings()
    queue: QueueSettings = QueueSettings()
    worker: WorkerSettings = WorkerSettings()
    bot: BotSettings = BotSettings()
    api: ApiSettings = ApiSettings()
    logging: LoggingSettings = LoggingSettings()
    images: ImagesSettings = ImagesSettings()


class SettingsError(Exception):
    """The settings file or environment is wrong; the message names every bad key by where to fix it."""


def _read_file(path: Path, sources: Sources) -> dict[str, Any]:
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SettingsError(f"{path}: not valid YAML: {exc}") from exc
    if loaded is not None and not isinstance(loaded, dict):
        raise SettingsError(f"{path}: the top level must be a mapping of sections (redis:, novelai:, ...)")
    sources.read_file(loaded or {}, path)
    return loaded or {}


def load_traced(path: str | Path | None = None, env: Mapping[str, str] | None = None
                ) -> tuple[Settings, Sources]:
    """``load_settings``, and where each value came from (to name a setting as the operator set it)."""
    env = os.environ if env is None else env
    path = Path(path or env.get(SETTINGS_PATH_ENV) or "settings.yaml")
    sources = Sources()
    tree = _read_file(path, sources) if path.exists() else {}
    problems = apply_env(tree, env, sources)
    try:
        settings = Settings.model_validate(tree)
    except ValidationError as exc:
        problems += describe(exc, sources)
    if problems:
        raise SettingsError("invalid settings:\n" + "\n".join(f"  {line}" for line in problems))
    if sources.file is not None and sources.from_file(("storage", "dir")) and not settings.storage.dir.is_absolute():
        # The file's directory is the deployment's: a process started elsewhere finds the same images.
        settings.storage.dir = sources.file.parent / settings.storage.dir
    return settings, sources


def load_settings(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Read the YAML file (if it exists) and the environment into validated ``Settings``.

    Raises ``SettingsError`` naming each bad setting by where it was set: the variable, or the
    file and the key. A missing file is fine here (defaults + env): tests and tools use that to
    run on the built-in defaults. The ``naibot`` command is stricter about a path it was given
    (``naibot.settings_source``). A relative ``storage.dir`` in the file is taken relative to the
    file's directory; one from ``STORAGE_DIR`` (or the default) relative to the working directory.
    """
    return load_traced(path, env)[0]


def secret(value: SecretStr | None) -> str | None:
    """Unwrap a SecretStr at the last moment, where the secret is actually used."""
    return value.get_secret_value() if value is not None else None
