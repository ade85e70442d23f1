"""``naibot account ...``: the deployment's named NovelAI accounts.

Passwords come from stdin or ``NOVELAI_PASSWORD``, tokens from stdin or ``NAIBOT_ACCOUNT_TOKEN``,
never from argv (argv is visible to every user of the machine in ``ps``, and kept in shell
history). ``--token`` with a value is refused and says so. Credentials are read before the event
loop starts (Ctrl-C at the hidden prompt ends the command at once, Ctrl-D says nothing was given),
a token's shape is checked locally, then the credentials are checked against NovelAI before being
saved. Redis away is the queue commands' one line (``bot.cli.common.redis_unavailable``), exit 1.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Awaitable, Callable

from bot.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    REDIS_AWAY,
    Handler,
    fail,
    redis_unavailable,
    refuse_weak_secrets,
    run_async,
)
from naibot.logs import register_secret
from naibot.redisconn import async_redis
from naibot.secrets import SecretError
from naibot.settings import Settings
from novelai.account_status import account_names, resolve_account, status_dict
from novelai.accounts import Account, case_matters, jwt_expiry
from novelai.client import NovelAIClient
from novelai.errors import AuthError, NovelAIError
from novelai.factory import SecretKeyMissing, account_store, client_from_settings
from tasks.accepted import AcceptedAccounts

# Not NOVELAI_TOKEN: that one is the deployment's "default" account, often set in the same
# environment, and `account add other` must not quietly save it under another name.
TOKEN_ENV = "NAIBOT_ACCOUNT_TOKEN"
# What a bare ``--token`` stands for: read the token from TOKEN_ENV or stdin.
_READ_TOKEN = "-"


def _read_secret(env_name: str, prompt: str) -> str:
    """From the environment, else typed at a hidden prompt on a terminal, else one line of a pipe.

    Ctrl-D at the prompt (getpass raises EOFError) is an empty answer; Ctrl-C propagates."""
    env = os.environ.get(env_name)
    if env:
        return env
    if sys.stdin.isatty():
        try:
            return getpass.getpass(prompt)
        except EOFError:
            print(file=sys.stderr)  # the prompt left the cursor on its line
            return ""
    return sys.stdin.readline().rstrip("\r\n")


def looks_like_token(token: str) -> bool:
    """A persistent API token (``pst-``) or an access token (a JWT with an expiry); anything else is
    a paste of the wrong thing, refused before it is sent to NovelAI."""
    return token.startswith("pst-") or jwt_expiry(token) is not None


def _credentials(args: argparse.Namespace) -> list[Account] | int:
    """The account to add, read before anything connects (so Ctrl-C at the prompt just ends it), or
    the exit status of a refusal already said. An email typed with capitals gives a second account to
    try if NovelAI refuses the lower-cased email's key (docs/novelai-api.md §10.2); both keys are
    derived now, while the password is in hand."""
    if args.token is not None and args.token != _READ_TOKEN:
        register_secret(args.token)
        print(f"naibot: a token on the command line is visible to every user (ps, shell history) and was not "
              f"used: give --token alone and type or pipe the token on stdin, or set {TOKEN_ENV}", file=sys.stderr)
        return EXIT_USAGE
    if args.token is not None:
        token = _read_secret(TOKEN_ENV, "NovelAI token: ").strip()
        if not token:
            print(f"naibot: no token given (stdin or {TOKEN_ENV})", file=sys.stderr)
            return EXIT_USAGE
        register_secret(token)
        if not looks_like_token(token):
            print("naibot: that does not look like a NovelAI persistent token (they start with pst-); "
                  "nothing was sent to NovelAI", file=sys.stderr)
            return EXIT_USAGE
        return [Account(name=args.name, token=token)]
    password = _read_secret("NOVELAI_PASSWORD", "NovelAI password: ")
    if not password:
        print("naibot: no password given (stdin or NOVELAI_PASSWORD)", file=sys.stderr)
        return EXIT_USAGE
    register_secret(password)
    accounts = [Account.from_password(args.name, args.email, password)]
    if case_matters(args.email):
        accounts.append(Account.from_password_as_typed(args.name, args.email, password))
    for account in accounts:
        register_secret(account.access_key)
    return accounts


async def _add(args: argparse.Namespace, settings: Settings, accounts: list[Account]) -> int:
    store = account_store(settings)
    await store.exists(accounts[0].name)  # Redis first: no login at NovelAI for an account that cannot be saved
    async with client_from_settings(settings) as client:
        for number, account in enumerate(accounts, 1):
            try:
                subscription = await client.subscription(account)
                break
            except NovelAIError as exc:
                if isinstance(exc, AuthError) and number < len(accounts):
                    continue  # refused: once more with the email as typed
                print(f"naibot: NovelAI did not accept these credentials: {exc.user_message}", file=sys.stderr)
                return EXIT_FAILED
        await store.add(account)
        # NovelAI has just accepted them: a later 401 means "log in again", not "check the token".
        async with async_redis(settings.redis) as redis:
            await AcceptedAccounts(redis, settings.redis.prefix).record(account)
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


async def _ping(settings: Settings) -> None:
    """Raise the Redis error now if Redis is away: the default account's status needs no stored
    record, but what it says about the token cache is only true with Redis answering."""
    redis = async_redis(settings.redis)
    try:
        await redis.ping()
    finally:
        await redis.aclose()


async def _status(args: argparse.Namespace, settings: Settings) -> int:
    await _ping(settings)
    account = await resolve_account(settings, args.name)
    if account is None:
        return fail(f"no account named {args.name}", kind="not_found", json_out=args.json)
    client: NovelAIClient
    async with client_from_settings(settings) as client:
        info = status_dict(await client.status(account))
        # What is stored in Redis now, not what this process holds in memory: a token the client
        # got but could not cache must not read as cached.
        info["token_cached"] = (await client.tokens.get(account.name)) is not None
    if args.json:
        print(json.dumps(info))
    else:
        for key, value in info.items():
            print(f"{key:>14}: {'-' if value is None else value}")
    return EXIT_OK if info["error"] is None else EXIT_FAILED


async def _remove(args: argparse.Namespace, settings: Settings) -> int:
    store = account_store(settings)
    client = client_from_settings(settings)
    try:
        removed = await store.remove(args.name, client.tokens.key(args.name))
    finally:
        await client.aclose()
    if not removed:
        return fail(f"no account named {args.name}", kind="not_found")
    print(f"removed account {args.name}")
    return EXIT_OK


def _run(args: argparse.Namespace, settings: Settings, body: Callable[[], Awaitable[int]]) -> int:
    """Run a subcommand's body, each way it can fail said in one line (as JSON with ``--json``)."""
    json_out = bool(getattr(args, "json", False))
    try:
        return run_async(body)
    except SecretKeyMissing as exc:
        # Only ``add`` stores; the others read what was stored under the key.
        message = str(exc) if args.action == "add" else (
            "set NAIBOT_SECRET_KEY (the key the accounts were stored under) to read the stored accounts")
        return fail(message, kind="secret_key_missing", code=EXIT_USAGE, json_out=json_out)
    except SecretError as exc:
        return fail(f"a stored account cannot be read ({exc}); was NAIBOT_SECRET_KEY changed?",
                    kind="unreadable", json_out=json_out)
    except REDIS_AWAY as exc:
        return redis_unavailable(exc, json_out=json_out)


def _runner(fn: Callable[[argparse.Namespace, Settings], Awaitable[int]]) -> Handler:
    def handler(args: argparse.Namespace, settings: Settings) -> int:
        # Stored accounts are sealed under the secret key: a guessable one is refused here too.
        if (refused := refuse_weak_secrets(settings, secret_key=True, redis=False)) is not None:
            return refused
        return _run(args, settings, lambda: fn(args, settings))
    return handler


def _add_handler(args: argparse.Namespace, settings: Settings) -> int:
    if (refused := refuse_weak_secrets(settings, secret_key=True, redis=False)) is not None:
        return refused
    try:
        account = _credentials(args)  # outside the event loop: Ctrl-C at the prompt ends it at once
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return EXIT_FAILED
    if isinstance(account, int):
        return account
    return _run(args, settings, lambda: _add(args, settings, account))


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
    add.set_defaults(handler=_add_handler)
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
