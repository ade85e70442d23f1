"""Which settings file and which ``.env`` the ``naibot`` command reads, and how strictly.

- The file: ``--settings PATH``, else ``NAIBOT_SETTINGS``, else ``./settings.yaml``. A path that
  was *given* and does not exist is an error: a typo used to run silently on the built-in defaults
  (another Redis prefix, another deployment). A missing ``./settings.yaml`` is fine, said once.
  ``NAIBOT_SETTINGS=/dev/null`` runs on the defaults and the environment alone, on purpose.
- The ``.env``: the one next to that file (``./.env`` when there is no file), which is where the
  README puts it and where ``honcho`` (run beside ``settings.yaml``) reads it. It is read before the
  environment is laid over the file, and it never replaces a variable that is already set
  (``naibot.env_file``): under honcho or systemd the variables are there already, and one exported
  by hand for a single command is meant to win. So ``naibot generate`` typed in a plain shell
  reaches the deployment that ``honcho start`` runs, not the defaults.

``naibot.settings.load_settings`` stays lenient about a missing file (tests and tools use that).
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass
from pathlib import Path

from naibot.env_file import ENV_FILE_NAME, EnvFileError, load_env_file
from naibot.settings import Settings, SettingsError, Sources, load_traced
from naibot.settings_env import SETTINGS_PATH_ENV

DEFAULT_PATH = Path("settings.yaml")
CLI_OPTION = "--settings"


@dataclass(frozen=True)
class LoadedSettings:
    """The settings of this run and where they came from."""

    settings: Settings
    sources: Sources
    path: Path
    # What named the file: "--settings", "NAIBOT_SETTINGS", or None for the default ./settings.yaml.
    named_by: str | None
    found: bool
    env_file: Path | None

    @property
    def note(self) -> str | None:
        """What to say once on stderr: only that the default file is missing."""
        return None if self.found else f"no ./{DEFAULT_PATH} here, using the built-in defaults"

    def describe(self) -> str:
        """Which files were read, for ``naibot settings check``."""
        where = f"{self.path} (from {self.named_by})" if self.named_by else str(self.path)
        text = f"settings file {where}" if self.found else f"no settings file ({where} is absent), built-in defaults"
        env = f"environment file {self.env_file}" if self.env_file else f"no {ENV_FILE_NAME} file"
        return f"{text}; {env}"


def locate(cli_path: str | None, environ: MutableMapping[str, str]) -> tuple[Path, str | None]:
    """The settings file this run reads, and what named it (None: the default)."""
    if cli_path:
        return Path(cli_path), CLI_OPTION
    if environ.get(SETTINGS_PATH_ENV):
        return Path(environ[SETTINGS_PATH_ENV]), SETTINGS_PATH_ENV
    return DEFAULT_PATH, None


def load_for_command(cli_path: str | None, environ: MutableMapping[str, str]) -> LoadedSettings:
    """The ``naibot`` command's settings: the file, its ``.env`` added to ``environ`` (what is set
    stays), then the environment over the file. Raises ``SettingsError`` for a given path that
    does not exist, an unreadable ``.env`` line, or any invalid setting (named by its source)."""
    path, named_by = locate(cli_path, environ)
    found = path.exists()
    if not found and named_by is not None:
        raise SettingsError(f"settings file {path} (from {named_by}) does not exist")
    env_path = path.parent / ENV_FILE_NAME if found else Path(ENV_FILE_NAME)
    env_file = env_path if env_path.is_file() else None
    if env_file is not None:
        try:
            load_env_file(env_file, environ)
        except (EnvFileError, OSError, UnicodeDecodeError) as exc:
            raise SettingsError(str(exc) if isinstance(exc, EnvFileError) else f"{env_file}: cannot read it ({exc})") \
                from None
    settings, sources = load_traced(path, environ)
    return LoadedSettings(settings, sources, path, named_by, found, env_file)
