"""The environment layer of the settings, and where each value came from.

Overrides, one systematic scheme: ``NAIBOT_<SECTION>__<KEY>`` (double underscore between levels,
case-insensitive), e.g. ``NAIBOT_REDIS__PREFIX=bot1`` or ``NAIBOT_NOVELAI__TIMEOUTS__GENERATE=300``.
Values that look like JSON lists or objects are parsed as JSON. The well-known names in
``WELL_KNOWN_ENV`` (the original design's ``REDIS_HOST``, ``MINIO_*`` and friends) work too; they
win over ``NAIBOT_*`` for the same key.

Why ``Sources``: a value can come from the settings file or from one of several variables, and an
error must name the place the operator has to edit. "settings.yaml: queue.max_attempts" sends them
searching a file that is fine, when the culprit is ``NAIBOT_QUEUE__MAX_ATTEMPTS`` in a ``.env``. So
the merge records, for every key it sets, the file or the variable, and ``describe`` maps each of
pydantic's error locations back to it. Messages never quote a value (it may be a secret).

Imports nothing of ``naibot.settings`` (which imports this module).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pydantic import ValidationError

ENV_PREFIX = "NAIBOT_"
SETTINGS_PATH_ENV = "NAIBOT_SETTINGS"
SECRET_KEY_ENV = "NAIBOT_SECRET_KEY"
# Names the original design (and common deployment habit) use, mapped to their place in Settings.
WELL_KNOWN_ENV: dict[str, tuple[str, ...]] = {
    "REDIS_URL": ("redis", "url"),
    "MINIO_ENDPOINT": ("storage", "minio", "endpoint"),
    "MINIO_ACCESS_KEY": ("storage", "minio", "access_key"),
    "MINIO_SECRET_KEY": ("storage", "minio", "secret_key"),
    "MINIO_SECURE": ("storage", "minio", "secure"),
    "MINIO_BUCKET": ("storage", "minio", "bucket"),
    "NOVELAI_API_URL": ("novelai", "api_url"),
    "NOVELAI_IMAGE_URL": ("novelai", "image_url"),
    "NOVELAI_TOKEN": ("novelai", "default_account", "token"),
    "NOVELAI_EMAIL": ("novelai", "default_account", "email"),
    "NOVELAI_PASSWORD": ("novelai", "default_account", "password"),
    SECRET_KEY_ENV: ("security", "secret_key"),
    "STORAGE_BACKEND": ("storage", "backend"),
    "STORAGE_DIR": ("storage", "dir"),
    "TELEGRAM_TOKEN": ("telegram", "token"),
    "TELEGRAM_API_URL": ("telegram", "api_url"),
    "DISCORD_TOKEN": ("discord", "token"),
    "DISCORD_API_URL": ("discord", "api_url"),
    "DISCORD_GATEWAY_URL": ("discord", "gateway_url"),
}
# The original design configured Redis by host and port; they replace those parts of redis.url.
REDIS_HOST_ENV = "REDIS_HOST"
REDIS_PORT_ENV = "REDIS_PORT"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
_NOT_KEYS = {SETTINGS_PATH_ENV, SECRET_KEY_ENV}
_FILE = ""  # the source of a value read from the settings file

Key = tuple[str, ...]


def env_name(path: Key) -> str:
    """The variable an operator sets for the setting at ``path``: its well-known name, if it has one."""
    for name, where in WELL_KNOWN_ENV.items():
        if where == path:
            return name
    return ENV_PREFIX + "__".join(part.upper() for part in path)


@dataclass
class Sources:
    """For each key set by the file or the environment: the file (``_FILE``) or the variable.

    A key set later replaces what it covers: a variable that sets ``redis.url`` forgets the file's
    ``redis.url``, one that sets ``redis`` (as JSON) forgets everything under it."""

    file: Path | None = None
    _where: dict[Key, str] = field(default_factory=dict)

    def read_file(self, tree: Mapping[str, Any], path: Path, prefix: Key = ()) -> None:
        self.file = path
        for key, value in tree.items():
            here = (*prefix, str(key))
            if isinstance(value, dict) and value:
                self.read_file(value, path, here)
            else:
                self._where[here] = _FILE

    def set(self, path: Key, variable: str) -> None:
        covered = [key for key in self._where if key[:len(path)] == path or path[:len(key)] == key]
        for key in covered:
            del self._where[key]
        self._where[path] = variable

    def _owner(self, loc: Key) -> tuple[Key, str] | None:
        """The key that set ``loc`` (itself or an ancestor), and its source."""
        for size in range(len(loc), 0, -1):
            if (source := self._where.get(loc[:size])) is not None:
                return loc[:size], source
        return None

    def variable(self, path: Key) -> str | None:
        """The variable that set ``path`` (or a key above it), or None (the file, or a default)."""
        owner = self._owner(path)
        return owner[1] if owner is not None and owner[1] != _FILE else None

    def from_file(self, path: Key) -> bool:
        """Whether the settings file set ``path`` (and no variable replaced it)."""
        owner = self._owner(path)
        return owner is not None and owner[1] == _FILE

    def name(self, path: Key) -> str:
        """How to name the setting at ``path`` to an operator: the variable that set it, or the key
        and the file, or (a default) the variable they would set."""
        owner = self._owner(path)
        if owner is None:
            return env_name(path)
        if owner[1] == _FILE:
            return f"{'.'.join(path)} in {self.file}"
        return owner[1]

    def describe(self, loc: Key, message: str, *, unknown: bool = False) -> str:
        """One error line that starts with where to fix it: the variable, or the file and the key."""
        dotted = ".".join(loc) or "(top level)"
        owner = self._owner(loc)
        if owner is not None:
            key, source = owner
            if source == _FILE:
                if unknown:
                    message = "unknown key (check the spelling)"
                return f"{self.file}: {dotted}: {message}"
            rest = ".".join(loc[len(key):])
            if unknown and not rest:
                return f"{source}: unknown variable, naibot has no setting {dotted} (check the spelling)"
            if unknown:
                message = "unknown key (check the spelling)"  # inside the variable's JSON
            return f"{source}: {rest}: {message}" if rest else f"{source}: {message}"
        below = sorted({str(self.file) if s == _FILE else s for k, s in self._where.items() if k[:len(loc)] == loc})
        if below:
            return f"{dotted} (set by {', '.join(below)}): {message}"
        return f"{dotted}: {message}"


def env_value(raw: str) -> Any:
    text = raw.strip()
    if text[:1] in "[{":
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return raw
    return raw


def _set_path(tree: dict[str, Any], path: Key, value: Any) -> None:
    node = tree
    for part in path[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[path[-1]] = value


def apply_env(tree: dict[str, Any], env: Mapping[str, str], sources: Sources) -> list[str]:
    """Lay the environment over ``tree`` (the file's settings), recording each key's variable in
    ``sources``. Returns the problems found on the way (a ``REDIS_PORT`` that is no port), each
    an error line like ``Sources.describe``'s."""
    for name, raw in sorted(env.items()):
        upper = name.upper()
        if upper.startswith(ENV_PREFIX) and upper not in _NOT_KEYS and "__" in upper:
            path = tuple(part.lower() for part in upper[len(ENV_PREFIX):].split("__"))
            _set_path(tree, path, env_value(raw))
            sources.set(path, name)
    for name, path in WELL_KNOWN_ENV.items():
        if name in env:
            _set_path(tree, path, env_value(env[name]))
            sources.set(path, name)
    return _apply_redis_host_port(tree, env, sources)


def port_problem(port: str) -> str | None:
    """Why ``port`` (text) is not a TCP port a client can connect to, or None."""
    if not (port.isascii() and port.isdigit()) or not 1 <= int(port) <= 65535:
        return "must be a port number from 1 to 65535"
    return None


def _apply_redis_host_port(tree: dict[str, Any], env: Mapping[str, str], sources: Sources) -> list[str]:
    host, port = env.get(REDIS_HOST_ENV), env.get(REDIS_PORT_ENV)
    problems = []
    if port and (problem := port_problem(port.strip())) is not None:
        problems.append(f"{REDIS_PORT_ENV}: {problem}")
        port = None
    if not host and not port:
        return problems
    url = tree.get("redis", {}).get("url") if isinstance(tree.get("redis"), dict) else None
    parts = urlsplit(url if isinstance(url, str) else DEFAULT_REDIS_URL)
    netloc = parts.netloc
    userinfo = ""
    if "@" in netloc:
        userinfo, netloc = netloc.rsplit("@", 1)
        userinfo += "@"
    old_host, _, old_port = netloc.partition(":")
    new_netloc = f"{userinfo}{host or old_host}:{(port or '').strip() or old_port or '6379'}"
    _set_path(tree, ("redis", "url"), urlunsplit(parts._replace(netloc=new_netloc)))
    sources.set(("redis", "url"), " and ".join(name for name, value in
                                               ((REDIS_HOST_ENV, host), (REDIS_PORT_ENV, port)) if value))
    return problems


def describe(error: ValidationError, sources: Sources) -> list[str]:
    """Each of pydantic's errors as one line that names where to fix it (``Sources.describe``)."""
    lines = []
    for item in error.errors():
        loc = tuple(str(part) for part in item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        lines.append(sources.describe(loc, message, unknown=item["type"] == "extra_forbidden"))
    return lines
