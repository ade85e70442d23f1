"""``naibot api``: serve the HTTP API with uvicorn."""

from __future__ import annotations

import argparse

from bot.cli.common import EXIT_OK, refuse_without_secret_key
from naibot.settings import Settings


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    # The API keys guard every job and the status page: an example or guessable one is refused.
    if (refused := refuse_without_secret_key(settings, api_keys=True)) is not None:
        return refused
    import uvicorn

    from bot.http.app import create_app

    host = args.host or settings.api.listen
    port = settings.api.port if args.port is None else args.port
    # Our own logging setup (with the redacting filter) stays in charge: log_config=None.
    uvicorn.run(create_app(settings), host=host, port=port, log_config=None, access_log=False)
    return EXIT_OK


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    api = sub.add_parser("api", help="run the HTTP API (jobs, images, health, metrics, status page)")
    api.add_argument("--host", help="listen address (default: api.listen)")
    api.add_argument("--port", type=int, help="port (default: api.port)")
    api.set_defaults(handler=_serve)
