"""``naibot account ...``: the deployment's named NovelAI accounts.

Passwords come from stdin or ``NOVELAI_PASSWORD``, tokens from stdin or ``NAIBOT_ACCOUNT_TOKEN``,
never from argv (argv is visible to every user of the machine in ``ps``, and kept in shell
history). ``--token`` with a value is refused and says so. Credentials are checked against
NovelAI before being saved.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys

from bot.cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, AsyncHandler, Handler, refuse_weak_secrets, run_async
from naibot.logs import register_secret
from naibot.secrets import SecretError
from naibot.settings import Settings
from novelai.account_status import account_names, resolve_account, status_dict
from novelai.accounts import Account
from novelai.client import NovelAIClient
from novelai.errors import NovelAIError
from novelai.factory import SecretKeyMissing, account_store, client_from_settings

# Not NOVELAI_TOKEN: that one is the deployment's "default" account, often set in the same
# environment, and `account add other` must not quietly save it under another name.
TOKEN_ENV = "NAIBOT_ACCOUNT_TOKEN"
# What a bare ``--token`` stands for: read the token from TOKEN_ENV or stdin.
_READ_TOKEN = "-"


def _read_secret(env_name: str, prompt: str) -> str:
    """From the environment, else typed at a hidden prompt on a terminal, else one line of a pipe."""
    env = os.environ.get(env_name)
    if env:
        return env
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    return sys.stdin.readline().rstrip("\r\n")


async def _add(args: argparse.Namespace, settings: Settings) -> int:
    if args.token is not None and args.token != _READ_TOKEN:
        register_secret(args.token)
        print(f"naibot: a token on the command line is visible to every user (ps, shell history) and was not "
              f"used: give --token alone and type or pipe the token on stdin, or set {TOKEN_ENV}", file=sys.stderr)
        return EXIT_USAGE
    if args.token is not None:
        token = _read_secret(TOKEN_ENV, "NovelAI token: ")
        if not token:
            print(f"naibot: no token given (stdin or {TOKEN_ENV})", file=sys.stderr)
            return EXIT_USAGE
        register_secret(token)
        account = Account(name=args.name, token=token)
    else:
        password = _read_secret("NOVELAI_PASSWORD", "NovelAI password: ")
        if not password:
            print("naibot: no password given (stdin or NOVELAI_PASSWORD)", file=sys.stderr)
            return EXIT_USAGE
        register_secret(password)
        account = Account.from_password(args.name, args.email, password)
        register_secret(account.access_key)
        del password
    store = account_store(settings)
    async with client_from_settings(settings) as client:
        try:
            subscription = await client.subscription(account)
        except NovelAIError as exc:
            print(f"naibot: NovelAI did not accept these credentials: {exc.user_message}", file=sys.stderr)
            return EXIT_FAILED
        await store.add(account)
    print(f"saved account {account.name} ({account.kind}, {subscription.tier_name}, {subscription.anlas} Anlas)")
    return EXIT_OK


async def _list(args: argparse.Namespace, settings: Settings) -> int:
    names = await account_names(settings, account_store(settings))
    if args.json:
        print(json.dumps(names))
    else:
        print("\n".join(names) if names else "no accounts (add one with: naibot account add NAME --token, "
                                              "then paste the pst-... token)")
    return EXIT_OK


async def _status(args: argparse.Namespace, settings: Settings) -> int:
    account = await resolve_account(settings, args.name)
    if account is None:
        print(f"naibot: no account named {args.name}", file=sys.stderr)
        return EXIT_FAILED
    client: NovelAIClient
    async with client_from_settings(settings) as client:
        info = status_dict(await client.status(account))
    if args.json:
        print(json.dumps(info))
    else:
        for key, value in info.items():
            print(f"{key:>14}: {'-' if value is None else value}")
    return EXIT_OK if info["error"] is None else EXIT_FAILED


async def _remove(args: argparse.Namespace, settings: Settings) -> int:
    store = account_store(settings)
    client = client_from_settings(settings)
    removed = await store.remove(args.name, client.tokens.key(args.name))
    await client.aclose()
    print(f"removed account {args.name}" if removed else f"no account named {args.name}")
    return EXIT_OK if removed else EXIT_FAILED


def _runner(fn: AsyncHandler) -> Handler:
    def handler(args: argparse.Namespace, settings: Settings) -> int:
        # Stored accounts are sealed under the secret key: a guessable one is refused here too.
        if (refused := refuse_weak_secrets(settings, secret_key=True, redis=False)) is not None:
            return refused
        try:
            return run_async(lambda: fn(args, settings))
        except SecretKeyMissing as exc:
            print(f"naibot: {exc}", file=sys.stderr)
            return EXIT_USAGE
        except SecretError as exc:
            print(f"naibot: a stored account cannot be read ({exc}); was NAIBOT_SECRET_KEY changed?",
                  file=sys.stderr)
            return EXIT_FAILED
    return handler


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("account", help="manage the deployment's NovelAI accounts")
    asub = p.add_subparsers(dest="action", required=True)
    add = asub.add_parser("add", help=f"check and save an account (token from stdin or {TOKEN_ENV}, password "
                                      "from stdin or NOVELAI_PASSWORD; never on the command line)")
    add.add_argument("name")
    creds = add.add_mutually_exclusive_group(required=True)
    creds.add_argument("--token", nargs="?", const=_READ_TOKEN, metavar="-",
                       help=f"add with a persistent API token (pst-...) or an access token, read from {TOKEN_ENV} "
                            "or stdin (a value here is refused: argv is visible to every user)")
    creds.add_argument("--email", help="log in with email; the password is read from stdin")
    add.set_defaults(handler=_runner(_add))
    lst = asub.add_parser("list", help="list account names")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(handler=_runner(_list))
    st = asub.add_parser("status", help="token cache state, days left, tier and Anlas")
    st.add_argument("name")
    st.add_argument("--json", action="store_true")
    st.set_defaults(handler=_runner(_status))
    rm = asub.add_parser("remove", help="delete an account and its cached token")
    rm.add_argument("name")
    rm.set_defaults(handler=_runner(_remove))
