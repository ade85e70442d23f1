"""The rules behind every chat command: who pays, priority ranges, quotas (atomic), group edits, bans.

Driven directly against Redis (own prefix per test), without a chat platform: the adapters'
end-to-end tests show the same rules reach users on Telegram and Discord.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.chat.commands.group import ArgumentError, parse_pairs, parse_until
from bot.keys import BotKeys
from bot.rules.groups import GroupConfig, GroupStore, Lending, SharedAccount
from bot.rules.policy import Actor, NoAccount, Policy, PriorityTooHigh
from bot.rules.quotas import CoolingDown, Limit, QuotaExceeded, Quotas
from novelai.accounts import Account
from tests.fixtures.policies import ANN, BOSS, make_policy


async def add_personal(policy: Policy, user_key: str) -> None:
    assert policy.store is not None
    await policy.store.add(Account(name=await policy.personal_account(user_key), token="pst-" + "u" * 40))


def lent(images: int = 0, until: float | None = None) -> GroupConfig:
    lending = Lending(lender="telegram:9", lender_name="Lender", images_per_day=images, until=until)
    return GroupConfig(shared=SharedAccount(account="user:telegram:9", kind="lent", owner_name="Lender",
                                            lending=lending))


# -- who pays --------------------------------------------------------------------------------

async def test_own_account_comes_before_the_groups_and_the_default(aredis, redis_prefix) -> None:
    policy = make_policy(aredis, redis_prefix)
    assert (await policy.fund(ANN, lent())).source == "shared"
    await add_personal(policy, ANN.user_key)
    funding = await policy.fund(ANN, lent())
    assert funding.source == "own" and funding.account == await policy.personal_account("telegram:1")


async def test_a_group_preferring_its_account_uses_it_even_for_members_with_their_own(aredis, redis_prefix) -> None:
    policy = make_policy(aredis, redis_prefix)
    await add_personal(policy, ANN.user_key)
    funding = await policy.fund(ANN, lent().model_copy(update={"prefer_shared": True}))
    assert funding.source == "shared" and funding.paid_by == "Lender" and funding.lent


async def test_without_own_or_shared_the_default_pays_where_allowed(aredis, redis_prefix) -> None:
    policy = make_policy(aredis, redis_prefix)
    assert (await policy.fund(ANN, GroupConfig())).source == "default"
    with pytest.raises(NoAccount) as refused:
        await policy.fund(ANN, GroupConfig(allow_default=False))
    assert refused.value.in_group
    closed = make_policy(aredis, redis_prefix, NAIBOT_BOT__ALLOW_DEFAULT_ACCOUNT="false")
    with pytest.raises(NoAccount):
        await closed.fund(Actor(user_key="telegram:5", display_name="x"), None)


async def test_an_expired_loan_or_another_channel_does_not_pay(aredis, redis_prefix) -> None:
    policy = make_policy(aredis, redis_prefix)
    assert (await policy.fund(ANN, lent(until=time.time() - 1))).source == "default"
    narrowed = lent().model_copy(update={"channels": ("42",)})
    assert (await policy.fund(ANN, narrowed)).source == "default"
    in_channel = Actor(user_key=ANN.user_key, display_name="Ann", group=ANN.group, channel_id="42")
    assert (await policy.fund(in_channel, narrowed)).source == "shared"


# -- priorities ------------------------------------------------------------------------------

async def test_priority_ranges_by_role(aredis, redis_prefix) -> None:
    policy = make_policy(aredis, redis_prefix, NAIBOT_BOT__ADMINS='["telegram:3"]')
    member, admin = policy.priority_range(ANN, None), policy.priority_range(BOSS, None)
    assert (member.default, member.maximum) == (5, 5)
    assert admin.maximum == 8
    root = Actor(user_key="telegram:3", display_name="Root", deployment_admin=True)
    assert policy.priority_range(root, None).maximum == 10
    supporter = Actor(user_key="discord:4", display_name="S", role_max_priority=7)
    assert policy.priority_range(supporter, None).maximum == 7
    group = GroupConfig(member_priority=3, member_max_priority=4, admin_max_priority=9)
    assert (policy.priority_range(ANN, group).default, policy.priority_range(ANN, group).maximum) == (3, 4)
    assert policy.priority_range(BOSS, group).maximum == 9


async def test_asking_above_the_maximum_is_refused_with_the_limit(aredis, redis_prefix) -> None:
    policy = make_policy(aredis, redis_prefix)
    with pytest.raises(PriorityTooHigh) as refused:
        policy.priority_for(ANN, None, 9)
    assert (refused.value.asked, refused.value.allowed) == (9, 5)
    assert policy.priority_for(ANN, None, None) == 5 and policy.priority_for(BOSS, None, 8) == 8


# -- quotas ----------------------------------------------------------------------------------

async def test_concurrent_charges_never_exceed_the_limit(aredis, redis_prefix) -> None:
    quotas = Quotas(aredis, BotKeys(redis_prefix))
    key = quotas.member_images_key("telegram:-100", "telegram:1")

    async def one() -> bool:
        try:
            await quotas.charge([Limit("member_images", key, 1, 5)])
            return True
        except QuotaExceeded:
            return False

    results = await asyncio.gather(*(one() for _ in range(40)))
    assert sum(results) == 5 and await quotas.used(key) == 5


async def test_a_refused_charge_charges_nothing_anywhere(aredis, redis_prefix) -> None:
    quotas = Quotas(aredis, BotKeys(redis_prefix))
    first, second = f"{redis_prefix}:q:a", f"{redis_prefix}:q:b"
    await quotas.charge([Limit("member_images", first, 2, 10), Limit("lender_images", second, 2, 3)])
    with pytest.raises(QuotaExceeded) as refused:
        await quotas.charge([Limit("member_images", first, 2, 10), Limit("lender_images", second, 2, 3)])
    assert (refused.value.name, refused.value.used, refused.value.limit) == ("lender_images", 2, 3)
    assert await quotas.used(first) == 2 and await quotas.used(second) == 2


async def test_a_refund_gives_back_once_per_job(aredis, redis_prefix) -> None:
    quotas = Quotas(aredis, BotKeys(redis_prefix))
    key = f"{redis_prefix}:q:c"
    charge = await quotas.charge([Limit("member_images", key, 3, 5)])
    assert await quotas.refund("job1", charge.counters)
    assert not await quotas.refund("job1", charge.counters)
    assert await quotas.used(key) == 0


async def test_cooldown_refuses_until_it_passes(aredis, redis_prefix) -> None:
    quotas = Quotas(aredis, BotKeys(redis_prefix))
    cooldown = quotas.cooldown_key("telegram:-100", "telegram:1")
    await quotas.charge([], cooldown, 30)
    with pytest.raises(CoolingDown) as refused:
        await quotas.charge([], cooldown, 30)
    assert 28 < refused.value.seconds_left <= 30


async def test_admins_are_exempt_from_member_quotas(aredis, redis_prefix) -> None:
    from novelai.request import GenerationRequest

    policy = make_policy(aredis, redis_prefix)
    config = GroupConfig.model_validate({"quota": {"images_per_day": 1, "cooldown_seconds": 60}})
    funding = await policy.fund(BOSS, config)
    request = GenerationRequest(prompt="x", width=512, height=512, steps=8).resolved()
    for _ in range(3):
        charge = await policy.charge(BOSS, funding, config, request)
        assert charge.counters == [] and charge.cooldown_key is None
    await policy.charge(ANN, funding, config, request)
    with pytest.raises(CoolingDown):
        await policy.charge(ANN, funding, config, request)


# -- group settings --------------------------------------------------------------------------

async def test_concurrent_group_edits_keep_every_change(aredis, redis_prefix) -> None:
    groups = GroupStore(aredis, BotKeys(redis_prefix))
    await asyncio.gather(groups.update("telegram:-1", {"paused": True}),
                         groups.update("telegram:-1", {"prefer_shared": True}),
                         groups.update("telegram:-1", {"member_priority": 3}))
    config = await groups.get("telegram:-1")
    assert config.paused and config.prefer_shared and config.member_priority == 3


async def test_unbinding_an_account_everywhere_clears_every_group(aredis, redis_prefix) -> None:
    groups = GroupStore(aredis, BotKeys(redis_prefix))
    shared = lent().shared
    for group in ("telegram:-1", "discord:7"):
        await groups.update(group, {"shared": shared})
    assert await groups.groups_using("user:telegram:9") == ["discord:7", "telegram:-1"]
    assert await groups.unbind_everywhere("user:telegram:9") == ["discord:7", "telegram:-1"]
    assert (await groups.get("telegram:-1")).shared is None and (await groups.get("discord:7")).shared is None


# -- bans ------------------------------------------------------------------------------------

async def test_ban_and_unban(aredis, redis_prefix) -> None:
    policy = make_policy(aredis, redis_prefix)
    assert await policy.ban("telegram:5", "telegram:3")
    assert await policy.is_banned("telegram:5") and await policy.banned() == ["telegram:5"]
    assert await policy.unban("telegram:5") and not await policy.is_banned("telegram:5")


# -- argument parsing ------------------------------------------------------------------------

def test_pairs_parse_name_value_words_and_refuse_unknown_names() -> None:
    assert parse_pairs(["images:5", "ANLAS=0"], {"images": "images", "anlas": "anlas"}) == {"images": "5",
                                                                                           "anlas": "0"}
    with pytest.raises(ArgumentError):
        parse_pairs(["imgs:5"], {"images": "images"})


def test_until_accepts_a_future_date_or_days_and_refuses_the_past() -> None:
    now = 1_800_000_000.0
    assert parse_until("7d", now) == now + 7 * 86400
    assert parse_until("2030-01-01", now) > now
    with pytest.raises(ArgumentError):
        parse_until("2020-01-01", now)
    with pytest.raises(ArgumentError):
        parse_until("tomorrow", now)
