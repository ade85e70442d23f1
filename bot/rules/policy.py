"""Who pays for a job and what a person may do: accounts, priorities, quotas, pauses, bans.

Decided once here for every platform, from plain facts the adapter supplies (who, where, whether
they administer the group, their Discord roles' priority), so Telegram and Discord cannot drift.

Which account a job uses: the person's own if they logged in (unless the group prefers its shared
account), else the group's shared account, else the deployment's default account where settings
and the group allow it, else nothing: the person is told how to log in.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Literal

import redis.asyncio as aioredis

from bot.keys import BotKeys
from bot.rules.account_names import AccountNames, legacy_personal_name
from bot.rules.groups import GroupConfig, GroupStore
from bot.rules.quotas import Charge, Limit, Quotas
from naibot.refusal import Refusal
from naibot.settings import Settings
from novelai.accounts import AccountStore
from novelai.cost import cost_of, would_spend
from novelai.errors import NovelAIError
from novelai.factory import AccountDirectory
from novelai.request import GenerationRequest
from novelai.tool_cost import tool_spend
from tasks.job import AnyRequest, quota_images
from tasks.spending import SubscriptionCache


def group_account_name(group: str) -> str:
    """The account-store name of an account bound to a group by its admins."""
    return f"group:{group}"


@dataclass(frozen=True)
class Actor:
    """A person acting somewhere, with what the adapter knows about their rights there."""

    user_key: str
    display_name: str
    group: str | None = None  # "<platform>:<group id>" in a group, None in a private chat
    channel_id: str | None = None
    group_admin: bool = False
    deployment_admin: bool = False
    # The highest priority one of the person's roles grants (Discord), if any.
    role_max_priority: int | None = None


@dataclass(frozen=True)
class Funding:
    """The account a job runs on and why; ``paid_by`` names the owner of a shared account."""

    account: str
    source: Literal["own", "shared", "default"]
    paid_by: str | None = None
    lent: bool = False


class NoAccount(Refusal):
    """Nobody will pay: the person has no account, the group none, the default is not allowed."""

    http_status = 402

    def __init__(self, in_group: bool) -> None:
        super().__init__("no NovelAI account to use; log in with /login in a private chat",
                         key="policy.no_account_group" if in_group else "policy.no_account")
        self.in_group = in_group


class GroupPaused(Refusal):
    """The group's admins paused generation in the group."""

    key = "policy.paused"
    http_status = 403


class Banned(Refusal):
    """A deployment admin banned the person."""

    key = "policy.banned"
    http_status = 403


class PriorityTooHigh(Refusal):
    key = "policy.priority_too_high"
    http_status = 403

    def __init__(self, asked: int, allowed: int) -> None:
        super().__init__(f"priority {asked} is above your limit of {allowed}", asked=asked, allowed=allowed)
        self.asked, self.allowed = asked, allowed


@dataclass(frozen=True)
class PriorityRange:
    default: int
    maximum: int


