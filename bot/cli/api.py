"""``naibot api``: serve the HTTP API with uvicorn.

The listening socket is bound here, before uvicorn starts the application: a taken port is one
line naming the fix (exit 2), and the application's "up on" line is logged only once the port is
ours (uvicorn would start the app first, log it up, and only then fail to bind, exit 3).
"""

from __future__ import annotations

import argparse
import errno
import socket
import sys

from bot.cli.common import EXIT_OK, EXIT_USAGE, refuse_without_secret_key
from naibot.settings import Settings


def listen(host: str, port: int, backlog: int) -> socket.socket:
    """A listening TCP socket on host:port (IPv6 when the host is an IPv6 address), as uvicorn binds."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(backlog)
    except BaseException:
        sock.close()
        raise
    return sock


def cannot_listen(host: str, port: int, exc: OSError) -> str:
    """The one line for a socket that could not be had, with the way out when the port is taken."""
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    if exc.errno == errno.EADDRINUSE:
        return (f"cannot listen on {where}: address already in use (another naibot api? "
                "set api.port / NAIBOT_API__PORT)")
    if exc.errno == errno.EACCES:
        return f"cannot listen on {where}: permission denied (ports below 1024 need privileges; set api.port)"
    reason = exc.strerror or str(exc)
    return f"cannot listen on {where}: {reason[:1].lower()}{reason[1:]} (check api.listen / NAIBOT_API__LISTEN)"


def port_number(text: str) -> int:
    """``--port``: 0..65535 (0: any free port), or a usage error naming the range."""
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (0-65535)")
    return port


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    # The API keys guard every job and the status page: an example or guessable one is refused.
    if (refused := refuse_without_secret_key(settings, api_keys=True)) is not None:
        return refused
    import uvicorn

    from bot.http.app import create_app

    host = args.host or settings.api.listen
    port = settings.api.port if args.port is None else args.port
    # The app logs where it is up from its settings: the address actually served.
    settings = settings.model_copy(update={"api": settings.api.model_copy(update={"listen": host, "port": port})})
    # Our own logging setup (with the redacting filter) stays in charge: log_config=None.
    config = uvicorn.Config(create_app(settings), host=host, port=port, log_config=None, access_log=False)
    try:
        sock = listen(host, port, config.backlog)
    except OSError as exc:
        print(f"naibot: {cannot_listen(host, port, exc)}", file=sys.stderr)
        return EXIT_USAGE
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    return EXIT_OK


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    what = ("run the HTTP API: queue and follow jobs (POST /generate, GET /task_status, images), /healthz, "
            "/metrics and the admin status page")
    api = sub.add_parser("api", help=what, description=what[:1].upper() + what[1:] + ".")
    api.add_argument("--host", help="listen address (default: api.listen)")
    api.add_argument("--port", type=port_number, help="port (default: api.port)")
    api.set_defaults(handler=_serve)
