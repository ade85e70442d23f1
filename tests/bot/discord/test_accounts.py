"""Accounts, group-shared generation, quotas, priorities and permissions on Discord, end to end: the
real discord.py bot against the Discord stand-in, a real worker, the NovelAI stand-in and Redis."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest

from bot.keys import BotKeys
from bot.rules.account_names import AccountNames
from sandbox.discord import DiscordUser, StoredMessage
from sandbox.novelai.accounts import OPUS_EMAIL, OPUS_PASSWORD, OPUS_TOKEN, TABLET_EMAIL, TABLET_PASSWORD
from tasks.job import Job, JobState
from tasks.services import QueueServices
from tests.fixtures.deployment import wait_until_finished
from tests.fixtures.discord_e2e import ANN, BOB, CAT, GUILD, OWNER, SFW, DiscordWorld

pytestmark = pytest.mark.xdist_group("workers")

SMALL = {"size": "512x512", "steps": 8}
DAN = DiscordUser(2005, "dan", "Dan")
NO_DEFAULT = {"NAIBOT_BOT__ALLOW_DEFAULT_ACCOUNT": "false"}


@asynccontextmanager
async def services_of(world: DiscordWorld) -> AsyncIterator[QueueServices]:
    services = world.deployment.services()
    try:
        yield services
    finally:
        await services.aclose()


async def personal(world: DiscordWorld, user: DiscordUser) -> str:
    """The name of the user's own account (and lane): a keyed hash, never their Discord id."""
    async with services_of(world) as services:
        return await AccountNames(services.redis, BotKeys(world.deployment.prefix)).personal(f"discord:{user.id}")


def key(world: DiscordWorld, *parts: str) -> str:
    return ":".join((world.deployment.prefix, *parts))


async def stored_bytes(services: QueueServices, name: str) -> bytes:
    """Everything Redis holds under a key, whatever its type, as bytes."""
    kind = (await services.redis.type(name)).decode()
    if kind == "string":
        return await services.redis.get(name) or b""
    if kind == "hash":
        return b" ".join(k + b"=" + v for k, v in (await services.redis.hgetall(name)).items())
    return b""


async def latest_job(world: DiscordWorld, user: DiscordUser, at_least: int = 1) -> Job:
    """The user's newest job, once they have ``at_least`` (the answer comes before the job is queued,
    and the bot remembers the id just before queueing it)."""
    async with services_of(world) as services:
        recent = BotKeys(world.deployment.prefix).user_recent(f"discord:{user.id}")
        found: list[Job] = []

        async def queued() -> bool:
            ids = await services.redis.lrange(recent, 0, -1)
            job = await services.queue.get(ids[0].decode()) if len(ids) >= at_least else None
            found[:] = [job] if job is not None else []
            return bool(found)

        await wait_async(queued)
        return found[0]


