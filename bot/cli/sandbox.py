"""``naibot sandbox novelai|telegram|discord|chat``: the offline stand-ins as processes of their own, and a
terminal from which a person is a Telegram or Discord user of them.

Each stand-in prints, once it listens, what a newcomer needs to use it: the environment lines that point
the bot at it (paste them into ``.env``), the accounts or token it accepts, and its control API. None of
this needs a deployment's settings. A port that is taken is one line and exit 2, not a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import os
import sys
from collections.abc import Awaitable, Callable, Sequence

from bot.cli.common import EXIT_USAGE, run_async
from naibot.settings import Settings
from sandbox.novelai.accounts import SandboxAccount

HOST = "127.0.0.1"
NOVELAI_PORT, TELEGRAM_PORT, DISCORD_PORT = 8765, 8766, 8767
# The demo's pace (``naibot demo --step-latency``): a 28-step job takes about a second, long enough to see
# queue positions and progress move; ``--step-latency 0`` answers at once.
STEP_LATENCY = 0.03
TIERS = {0: "Paper", 1: "Tablet", 2: "Scroll", 3: "Opus"}


class CannotListen(Exception):
    """The port is taken (or not ours to take); the message is the whole line to print."""


async def listen(start: Callable[[str, int], Awaitable[str]], port: int) -> str:
    """``start(host, port)`` of a stand-in, with a bind failure turned into :class:`CannotListen`."""
    try:
        return await start(HOST, port)
    except OSError as exc:
        reason = "address already in use" if exc.errno == errno.EADDRINUSE else (
            os.strerror(exc.errno).lower() if exc.errno else str(exc))
        raise CannotListen(f"cannot listen on {HOST}:{port}: {reason} (pick another with --port)") from None


async def serve(start: Callable[[str, int], Awaitable[str]], stop: Callable[[], Awaitable[None]], port: int,
                banner: Callable[[str], Sequence[str]]) -> int:
    """Start a stand-in, print its banner, serve until stopped (Ctrl-C or a signal)."""
    try:
        url = await listen(start, port)
    except CannotListen as exc:
        print(f"naibot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        print("\n".join(banner(url)), flush=True)
        await asyncio.Event().wait()
    finally:
        await stop()
    return 0


# -- novelai ---------------------------------------------------------------------------------


def novelai_banner(url: str, accounts: Sequence[SandboxAccount], step_latency: float) -> list[str]:
    """What ``naibot sandbox novelai`` prints: the accounts it accepts and the lines that point the bot at
    it (the Opus token as ``NOVELAI_TOKEN``; with no token account, the first email and password)."""
    lines = [f"NovelAI stand-in listening on {url} (step latency {step_latency:g} s; its pictures are coloured "
             "shapes, not real art).", "Accounts it accepts:"]
    for account in accounts:
        plan = f"tier {account.tier} ({TIERS.get(account.tier, '?')}), {account.anlas} Anlas"
        plan += "" if account.active else ", subscription lapsed"
        who = f"token {account.token}" if account.token else f"email {account.email}  password {account.password}"
        lines.append(f"  {who}  {plan}")
    tokens = [account for account in accounts if account.token]
    opus = next((account for account in tokens if account.opus_free), tokens[0] if tokens else None)
    lines += ["Point the bot at it (in .env or the environment):", f"NOVELAI_API_URL={url}", f"NOVELAI_IMAGE_URL={url}"]
    if opus is not None:
        lines.append(f"NOVELAI_TOKEN={opus.token}")
    elif accounts:
        lines += [f"NOVELAI_EMAIL={accounts[0].email}", f"NOVELAI_PASSWORD={accounts[0].password}"]
    lines.append(f"Control API: {url}/_sandbox/ (stats, faults, config, accounts; see the README)")
    return lines


def _novelai(args: argparse.Namespace, settings: Settings | None) -> int:
    from sandbox.novelai import DEFAULT_ACCOUNTS, NovelAISandbox, parse_account_spec

    specs = [*args.user, *args.token]
    accounts = [parse_account_spec(spec) for spec in specs] if specs else list(DEFAULT_ACCOUNTS)
    sandbox = NovelAISandbox(accounts, step_latency=args.step_latency)
    return run_async(lambda: serve(sandbox.start, sandbox.stop, args.port,
                                   lambda url: novelai_banner(url, sandbox.accounts, sandbox.step_latency)))


# -- telegram and discord ----------------------------------------------------------------------


def _telegram(args: argparse.Namespace, settings: Settings | None) -> int:
    from sandbox.telegram import DEFAULT_TOKEN, TelegramSandbox

    sandbox = TelegramSandbox(args.token or DEFAULT_TOKEN)

    def banner(url: str) -> list[str]:
        return [f"Telegram Bot API stand-in listening on {url}.", "Point the bot at it (in .env or the environment):",
                f"TELEGRAM_API_URL={url}", f"TELEGRAM_TOKEN={sandbox.token}",
                f"Control API: {url}/_sandbox/ (be a user: naibot sandbox chat telegram --url {url})"]

    return run_async(lambda: serve(sandbox.start, sandbox.stop, args.port, banner))


def _discord(args: argparse.Namespace, settings: Settings | None) -> int:
    from sandbox.discord import DEFAULT_TOKEN, DiscordSandbox, DiscordUser
    from sandbox.terminal.discord import CHANNEL_ID, GUILD_ID, NSFW_CHANNEL_ID

    sandbox = DiscordSandbox(args.token or DEFAULT_TOKEN)

    async def start(host: str, port: int) -> str:
        url = await sandbox.start(host, port)
        sandbox.add_guild(GUILD_ID, "Sandbox", owner=DiscordUser(1000, "sandbox_owner", "Sandbox Owner"),
                          channels={CHANNEL_ID: False, NSFW_CHANNEL_ID: True})
        return url

    def banner(url: str) -> list[str]:
        return [f"Discord stand-in (REST + gateway) listening on {url}, with guild {GUILD_ID} \"Sandbox\": "
                f"channel {CHANNEL_ID} and age-restricted channel {NSFW_CHANNEL_ID}.",
                "Point the bot at it (in .env or the environment):",
                f"DISCORD_API_URL={sandbox.api_url}", f"DISCORD_GATEWAY_URL={sandbox.gateway_url}",
                f"DISCORD_TOKEN={sandbox.token}",
                f"Control API: {url}/_sandbox/ (be a user: naibot sandbox chat discord --url {url})"]

    return run_async(lambda: serve(start, sandbox.stop, args.port, banner))


# -- chat --------------------------------------------------------------------------------------


def _chat(args: argparse.Namespace, settings: Settings | None) -> int:
    from sandbox.terminal import discord, telegram
    from sandbox.terminal.session import ChatError, Peer, Session, run

    peer: Peer
    if args.platform == "telegram":
        user = telegram.TelegramUser(args.user_id or 4242, args.name or "You", args.username or "you",
                                     args.language or "en", args.chat)
        peer = telegram.TelegramPeer(args.url or telegram.DEFAULT_URL, user)
    else:
        member = discord.DiscordUser(args.user_id or 2001, args.username or args.name or "you",
                                     args.language or "en-US", args.guild, args.chat or discord.CHANNEL_ID,
                                     args.admin)
        peer = discord.DiscordPeer(args.url or discord.DEFAULT_URL, member)

    def write(line: str) -> None:
        print(line, flush=True)

    try:
        return run(Session(peer), sys.stdin.fileno(), write, args.poll)
    except ChatError as exc:  # only before the session starts: the stand-in is away or refuses this user
        print(f"naibot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 0


# -- the parser --------------------------------------------------------------------------------


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port (0-65535; 0 picks a free one)")
    return port


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("sandbox", help="offline stand-ins for NovelAI, Telegram and Discord, and a terminal chat")
    ssub = p.add_subparsers(dest="service", required=True)
    nai = ssub.add_parser("novelai", help="a NovelAI-compatible server on 127.0.0.1")
    nai.add_argument("--port", type=_port, default=NOVELAI_PORT)
    nai.add_argument("--user", action="append", default=[], metavar="EMAIL:PASSWORD[:TIER[:ANLAS]]",
                     help="an email/password account (repeatable)")
    nai.add_argument("--token", action="append", default=[], metavar="pst-...[:TIER[:ANLAS]]",
                     help="a persistent-token account (repeatable)")
    nai.add_argument("--step-latency", type=float, default=STEP_LATENCY,
                     help=f"seconds per sampling step (default {STEP_LATENCY}, as the demo; 0 for instant)")
    nai.set_defaults(handler=_novelai, uses_settings=False)
    tg = ssub.add_parser("telegram", help="a Telegram Bot API server on 127.0.0.1 (with a control API)")
    tg.add_argument("--port", type=_port, default=TELEGRAM_PORT)
    tg.add_argument("--token", help="the bot token it accepts (default: the sandbox token)")
    tg.set_defaults(handler=_telegram, uses_settings=False)
    dc = ssub.add_parser("discord", help="a Discord REST + gateway server on 127.0.0.1 (with a control API)")
    dc.add_argument("--port", type=_port, default=DISCORD_PORT)
    dc.add_argument("--token", help="the bot token it accepts (default: the sandbox token)")
    dc.set_defaults(handler=_discord, uses_settings=False)
    chat = ssub.add_parser("chat", help="be a Telegram or Discord user of a running stand-in, from this terminal")
    chat.add_argument("platform", choices=("telegram", "discord"))
    chat.add_argument("--url", help=f"the stand-in (default http://{HOST}:{TELEGRAM_PORT} for telegram, "
                                    f"http://{HOST}:{DISCORD_PORT} for discord)")
    chat.add_argument("--user-id", type=int, help="your user id (default 4242 on Telegram, 2001 on Discord)")
    chat.add_argument("--name", help="your first name (Telegram) or user name (Discord)")
    chat.add_argument("--username", help="your @username")
    chat.add_argument("--language", help="your client's language (Telegram: en, zh-hans…; Discord: en-US, zh-CN…)")
    chat.add_argument("--chat", type=int, help="Telegram: the chat id (default: your private chat; negative: a "
                                               "group); Discord: the channel id (default 9001)")
    chat.add_argument("--guild", type=int, default=9000, help="Discord: the guild (default 9000)")
    chat.add_argument("--admin", action="store_true", help="Discord: be a guild admin")
    chat.add_argument("--poll", type=float, default=0.25, help="seconds between looks at the chat")
    chat.set_defaults(handler=_chat, uses_settings=False)
