"""Build the NovelAI client and account store of a process from its settings.

Kept apart from the client so the client itself takes plain values (URLs, a cache) and can be
tested and benchmarked without a settings file.
"""

from __future__ import annotations

import time

from naibot.deployment_salt import salt_loader
from naibot.logs import register_secret
from naibot.redisconn import async_redis
from naibot.secrets import SecretBox
from naibot.settings import Settings, secret
from novelai.accounts import DEFAULT_ACCOUNT_NAME, Account, AccountStore
from novelai.client import NovelAIClient, Timeouts
from novelai.limits import Limits
from novelai.tokens import TokenCache


class SecretKeyMissing(RuntimeError):
    """Storing secrets needs NAIBOT_SECRET_KEY; say so instead of storing them in the clear."""

    def __init__(self) -> None:
        super().__init__("set NAIBOT_SECRET_KEY (a passphrase of at least 32 characters) to store NovelAI "
                         "credentials; it encrypts them at rest")


class AccountsNeedSecretKey(SecretKeyMissing):
    """Accounts are on but there is no key: a process would run unable to store or read them."""

    def __init__(self) -> None:
        RuntimeError.__init__(
            self, "personal and group NovelAI accounts are enabled (bot.accounts_enabled) but NAIBOT_SECRET_KEY "
                  "is not set: set it (a passphrase of at least 32 characters; it encrypts the accounts at rest), "
                  "or turn accounts off with NAIBOT_BOT__ACCOUNTS_ENABLED=false")


def require_secret_key(settings: Settings) -> None:
    """Refuse to start a long-running process that would hold accounts it could not encrypt.

    Failing at start beats a bot that answers every /login with an error hours later.
    """
    if settings.bot.accounts_enabled and not secret(settings.security.secret_key):
        raise AccountsNeedSecretKey()


def secret_box(settings: Settings) -> SecretBox | None:
    """The box every process seals with: the secret key, and the deployment's salt from Redis."""
    passphrase = secret(settings.security.secret_key)
    return SecretBox(passphrase, salt_loader(settings.redis)) if passphrase else None


def client_from_settings(settings: Settings) -> NovelAIClient:
    nai = settings.novelai
    cache = TokenCache(async_redis(settings.redis), secret_box(settings), settings.redis.prefix)
    timeouts = Timeouts(connect=nai.timeouts.connect, login=nai.timeouts.login, user=nai.timeouts.user,
                        generate=nai.timeouts.generate)
    return NovelAIClient(api_url=nai.api_url, image_url=nai.image_url, token_cache=cache, timeouts=timeouts,
                         refresh_days=nai.refresh_days, limits=Limits(**nai.limits.model_dump()))


def account_store(settings: Settings) -> AccountStore:
    box = secret_box(settings)
    if box is None:
        raise SecretKeyMissing()
    return AccountStore(async_redis(settings.redis), box, settings.redis.prefix)


def default_account(settings: Settings) -> Account | None:
    """The deployment's account from NOVELAI_TOKEN or NOVELAI_EMAIL + NOVELAI_PASSWORD, if set.

    The password is turned into the access key here and not kept anywhere.
    """
    cfg = settings.novelai.default_account
    token, password = secret(cfg.token), secret(cfg.password)
    register_secret(token)
    register_secret(password)
    if token:
        return Account(name=DEFAULT_ACCOUNT_NAME, token=token)
    if cfg.email and password:
        account = Account.from_password(DEFAULT_ACCOUNT_NAME, cfg.email, password)
        register_secret(account.access_key)
        return account
    return None


class AccountDirectory:
    """Finds the credentials for an account name: the deployment default, or a stored account.

    Stored accounts are kept in memory for a few seconds: a busy worker would otherwise read and
    decrypt the same record for every job, and a removed account stops working within that time.
    """

    CACHE_SECONDS = 10.0

    def __init__(self, settings: Settings) -> None:
        self._default = default_account(settings)
        box = secret_box(settings)
        self._store = AccountStore(async_redis(settings.redis), box, settings.redis.prefix) if box else None
        self._cache: dict[str, tuple[float, Account | None]] = {}

    async def get(self, name: str) -> Account | None:
        if name == DEFAULT_ACCOUNT_NAME and self._default is not None:
            return self._default
        if self._store is None:
            return None
        cached = self._cache.get(name)
        if cached is not None and time.monotonic() - cached[0] < self.CACHE_SECONDS:
            return cached[1]
        account = await self._store.get(name)
        self._cache[name] = (time.monotonic(), account)
        return account

    def forget(self, name: str) -> None:
        """Drop this process's copy after a login or logout, so the change applies at once here."""
        self._cache.pop(name, None)

    @property
    def store(self) -> AccountStore | None:
        return self._store