async def wait_async(check: Callable[[], Awaitable[bool]], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def generate(world: DiscordWorld, user: DiscordUser, prompt: str = "a cat", **options: object
                   ) -> StoredMessage:
    return await world.answer(world.generate(user, prompt, **{**SMALL, **options}))


def visible_everywhere(world: DiscordWorld) -> str:
    """Every message in the guild's channels and every DM, plus every body the bot sent Discord."""
    texts = [json.dumps(m.to_json()) for m in world.discord.messages(SFW)]
    texts += [json.dumps(m.to_json()) for user in (OWNER, ANN, BOB, CAT) for m in world.discord.dms(user.id)]
    texts += [json.dumps(call.json) for call in world.discord.calls()]
    return "\n".join(texts)


async def test_account_commands_are_registered_with_choices_and_chinese(discord_world: DiscordWorld) -> None:
    await discord_world.start_bot()
    commands = {c["name"]: c for c in discord_world.discord.commands(GUILD)}
    assert set(commands) >= {"login", "logout", "account", "group", "admin"}
    for name in ("login", "logout", "account", "group", "admin"):
        assert "zh-CN" in commands[name]["description_localizations"], name
    group = {o["name"]: o for o in commands["group"]["options"]}
    assert {c["value"] for c in group["action"]["choices"]} == {
        "status", "bind", "lend", "unbind", "quota", "priority", "pause", "resume", "prefer", "default", "channels"}
    assert group["args"]["type"] == 3 and not group["args"].get("required")
    admin = {o["name"]: o for o in commands["admin"]["options"]}
    assert {c["value"] for c in admin["action"]["choices"]} == {"ban", "unban", "queue"}
    assert admin["user"]["type"] == 6  # a Discord user picker


async def test_login_by_token_in_a_modal_and_jobs_run_on_the_own_account(discord_world: DiscordWorld) -> None:
    world = discord_world
    await world.start_bot(unset=("NOVELAI_EMAIL", "NOVELAI_PASSWORD"))  # no default account at all
    refused = await generate(world, ANN)
    assert refused.ephemeral_for == ANN.id and "no shared NovelAI account" in refused.content

    opened = world.command(ANN, "login")
    modal = await world.modal(opened)
    assert modal["custom_id"] == f"naibot-login:{ANN.id}"
    inputs = {c["component"]["custom_id"]: c["component"] for c in modal["components"]}
    assert set(inputs) == {"token", "email", "password"}
    assert not any(i.get("required", True) for i in inputs.values())
    assert "only you and the bot see this" in inputs["password"]["placeholder"].lower()
    assert "only you and the bot see this" in inputs["token"]["placeholder"].lower()
    assert inputs["password"]["style"] == 1  # short

    answer = await world.submit(ANN, modal, token=OPUS_TOKEN)
    assert answer.ephemeral_for == ANN.id and "Logged in" in answer.content and "1000 Anlas" in answer.content
    assert OPUS_TOKEN not in visible_everywhere(world)
    async with services_of(world) as services:
        stored = key(world, "nai", "account", await personal(world, ANN))
        assert await services.redis.exists(stored)
        assert OPUS_TOKEN.encode() not in await stored_bytes(services, stored)
        assert OPUS_TOKEN[4:20].encode() not in await stored_bytes(services, stored)

    await world.deployment.start_worker()
    status = await generate(world, ANN, "my own cat")
    assert status.ephemeral_for is None
    job = await latest_job(world, ANN)
    assert job.account == await personal(world, ANN)
    async with services_of(world) as services:
        assert (await wait_until_finished(services, [job.id]))[job.id].state is JobState.DONE
    await world.wait(lambda: len(world.results()) == 1)
    assert "Paid by" not in json.dumps(world.results()[0].embeds)


async def test_login_by_email_and_password_bad_credentials_and_an_empty_form(discord_world: DiscordWorld
                                                                             ) -> None:
    world = discord_world
    await world.start_bot(**NO_DEFAULT)
    empty = await world.login(BOB)
    assert empty.ephemeral_for == BOB.id and "token" in empty.content and "Nothing was stored" in empty.content
    only_email = await world.login(BOB, email=OPUS_EMAIL)
    assert "Nothing was stored" in only_email.content

    bad = await world.login(BOB, email=OPUS_EMAIL, password="wrong-password")
    assert bad.ephemeral_for == BOB.id and "did not accept" in bad.content and "Nothing was stored" in bad.content
    bad_token = await world.login(BOB, token="pst-" + "x" * 60)
    assert "did not accept" in bad_token.content
    async with services_of(world) as services:
        assert not await services.redis.keys(key(world, "nai", "*", await personal(world, BOB)))

    good = await world.login(CAT, email=TABLET_EMAIL, password=TABLET_PASSWORD)
    assert good.ephemeral_for == CAT.id and "Logged in" in good.content and "500 Anlas" in good.content
    assert TABLET_PASSWORD not in visible_everywhere(world)
    async with services_of(world) as services:
        stored = await stored_bytes(services, key(world, "nai", "account", await personal(world, CAT)))
        assert stored and TABLET_PASSWORD.encode() not in stored and TABLET_EMAIL.encode() not in stored

    account = await world.ask(CAT, "account")
    assert account.ephemeral_for == CAT.id
    text = account.content
    assert "your own NovelAI account" in text
    assert "Token: cached" in text and "more days" in text and "Last checked" in text
    assert "Subscription:" in text and "500 Anlas" in text
    assert "costs" in text or "free" in text
    none = await world.ask(BOB, "account")
    assert none.ephemeral_for == BOB.id and "No NovelAI account" in none.content


async def test_logout_wipes_every_secret_and_unbinds_lent_groups(discord_world: DiscordWorld) -> None:
    world = discord_world
    await world.start_bot(**NO_DEFAULT)
    assert "Logged in" in (await world.login(OWNER, email=OPUS_EMAIL, password=OPUS_PASSWORD)).content
    await world.ask(OWNER, "account")  # logs in with NovelAI: a token is cached now
    lent = await world.ask(OWNER, "group", action="lend", args="images:5")
    assert "lent by Owner" in lent.content
    user = await personal(world, OWNER)
    secrets = [key(world, "nai", "account", user), key(world, "nai", "token", user),
               BotKeys(world.deployment.prefix).account_meta(user)]
    async with services_of(world) as services:
        assert all([await services.redis.exists(name) for name in secrets]), secrets

    out = await world.ask(OWNER, "logout")
    assert out.ephemeral_for == OWNER.id and "Logged out" in out.content and "1 group" in out.content
    async with services_of(world) as services:
        assert not [name for name in secrets if await services.redis.exists(name)]
        assert not await services.redis.keys(f"{world.deployment.prefix}:nai:*{user}*")
    status = await world.ask(BOB, "group")
    assert "Shared account: none" in status.content
    again = await world.ask(OWNER, "logout")
    assert "not logged in" in again.content


async def test_group_bind_through_a_modal_by_an_admin_only(discord_world: DiscordWorld) -> None:
    world = discord_world
    await world.start_bot(**NO_DEFAULT)
    refused = await world.ask(BOB, "group", action="bind")
    assert refused.ephemeral_for == BOB.id and "Only this group's admins" in refused.content
    assert world.discord.interaction(world.command(BOB, "group", action="status")).modal is None

    opened = world.command(OWNER, "group", action="bind")
    modal = await world.modal(opened)
    assert modal["custom_id"] == f"naibot-bind:{OWNER.id}"
    # A member who never got the form cannot submit one.
    with pytest.raises(ValueError):
        world.discord.submit_modal(GUILD, SFW, BOB, modal["custom_id"], {"token": OPUS_TOKEN})
    bound = await world.submit(OWNER, modal, token=OPUS_TOKEN)
    assert bound.ephemeral_for == OWNER.id and "Artists now has a shared NovelAI account" in bound.content
    assert OPUS_TOKEN not in visible_everywhere(world)
    async with services_of(world) as services:
        assert await services.redis.exists(key(world, "nai", "account", f"group:discord:{GUILD}"))
    status = await world.ask(BOB, "group", action="status")
    assert "bound by Owner" in status.content

    await world.deployment.hold_lane(f"group:discord:{GUILD}")
    await generate(world, BOB, "a shared cat")
    assert (await latest_job(world, BOB)).account == f"group:discord:{GUILD}"
    account = await world.ask(BOB, "account")
    assert "shared account (paid by Owner)" in account.content

    unbound = await world.ask(OWNER, "group", action="unbind")
    assert "removed" in unbound.content
    async with services_of(world) as services:
        assert not await services.redis.exists(key(world, "nai", "account", f"group:discord:{GUILD}"))


async def test_login_and_bind_forms_opened_before_a_restart_work_after_it(discord_world: DiscordWorld) -> None:
    """The forms keep nothing in the process that opened them: a restarted bot answers them from
    their custom id, values and the admin right recorded in Redis."""
    world = discord_world
    first = await world.start_bot(**NO_DEFAULT)
    login_form = await world.modal(world.command(ANN, "login"))
    bind_form = await world.modal(world.command(OWNER, "group", action="bind"))
    await world.stop_bot(first)
    await world.start_bot(**NO_DEFAULT)

    logged_in = await world.submit(ANN, login_form, token=OPUS_TOKEN)
    assert logged_in.ephemeral_for == ANN.id and "Logged in" in logged_in.content
    bound = await world.submit(OWNER, bind_form, email=TABLET_EMAIL, password=TABLET_PASSWORD)
    assert bound.ephemeral_for == OWNER.id and "Artists now has a shared NovelAI account" in bound.content
    assert OPUS_TOKEN not in visible_everywhere(world) and TABLET_PASSWORD not in visible_everywhere(world)
    async with services_of(world) as services:
        assert await services.redis.exists(key(world, "nai", "account", await personal(world, ANN)))
        assert await services.redis.exists(key(world, "nai", "account", f"group:discord:{GUILD}"))


async def test_lent_account_caps_images_and_results_name_who_paid(discord_world: DiscordWorld) -> None:
    world = discord_world
    await world.start_bot(**NO_DEFAULT)
    await world.login(OWNER, token=OPUS_TOKEN)
    member_lend = await world.ask(BOB, "group", action="lend", args="images:5")
    assert "Only this group's admins" in member_lend.content
    await world.ask(OWNER, "group", action="lend", args="images:5 anlas:0")
    await world.deployment.start_worker()
    for i in range(5):
        answer = await generate(world, BOB, f"lent cat {i}")
        assert answer.ephemeral_for is None, answer.content
        assert (await latest_job(world, BOB, i + 1)).account == await personal(world, OWNER)
    sixth = await generate(world, ANN, "one too many")
    assert sixth.ephemeral_for == ANN.id
    assert "made its 5 images for today" in sixth.content
    await world.wait(lambda: len(world.results()) == 5, timeout=60)
    for result in world.results():
        assert "Paid by Owner" in result.embeds[0]["description"]
    status = await world.ask(OWNER, "group")
    assert "Today: 5 of 5 images" in status.content


async def test_member_quotas_waiting_limit_and_cooldown(discord_world: DiscordWorld) -> None:
    world = discord_world
    await world.deployment.hold_lane()
    await world.start_bot()
    refused = await world.ask(BOB, "group", action="quota", args="images:1")
    assert "Only this group's admins" in refused.content
    bad = await world.ask(OWNER, "group", action="quota", args="pictures:3")
    assert "pictures:3" in bad.content and bad.ephemeral_for == OWNER.id
    set_quota = await world.ask(OWNER, "group", action="quota", args="images:1")
    assert "1 images a day" in set_quota.content

    assert (await generate(world, BOB, "first")).ephemeral_for is None
    second = await generate(world, BOB, "second")
    assert second.ephemeral_for == BOB.id and "used your 1 images for today" in second.content

    await world.ask(OWNER, "group", action="quota", args="images:0 waiting:1")
    assert (await generate(world, ANN, "one waiting")).ephemeral_for is None
    # The queue refuses it: the status message becomes the reason.
    waiting = await generate(world, ANN, "two waiting")
    await world.wait(lambda: "the limit is 1" in world.current(SFW, waiting.id).content)

    await world.ask(OWNER, "group", action="quota", args="waiting:0 cooldown:600")
    assert (await generate(world, CAT, "cool")).ephemeral_for is None
    cooling = await generate(world, CAT, "too soon")
    assert cooling.ephemeral_for == CAT.id and "Slow down" in cooling.content
    # Group admins are not held to members' quotas.
    assert (await generate(world, OWNER, "admin one")).ephemeral_for is None
    assert (await generate(world, OWNER, "admin two")).ephemeral_for is None


async def test_priority_limits_by_role_group_admin_and_deployment_admin(discord_world: DiscordWorld) -> None:
    world = discord_world
    supporter = world.discord.add_role(GUILD, "Supporter")
    world.discord.give_role(GUILD, ANN, supporter)
    moderator = world.discord.add_role(GUILD, "Moderator")  # one of discord.admin_roles
    await world.deployment.hold_lane()
    await world.start_bot(NAIBOT_DISCORD__ROLE_PRIORITIES=json.dumps({str(supporter): 7}),
                          NAIBOT_DISCORD__ADMIN_ROLES=json.dumps([moderator]),
                          NAIBOT_BOT__ADMINS=json.dumps([f"discord:{CAT.id}"]))
    # Roles given while the bot is connected count too (the interaction carries the member's roles).
    world.discord.add_member(GUILD, DAN)
    world.discord.give_role(GUILD, DAN, moderator)
    member = await generate(world, BOB, priority=6)
    assert member.ephemeral_for == BOB.id and "the most you may ask for is 5" in member.content
    assert (await generate(world, BOB, priority=5)).ephemeral_for is None
    assert (await latest_job(world, BOB)).priority == 5

    role = await generate(world, ANN, priority=8)
    assert "the most you may ask for is 7" in role.content
    assert (await generate(world, ANN, priority=7)).ephemeral_for is None
    assert (await latest_job(world, ANN)).priority == 7

    admin = await generate(world, OWNER, priority=9)
    assert "the most you may ask for is 8" in admin.content
    assert (await generate(world, OWNER, priority=8)).ephemeral_for is None

    moderator_answer = await generate(world, DAN, priority=9)
    assert "the most you may ask for is 8" in moderator_answer.content
    assert (await generate(world, DAN, priority=8)).ephemeral_for is None
    assert "paused" in (await world.ask(DAN, "group", action="pause")).content  # a group admin by role
    await world.ask(DAN, "group", action="resume")

    assert (await generate(world, CAT, priority=10)).ephemeral_for is None
    assert (await latest_job(world, CAT)).priority == 10

    raised = await world.ask(OWNER, "group", action="priority", args="max:6")
    assert "up to 6" in raised.content
    assert (await generate(world, BOB, priority=6)).ephemeral_for is None


async def test_pause_and_resume(discord_world: DiscordWorld) -> None:
    world = discord_world
    await world.deployment.hold_lane()
    await world.start_bot()
    paused = await world.ask(OWNER, "group", action="pause")
    assert "paused" in paused.content and paused.ephemeral_for is None
    refused = await generate(world, BOB, "while paused")
    assert refused.ephemeral_for == BOB.id and "not taking new jobs" in refused.content
    member_resume = await world.ask(BOB, "group", action="resume")
    assert "Only this group's admins" in member_resume.content
    assert "not taking new jobs" in (await generate(world, BOB, "still paused")).content
    await world.ask(OWNER, "group", action="resume")
    assert (await generate(world, BOB, "after resume")).ephemeral_for is None


async def test_guild_queue_lists_names_and_only_admins_cancel_others_jobs(discord_world: DiscordWorld) -> None:
    world = discord_world
    await world.deployment.hold_lane()
    await world.start_bot(NAIBOT_BOT__ADMINS=json.dumps([f"discord:{CAT.id}"]))
    ann_status = await generate(world, ANN, "ann's heron")
    await generate(world, BOB, "bob's heron")
    await generate(world, BOB, "bob's second heron")
    ann_job, bob_job = await latest_job(world, ANN), await latest_job(world, BOB, 2)
    listing = await world.ask(BOB, "queue")
    assert "Ann" in listing.content and "Bob" in listing.content and listing.ephemeral_for is None

    forbidden = await world.ask(BOB, "cancel", job=ann_job.id)
    assert "cancel" in forbidden.content.lower()
    await world.wait(lambda: bool(world.current(SFW, ann_status.id).components))
    button = next(c for c in world.current(SFW, ann_status.id).custom_ids() if c.startswith("cancel:"))
    pressed = await world.answer(world.discord.click_button(GUILD, SFW, BOB, ann_status.id, button))
    assert pressed.ephemeral_for == BOB.id
    async with services_of(world) as services:
        assert (await services.queue.get(ann_job.id)).state is JobState.QUEUED
        await world.ask(OWNER, "cancel", job=ann_job.id)  # the server's admin
        assert (await services.queue.get(ann_job.id)).state is JobState.CANCELED
        await world.ask(CAT, "cancel", job=bob_job.id)  # a deployment admin
        assert (await services.queue.get(bob_job.id)).state is JobState.CANCELED


async def test_ban_and_permissions_of_each_role(discord_world: DiscordWorld) -> None:
    world = discord_world
    await world.deployment.hold_lane()
    await world.start_bot(NAIBOT_BOT__ADMINS=json.dumps([f"discord:{CAT.id}"]))
    own_status = await generate(world, ANN, "before the ban")
    await world.wait(lambda: bool(world.current(SFW, own_status.id).components))

    # Only deployment admins ban: not a member, not the server's owner.
    for who in (BOB, OWNER):
        answer = await world.ask(who, "admin", action="ban", user=ANN.id)
        assert answer.ephemeral_for == who.id and "Only the bot's admins" in answer.content
    assert "Only the bot's admins" in (await world.ask(BOB, "admin", action="queue")).content
    banned = await world.ask(CAT, "admin", action="ban", user=ANN.id)
    assert f"discord:{ANN.id} is banned" in banned.content
    lanes = await world.ask(CAT, "admin", action="queue")
    assert lanes.ephemeral_for == CAT.id and "All lanes" in lanes.content and f"discord:{ANN.id}" in lanes.content
    assert "yourself" in (await world.ask(CAT, "admin", action="ban", user=CAT.id)).content

    # The banned user: commands and buttons refused.
    for name, options in (("generate", {"prompt": "banned", **SMALL}), ("group", {"action": "status"}),
                          ("login", {}), ("account", {}), ("queue", {})):
        answer = await world.ask(ANN, name, **options)
        assert answer.ephemeral_for == ANN.id and "banned" in answer.content, name
    button = next(c for c in world.current(SFW, own_status.id).custom_ids() if c.startswith("cancel:"))
    pressed = await world.answer(world.discord.click_button(GUILD, SFW, ANN, own_status.id, button))
    assert "banned" in pressed.content
    assert (await latest_job(world, ANN)).state is JobState.QUEUED

    # /group actions: the server's owner and a deployment admin may, a member may not.
    assert "paused" in (await world.ask(OWNER, "group", action="pause")).content
    assert "Only this group's admins" in (await world.ask(BOB, "group", action="resume")).content
    assert "takes new jobs" in (await world.ask(CAT, "group", action="resume")).content
    assert "Group settings" in (await world.ask(BOB, "group", action="status")).content

    unbanned = await world.ask(CAT, "admin", action="unban", user=ANN.id)
    assert "may use the bot again" in unbanned.content
    assert (await generate(world, ANN, "after the ban")).ephemeral_for is None


async def test_a_rejected_token_fails_jobs_and_tells_the_owner_once_by_dm(discord_world: DiscordWorld) -> None:
    world = discord_world
    await world.start_bot(**NO_DEFAULT)
    for user in (ANN, BOB, CAT):
        assert "Logged in" in (await world.login(user, token=OPUS_TOKEN)).content
    world.discord.close_dms(BOB)
    await world.deployment.start_worker()
    world.deployment.sandbox.revoke_tokens(OPUS_TOKEN)

    first = await generate(world, ANN, "rejected one")
    await world.wait(lambda: len(world.discord.dms(ANN.id)) == 1, timeout=30)
    job = await latest_job(world, ANN)
    assert job.state is JobState.FAILED and job.error is not None and job.error.kind == "auth"
    await world.wait(lambda: "did not accept the account's login" in world.current(SFW, first.id).content)
    dm = world.discord.dms(ANN.id)[0]
    assert "no longer accepts your login" in dm.content and OPUS_TOKEN not in dm.content

    # A second failing job says so in the channel but sends no second DM.
    second = await generate(world, ANN, "rejected two")
    await world.wait(lambda: "did not accept" in world.current(SFW, second.id).content, timeout=30)
    # Someone whose DMs are closed: the job fails, nothing breaks.
    closed = await generate(world, BOB, "closed dms")
    await world.wait(lambda: "did not accept" in world.current(SFW, closed.id).content, timeout=30)
    # A later rejection of someone else is told to them: by then the second job's turn is long over.
    await generate(world, CAT, "rejected three")
    await world.wait(lambda: len(world.discord.dms(CAT.id)) == 1, timeout=30)
    assert len(world.discord.dms(ANN.id)) == 1
    assert world.discord.dms(BOB.id) == []
    assert any(call.code == 50007 for call in world.discord.calls("POST", "/messages"))
    opened = world.discord.calls("POST", "/users/@me/channels")
    assert {int(call.json["recipient_id"]) for call in opened} == {ANN.id, BOB.id, CAT.id}
