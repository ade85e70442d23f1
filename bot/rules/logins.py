"""Personal and group NovelAI logins: check with NovelAI, then store encrypted; log out completely.

Credentials only ever arrive through a private channel (the adapters make sure of that). A
login is checked against NovelAI *before* anything is saved, so a typo stores nothing. An email
login keeps the email and the derived access key (to renew the token without the password); the
password itself is dropped inside ``Account.from_password`` and never stored or logged.

The Telegram login is a short conversation; its state (which step, for which target, the email
typed so far) lives in Redis with a short expiry, so any bot process can continue it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass

import redis.asyncio as aioredis

from bot.keys import BotKeys
from bot.rules.groups import GroupStore
from bot.rules.login_attempts import LoginAttempts
from naibot.logs import redact, register_secret
from naibot.settings import Settings
from novelai.accesskey import normalize_email
from novelai.accounts import Account, AccountStore, case_matters
from novelai.client import AccountStatus, NovelAIClient
from novelai.errors import NovelAIError
from novelai.factory import AccountDirectory, SecretKeyMissing
from novelai.subscription import Subscription
from tasks.accepted import AcceptedAccounts
from tasks.queue import Caller, JobQueue

log = logging.getLogger(__name__)

# A login conversation left half-way is forgotten after this long.
CONVERSATION_SECONDS = 600
# What a NovelAI token looks like when someone pastes one (persistent "pst-" or a JWT).
TOKEN_PREFIXES = ("pst-", "eyJ")

# How long an admin's go-ahead to bind a group's account lasts (the private login must finish in it).
BINDING_SECONDS = 600


class LoginRejected(Exception):
    """NovelAI did not accept the credentials (or could not be asked); nothing was stored."""

    def __init__(self, reason: str, *, unreachable: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.unreachable = unreachable


@dataclass(frozen=True)
class LoginState:
    """Where a Telegram login conversation is: waiting for a token-or-email, or for a password."""

    step: str  # "secret" (token or email) | "password"
    target: str  # "personal" or a group key ("telegram:-100...")
    target_name: str = ""  # the group's title, to confirm where the account went
    email: str | None = None


@dataclass(frozen=True)
class LogoutReport:
    removed: bool
    groups: list[str]
    canceled: int


def looks_like_token(text: str) -> bool:
    return text.strip().startswith(TOKEN_PREFIXES)


def looks_like_credentials(text: str) -> bool:
    """Whether a message typed in a group probably holds a secret that must not stay there."""
    words = text.split()
    return any(looks_like_token(word) for word in words) or ("@" in text and len(words) >= 2)


class Logins:
    def __init__(self, settings: Settings, redis: aioredis.Redis, store: AccountStore | None, client: NovelAIClient,
                 directory: AccountDirectory, groups: GroupStore, queue: JobQueue) -> None:
        self.settings = settings
        self.redis = redis
        self.keys = BotKeys(settings.redis.prefix)
        self.store = store
        self.client = client
        self.directory = directory
        self.groups = groups
        self.queue = queue
        # Every check of credentials with NovelAI takes an attempt first (bot.rules.login_attempts).
        self.attempts = LoginAttempts(redis, self.keys)

    def _store(self) -> AccountStore:
        if self.store is None:
            raise SecretKeyMissing()
        return self.store

    def meta_key(self, account: str) -> str:
        return self.keys.account_meta(account)

    # -- logging in ------------------------------------------------------------------------

    async def save(self, account: Account, owner: str) -> Subscription:
        """Check the credentials with NovelAI, then store them; LoginRejected stores nothing."""
        store = self._store()
        register_secret(account.token)
        register_secret(account.access_key)
        await self.client.forget_token(account)  # a previous login's token must not answer for this one
        try:
            subscription = await self.client.subscription(account)
        except NovelAIError as exc:
            await self.client.forget_token(account)
            # NovelAI's words may quote what was sent; never echo a secret back, even privately.
            raise LoginRejected(redact(exc.user_message), unreachable=exc.kind != "auth") from None
        await store.add(account)
        # NovelAI has just accepted them: a later 401 means "log in again", not "check the token".
        await AcceptedAccounts(self.redis, self.settings.redis.prefix).record(account)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(self.meta_key(account.name), self.keys.auth_notified(account.name))
            pipe.hset(self.meta_key(account.name), mapping={"owner": owner, "kind": account.kind,
                                                              "saved_at": repr(time.time())})
            await pipe.execute()
        self.directory.forget(account.name)
        return subscription

    async def save_token(self, name: str, token: str, owner: str) -> Subscription:
        return await self.save(Account(name=name, token=token.strip()), owner)

    async def save_password(self, name: str, email: str, password: str, owner: str) -> Subscription:
        """The access key is derived in a thread: Argon2id takes a CPU-second or so on purpose, and
        on the event loop it would stop every other command of the bot for that long.

        The key is made from the lower-cased email; if NovelAI refuses it and the email was typed
        with capitals, the key from the email as typed is tried once, while the password is still
        in hand (clients disagree on lower-casing: docs/novelai-api.md §10.2)."""
        account = await asyncio.to_thread(Account.from_password, name, normalize_email(email), password)
        try:
            return await self.save(account, owner)
        except LoginRejected as exc:
            if exc.unreachable or not case_matters(email):
                raise
        log.info("NovelAI refused the lower-cased email's key; trying once with the email as typed")
        account = await asyncio.to_thread(Account.from_password_as_typed, name, email, password)
        return await self.save(account, owner)

    async def owner_of(self, account: str) -> str | None:
        owner = await self.redis.hget(self.meta_key(account), "owner")
        return owner.decode() if isinstance(owner, bytes) else owner

    # -- logging out -----------------------------------------------------------------------

    async def remove(self, name: str, owner: str) -> LogoutReport:
        """Delete an account, its cached token and metadata; unbind it from every group that used
        it and cancel every job still waiting on it (nobody can run them any more: better a clear
        "canceled" now than an "unknown account" failure later)."""
        store = self._store()
        account = await store.get(name)
        if account is not None:
            await self.client.forget_token(account)
        removed = await store.remove(name, self.client.tokens.key(name), self.meta_key(name),
                                     self.keys.auth_notified(name))
        self.directory.forget(name)
        groups = await self.groups.unbind_everywhere(name)
        # The account's owner speaks for its whole lane here, whoever queued on it.
        canceled = await self.cancel_waiting(name, Caller(user_key=owner, deployment_admin=True))
        return LogoutReport(removed, groups, canceled)

    async def cancel_waiting(self, account: str, caller: Caller, group: str | None = None) -> int:
        """Cancel the jobs waiting on an account's lane; with ``group``, only those that group's
        members queued on it as its shared account. Returns how many were canceled."""
        canceled = 0
        for job in await self.queue.get_many(await self.queue.waiting_ids(account, limit=1000)):
            reply = job.requester.reply
            if group is not None and (reply.get("group_key") != group or "paid_by" not in reply):
                continue
            if (await self.queue.cancel(job.id, caller)).canceled:
                canceled += 1
        return canceled

    async def status(self, name: str) -> AccountStatus | None:
        account = await self.directory.get(name)
        return None if account is None else await self.client.status(account)

    # -- the conversation ------------------------------------------------------------------

    def _conversation_key(self, user_key: str) -> str:
        return self.keys.login(user_key)

    async def begin(self, user_key: str, target: str = "personal", target_name: str = "") -> None:
        state = LoginState(step="secret", target=target, target_name=target_name)
        await self.redis.set(self._conversation_key(user_key), json.dumps(state.__dict__), ex=CONVERSATION_SECONDS)

    async def conversation(self, user_key: str) -> LoginState | None:
        raw = await self.redis.get(self._conversation_key(user_key))
        return LoginState(**json.loads(raw)) if raw else None

    async def wait_for_password(self, user_key: str, state: LoginState, email: str) -> None:
        # As typed (trimmed): the capitals matter if the lower-cased key is refused (save_password).
        updated = LoginState(step="password", target=state.target, target_name=state.target_name,
                             email=email.strip())
        await self.redis.set(self._conversation_key(user_key), json.dumps(updated.__dict__), ex=CONVERSATION_SECONDS)

    async def end(self, user_key: str) -> None:
        await self.redis.delete(self._conversation_key(user_key))

    # -- binding a group's account ---------------------------------------------------------

    def _binding_key(self, user_key: str) -> str:
        return self.keys.binding(user_key)

    async def allow_binding(self, user_key: str, group: str) -> None:
        """This admin (checked in the group) may bind an account for it in the next minutes: the
        login finishes in private, where the group's admin check cannot be asked again."""
        key = self._binding_key(user_key)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.sadd(key, group)
            pipe.expire(key, BINDING_SECONDS)
            await pipe.execute()

    async def may_bind(self, user_key: str, group: str) -> bool:
        """Whether ``allow_binding`` was said for this person and group, and has not run out."""
        return bool(await self.redis.sismember(self._binding_key(user_key), group))

    # -- a rejected token, told once -------------------------------------------------------

    async def first_rejection(self, account: str) -> bool:
        """True the first time an account's token is found rejected (until its next login)."""
        key = self.keys.auth_notified(account)
        return bool(await self.redis.set(key, "1", nx=True, ex=30 * 86400))