class Policy:
    def __init__(self, settings: Settings, redis: aioredis.Redis, store: AccountStore | None,
                 directory: AccountDirectory, subscriptions: SubscriptionCache) -> None:
        self.settings = settings
        self.redis = redis
        self.keys = BotKeys(settings.redis.prefix)
        self.store = store
        self.directory = directory
        self.subscriptions = subscriptions
        self.groups = GroupStore(redis, self.keys)
        self.quotas = Quotas(redis, self.keys)
        self.names = AccountNames(redis, self.keys)

    # -- bans ------------------------------------------------------------------------------

    @property
    def _bans(self) -> str:
        return self.keys.banned

    async def is_banned(self, user_key: str) -> bool:
        return bool(await self.redis.hexists(self._bans, user_key))

    async def ban(self, user_key: str, by: str) -> bool:
        return bool(await self.redis.hset(self._bans, user_key, json.dumps({"by": by, "at": time.time()})))

    async def unban(self, user_key: str) -> bool:
        return bool(await self.redis.hdel(self._bans, user_key))

    async def banned(self) -> list[str]:
        return sorted(k.decode() if isinstance(k, bytes) else k for k in await self.redis.hkeys(self._bans))

    async def lending_used(self, account: str, group: str) -> tuple[int, int]:
        """Images and Anlas a lent account spent for a group today (against the lender's caps)."""
        quotas = self.quotas
        return (await quotas.used(quotas.lender_key(account, group, "images")),
                await quotas.used(quotas.lender_key(account, group, "anlas")))

    # -- accounts --------------------------------------------------------------------------

    async def personal_account(self, user_key: str) -> str:
        """The name of this person's own account (and lane), stored or to store.

        A keyed hash of the person (``bot.rules.account_names``), unless an account saved before
        names were hashed is still stored under ``user:<platform>:<id>``: that one keeps its name
        (its lane, waiting jobs and lending go on as they were) until its owner logs out.
        """
        legacy = legacy_personal_name(user_key)
        if self.store is not None and await self.store.exists(legacy):
            return legacy
        return await self.names.personal(user_key)

    async def has_personal(self, user_key: str) -> bool:
        """Read through to the store: right after /login or /logout the answer must be current."""
        return self.store is not None and await self.store.exists(await self.personal_account(user_key))

    async def _default_allowed(self, config: GroupConfig | None) -> bool:
        allowed = self.settings.bot.allow_default_account
        if config is not None and config.allow_default is not None:
            allowed = allowed and config.allow_default
        return allowed and await self.directory.get(self.settings.bot.default_account) is not None

    async def group_config(self, actor: Actor) -> GroupConfig | None:
        return await self.groups.get(actor.group) if actor.group else None

    async def fund(self, actor: Actor, config: GroupConfig | None = None) -> Funding:
        """The account this person's next job here runs on; NoAccount if there is none."""
        personal = await self.personal_account(actor.user_key)
        own = self.store is not None and await self.store.exists(personal)
        shared = config.shared if config is not None and config.shared_applies(actor.channel_id) else None
        if shared is not None and ((config is not None and config.prefer_shared) or not own):
            return Funding(shared.account, "shared", paid_by=shared.owner_name, lent=shared.kind == "lent")
        if own:
            return Funding(personal, "own")
        if await self._default_allowed(config):
            return Funding(self.settings.bot.default_account, "default")
        raise NoAccount(in_group=actor.group is not None)

    # -- priorities ------------------------------------------------------------------------

    def priority_range(self, actor: Actor, config: GroupConfig | None) -> PriorityRange:
        bot = self.settings.bot
        member_max = bot.user_max_priority
        default = bot.default_priority
        if config is not None:
            member_max = config.member_max_priority if config.member_max_priority is not None else member_max
            default = config.member_priority if config.member_priority is not None else default
        maximum = member_max
        if actor.role_max_priority is not None:
            maximum = max(maximum, actor.role_max_priority)
        if actor.group_admin:
            admin_max = bot.group_admin_max_priority
            if config is not None and config.admin_max_priority is not None:
                admin_max = config.admin_max_priority
            maximum = max(maximum, admin_max)
        if actor.deployment_admin:
            maximum = 10
        return PriorityRange(default=min(default, maximum), maximum=maximum)

    def priority_for(self, actor: Actor, config: GroupConfig | None, asked: int | None) -> int:
        allowed = self.priority_range(actor, config)
        if asked is None:
            return allowed.default
        if asked > allowed.maximum:
            raise PriorityTooHigh(asked, allowed.maximum)
        return asked

    # -- quotas ----------------------------------------------------------------------------

    def exempt(self, actor: Actor) -> bool:
        """Group and deployment admins are not held to members' quotas."""
        return actor.group_admin or actor.deployment_admin

    async def job_cost(self, funding: Funding, request: AnyRequest) -> int:
        """Anlas the job would spend on this account (the worst case if NovelAI cannot be asked).

        Vibe encodings count as still to make (the worst case: a lender's cap is charged up front)."""
        def worst() -> int:
            if isinstance(request, GenerationRequest):
                return cost_of(request, None, uncached_vibes=len(request.vibes))
            return tool_spend(request, None).cost

        account = await self.directory.get(funding.account)
        if account is None:
            return worst()
        try:
            subscription = await self.subscriptions.get(account)
        except NovelAIError:
            return worst()
        if isinstance(request, GenerationRequest):
            return would_spend(request, subscription, uncached_vibes=len(request.vibes)).cost
        return tool_spend(request, subscription).cost

    def max_anlas(self, funding: Funding, config: GroupConfig | None) -> int | None:
        """The spending cap of a job: a lender's 0 means free generations only."""
        if funding.lent and config is not None and config.shared is not None and config.shared.lending:
            # 0 = free generations only; otherwise the daily cap (charged per job) bounds the spending.
            return config.shared.lending.anlas_per_day
        return None

    async def charge(self, actor: Actor, funding: Funding, config: GroupConfig | None,
                     request: AnyRequest) -> Charge:
        """Check and charge the group's quotas and the lender's caps; raises QuotaExceeded/CoolingDown.

        An upscale or a Director Tool call counts as one image (``tasks.job.quota_images``)."""
        if actor.group is None or config is None:
            return Charge()
        limits: list[Limit] = []
        member = not self.exempt(actor)
        images = quota_images(request)
        if member and funding.source != "own" and config.quota.images_per_day:
            limits.append(Limit("member_images", self.quotas.member_images_key(actor.group, actor.user_key),
                                images, config.quota.images_per_day))
        lending = config.shared.lending if funding.lent and config.shared is not None else None
        if lending is not None:
            limits.append(Limit("lender_images", self.quotas.lender_key(funding.account, actor.group, "images"),
                                images, lending.images_per_day))
            if lending.anlas_per_day:
                cost = await self.job_cost(funding, request)
                if cost:
                    limits.append(Limit("lender_anlas",
                                        self.quotas.lender_key(funding.account, actor.group, "anlas"),
                                        cost, lending.anlas_per_day))
        cooldown = config.quota.cooldown_seconds if member else 0
        cooldown_key = self.quotas.cooldown_key(actor.group, actor.user_key) if cooldown else None
        return await self.quotas.charge(limits, cooldown_key, cooldown)

    def max_waiting(self, actor: Actor, config: GroupConfig | None) -> int | None:
        if config is None or self.exempt(actor) or not config.quota.max_waiting:
            return None
        return config.quota.max_waiting
