"""``naibot sandbox novelai``: run the offline NovelAI stand-in as its own process."""

from __future__ import annotations

import argparse

from bot.cli import run_async
from naibot.settings import Settings


def _novelai(args: argparse.Namespace, settings: Settings) -> int:
    from sandbox.novelai import DEFAULT_ACCOUNTS, parse_account_spec, serve_forever

    specs = [*args.user, *args.token]
    accounts = [parse_account_spec(spec) for spec in specs] if specs else list(DEFAULT_ACCOUNTS)
    return run_async(lambda: serve_forever(args.port, accounts, args.step_latency))


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sandbox", help="offline stand-ins for NovelAI, Telegram and Discord")
    ssub = p.add_subparsers(dest="service", required=True)
    nai = ssub.add_parser("novelai", help="a NovelAI-compatible server on 127.0.0.1")
    nai.add_argument("--port", type=int, default=8765)
    nai.add_argument("--user", action="append", default=[], metavar="EMAIL:PASSWORD[:TIER[:ANLAS]]",
                     help="an email/password account (repeatable)")
    nai.add_argument("--token", action="append", default=[], metavar="pst-...[:TIER[:ANLAS]]",
                     help="a persistent-token account (repeatable)")
    nai.add_argument("--step-latency", type=float, default=0.0, help="seconds per sampling step")
    nai.set_defaults(handler=_novelai)
