"""What makes a URL setting usable, checked when the settings are loaded.

Why at load: ``REDIS_PORT=abc`` or ``REDIS_URL=redis://host:99999/0`` used to pass the settings
check and crash the first command that connected, with a ``ValueError`` traceback from inside the
client library. Checked here, the mistake stops every process at start, named by its variable
(``naibot.settings_env``). The reasons never quote the URL: it may carry a password.
"""

from __future__ import annotations

from collections.abc import Collection
from urllib.parse import SplitResult, urlsplit

PORT_RANGE = "its port must be a number from 1 to 65535"


def _split(value: str) -> SplitResult | None:
    try:
        return urlsplit(value)
    except ValueError:  # "Invalid IPv6 URL": an unclosed [
        return None


def port_problem(parts: SplitResult) -> str | None:
    """Why the port of ``parts`` is unusable (not a number, 0, above 65535), or None (none given is fine)."""
    try:
        port = parts.port
    except ValueError:  # urllib: "Port could not be cast to integer value", "Port out of range 0-65535"
        return PORT_RANGE
    return PORT_RANGE if port == 0 else None


def url_problem(value: str, schemes: Collection[str], scheme_problem: str, *, host: bool = True) -> str | None:
    """Why ``value`` is not a URL a client can connect to, or None.

    ``scheme_problem`` is the reason given for a scheme outside ``schemes``; ``host``: it must name
    a host (a unix:// socket path does not)."""
    parts = _split(value)
    if parts is None:
        return "is not a valid URL (an unclosed [ in the host)"
    if parts.scheme not in schemes:
        return scheme_problem
    if host and parts.scheme != "unix" and not parts.hostname:
        return "names no host"
    return port_problem(parts)


def http_url_problem(value: str) -> str | None:
    return url_problem(value, {"http", "https"}, "must be an http:// or https:// URL")


def endpoint_problem(value: str) -> str | None:
    """Why ``host[:port]`` (no scheme, as MinIO's client wants it) is unusable, or None."""
    parts = _split(f"//{value}")
    if parts is None or "/" in value or not parts.hostname:
        return "must be host or host:port (no scheme, no path)"
    return port_problem(parts)
