"""``naibot rotate-key``: re-encrypt everything stored under the secret key with a new one.

The new key comes from ``NAIBOT_NEW_SECRET_KEY`` or a prompt on stdin, never from argv (argv is
visible to every user of the machine in ``ps``); the old one is the deployment's
``NAIBOT_SECRET_KEY`` as usual. ``--keep-key`` keeps the key and only re-seals records of the
first version's fixed-salt derivation under the deployment's own salt (``naibot.secrets``).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from bot.cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, REDIS_AWAY, redis_unavailable, run_async
from naibot.deployment_salt import load_salt
from naibot.logs import register_secret
from naibot.redisconn import async_redis
from naibot.rotate import rotate_secrets
from naibot.secret_strength import key_weakness
from naibot.secrets import SecretBox
from naibot.settings import MIN_SECRET_KEY_LENGTH, Settings, secret

NEW_KEY_ENV = "NAIBOT_NEW_SECRET_KEY"


def _read_new_key() -> str:
    """From the environment, else typed twice at a hidden prompt, else one line of a pipe. Ctrl-D
    at the prompt is an empty answer (refused as too short); Ctrl-C propagates."""
    env = os.environ.get(NEW_KEY_ENV)
    if env:
        return env
    if sys.stdin.isatty():
        try:
            first = getpass.getpass("New secret key: ")
            if getpass.getpass("Again: ") != first:
                return ""
        except EOFError:
            print(file=sys.stderr)  # the prompt left the cursor on its line
            return ""
        return first
    return sys.stdin.readline().rstrip("\r\n")


def _refuse_new_key(new_key: str) -> int | None:
    """EXIT_USAGE with the reason if the new key is short or guessable. The current key may be
    weak (rotating is how to leave it); the new one may not."""
    register_secret(new_key)
    if len(new_key) < MIN_SECRET_KEY_LENGTH:
        print(f"naibot: the new key must be at least {MIN_SECRET_KEY_LENGTH} characters "
              f"(from {NEW_KEY_ENV} or stdin; typed twice the same on a terminal)", file=sys.stderr)
        return EXIT_USAGE
    if (reason := key_weakness(new_key)) is not None:
        print(f"naibot: {NEW_KEY_ENV} {reason}", file=sys.stderr)
        return EXIT_USAGE
    return None


def _handle(args: argparse.Namespace, settings: Settings) -> int:
    """Read and check the new key before the event loop starts (Ctrl-C at the prompt then just
    ends it), then rotate; Redis away is the queue commands' one line, exit 1."""
    old_key = secret(settings.security.secret_key)
    if not old_key:
        print("naibot: NAIBOT_SECRET_KEY (the current key) is not set; nothing is encrypted under it",
              file=sys.stderr)
        return EXIT_USAGE
    try:
        new_key = old_key if args.keep_key else _read_new_key()
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return EXIT_FAILED
    if not args.keep_key and (refused := _refuse_new_key(new_key)) is not None:
        return refused
    try:
        return run_async(lambda: _rotate(settings, old_key, new_key, args.keep_key))
    except REDIS_AWAY as exc:
        return redis_unavailable(exc)


async def _rotate(settings: Settings, old_key: str, new_key: str, keep_key: bool) -> int:
    redis = async_redis(settings.redis)
    try:
        salt = await load_salt(redis, settings.redis.prefix)
        report = await rotate_secrets(redis, settings.redis.prefix, SecretBox(old_key, salt),
                                      SecretBox(new_key, salt))
    finally:
        await redis.aclose()
    print(f"re-encrypted {len(report.rotated)} secrets ({len(report.already)} already under the new key)")
    for key in report.unreadable:
        print(f"could not open (left untouched): {key}")
    for key in report.contended:
        print(f"kept changing, not rotated (run again): {key}")
    if (report.rotated or report.already) and not keep_key:
        print("now set NAIBOT_SECRET_KEY to the new key and restart every process")
    return EXIT_OK if report.complete else EXIT_FAILED


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "rotate-key",
        help=f"re-encrypt every stored secret from NAIBOT_SECRET_KEY to a new key (from {NEW_KEY_ENV} or stdin)",
        description="Re-encrypt stored accounts and cached tokens under a new secret key. Safe to run again: "
                    "what is already under the new key is left as is. Processes still on the old key cannot "
                    "read rotated accounts, so restart them with the new key right after. Records from before "
                    "the per-deployment salt are moved to it on the way.")
    p.add_argument("--keep-key", action="store_true",
                   help="keep NAIBOT_SECRET_KEY: only re-seal records of the old fixed-salt derivation under this "
                        "deployment's salt (nothing to restart)")
    p.set_defaults(handler=_handle)
