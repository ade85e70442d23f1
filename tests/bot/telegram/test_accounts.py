"""Accounts, groups, quotas, priorities and bans on Telegram, end to end: the real bot against the
Bot API stand-in, the NovelAI stand-in, a real worker where a job must finish, and Redis."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.keys import BotKeys
from bot.rules.account_names import AccountNames
from novelai.accesskey import derive_access_key
from sandbox.novelai import OPUS_EMAIL, OPUS_PASSWORD, OPUS_TOKEN, TABLET_EMAIL, TABLET_PASSWORD
from sandbox.novelai.accounts import SandboxAccount
from sandbox.telegram import SandboxUser
from tasks.job import JobState
from tasks.services import QueueServices
from tests.fixtures.deployment import wait_until_finished
from tests.fixtures.telegram_e2e import ANN, BOB, CAT, GROUP, TelegramWorld

pytestmark = pytest.mark.xdist_group("workers")

SMALL = "--size 512x512 --steps 8"
DAN = SandboxUser(8181, "Dan", "dan", "en")
NO_DEFAULT = {"NAIBOT_BOT__ALLOW_DEFAULT_ACCOUNT": "false"}


def texts(world: TelegramWorld, chat_id: int) -> list[str]:
    return [m.text or m.caption or "" for m in world.telegram.bot_messages(chat_id) if not m.deleted]


async def said(world: TelegramWorld, chat_id: int, fragment: str, timeout: float = 15) -> str:
    """Wait for the bot to say something containing ``fragment`` in the chat; returns that text."""
    found: list[str] = []

    def check() -> bool:
        found[:] = [text for text in texts(world, chat_id) if fragment in text]
        return bool(found)

    await world.wait(check, timeout)
    return found[-1]


def deleted(world: TelegramWorld, chat_id: int, message: dict) -> bool:
    return any(m.deleted for m in world.telegram.messages(chat_id) if m.message_id == message["message_id"])


async def personal(world: TelegramWorld, user: SandboxUser) -> str:
    """The name of the user's own account (and lane): a keyed hash, never their Telegram id."""
    services = world.deployment.services()
    try:
        return await AccountNames(services.redis, BotKeys(world.deployment.prefix)).personal(f"telegram:{user.id}")
    finally:
        await services.aclose()


async def redis_values(world: TelegramWorld) -> dict[str, bytes]:
    services = world.deployment.services()
    try:
        keys = [k async for k in services.redis.scan_iter(match=f"{world.deployment.prefix}:*", count=1000)]
        values = {}
        for key in keys:
            if await services.redis.type(key) == b"string":
                values[key.decode()] = await services.redis.get(key) or b""
        return values
    finally:
        await services.aclose()


async def latest_job_id(services: QueueServices, prefix: str, user: SandboxUser, timeout: float = 10) -> str:
    """The id of the user's newest job (remembered right after it is queued)."""
    deadline = time.monotonic() + timeout
    while not (ids := await services.redis.lrange(BotKeys(prefix).user_recent(f"telegram:{user.id}"), 0, 0)):
        assert time.monotonic() < deadline, "the job was never queued"
        await asyncio.sleep(0.05)
    return ids[0].decode()


async def login_with_token(world: TelegramWorld, user: SandboxUser, token: str = OPUS_TOKEN) -> None:
    world.say(user, "/login")
    await said(world, user.id, "persistent API token")
    world.say(user, token)
    await said(world, user.id, "Logged in")


async def make_group_admin(world: TelegramWorld, user: SandboxUser) -> None:
    world.say(user, "hello", chat_id=GROUP)  # the group exists once someone writes in it
    world.telegram.set_member(GROUP, user.id, "administrator")


# -- personal logins -------------------------------------------------------------------------

async def test_login_by_token_is_stored_encrypted_and_the_message_deleted(telegram_world: TelegramWorld) -> None:
    world = telegram_world
    await world.deployment.start_worker()
    await world.start_bot()
    world.say(ANN, "/login")
    await said(world, ANN.id, "persistent API token")
    secret_message = world.say(ANN, OPUS_TOKEN)
    reply = await said(world, ANN.id, "Logged in")
    assert "Opus" in reply
    assert deleted(world, ANN.id, secret_message), "the message holding the token is deleted"
    values = await redis_values(world)
    account_key = f"{world.deployment.prefix}:nai:account:{await personal(world, ANN)}"
    assert account_key in values
    assert all(OPUS_TOKEN.encode() not in value for value in values.values()), "no token in the clear"
    command = world.say(ANN, f"/generate a fox {SMALL}")
    await world.status_message(ANN.id, command)
    services = world.deployment.services()
    try:
        job_id = await latest_job_id(services, world.deployment.prefix, ANN)
        job = (await wait_until_finished(services, [job_id]))[job_id]
    finally:
        await services.aclose()
    assert job.account == await personal(world, ANN) and job.state is JobState.DONE


async def test_login_by_email_and_password_keeps_the_access_key_not_the_password(
        telegram_world: TelegramWorld) -> None:
    world = telegram_world
    await world.start_bot()
    world.say(BOB, "/login")
    await said(world, BOB.id, "persistent API token")
    world.say(BOB, TABLET_EMAIL)
    await said(world, BOB.id, "password")
    password_message = world.say(BOB, TABLET_PASSWORD)
    reply = await said(world, BOB.id, "Logged in")
    assert "Tablet" in reply and "500 Anlas" in reply
    assert deleted(world, BOB.id, password_message)
    values = await redis_values(world)
    everything = b"".join(values.values())
    assert TABLET_PASSWORD.encode() not in everything
    assert derive_access_key(TABLET_EMAIL, TABLET_PASSWORD).encode() not in everything, "the key is encrypted"
    assert f"{world.deployment.prefix}:nai:account:{await personal(world, BOB)}" in values


async def test_bad_credentials_are_refused_and_nothing_is_stored(telegram_world: TelegramWorld) -> None:
    world = telegram_world
    await world.start_bot()
    world.say(CAT, f"/login {OPUS_EMAIL} wrong-password")
    reply = await said(world, CAT.id, "did not accept")
    assert "Nothing was stored" in reply
    values = await redis_values(world)
    assert not any(":nai:account:" in key or ":nai:token:user:" in key for key in values)


async def test_credentials_typed_in_a_group_are_deleted_and_refused(telegram_world: TelegramWorld) -> None:
    world = telegram_world
    await world.start_bot()
    world.say(ANN, "hello", chat_id=GROUP)
    world.telegram.set_member(GROUP, world.telegram.bot_id, "administrator")
    leaked = world.say(ANN, f"/login {OPUS_EMAIL} {OPUS_PASSWORD}", chat_id=GROUP)
    warning = await said(world, GROUP, "Never post")
    assert "deleted" in warning and "change your NovelAI password" in warning
    assert deleted(world, GROUP, leaked)
    assert not any(":nai:account:" in key for key in await redis_values(world))


async def test_credentials_in_a_group_where_the_bot_cannot_delete_say_so(telegram_world: TelegramWorld) -> None:
    world = telegram_world
    await world.start_bot()
    leaked = world.say(BOB, f"/login {OPUS_TOKEN}", chat_id=GROUP)
    warning = await said(world, GROUP, "Never post")
    assert "could not delete" in warning
    assert not deleted(world, GROUP, leaked)
    assert not any(":nai:account:" in key for key in await redis_values(world))


async def test_account_shows_which_account_token_state_tier_anlas_and_cost(telegram_world: TelegramWorld) -> None:
    world = telegram_world
    await world.start_bot()
    world.say(ANN, "/account")
    before = await said(world, ANN.id, "Your jobs here run on")
    assert "this bot's own account" in before
    await login_with_token(world, ANN)
    world.say(ANN, "/account")
    after = await said(world, ANN.id, "your own NovelAI account")
    assert "Token: cached" in after and "Opus" in after and "1000 Anlas" in after
    assert "Last checked" in after and "/generate" in after


async def test_account_in_a_group_answers_in_private(telegram_world: TelegramWorld) -> None:
    world = telegram_world
    await world.start_bot()
    world.say(ANN, "/start")  # Ann has a private chat with the bot
    await said(world, ANN.id, "NovelAI image bot")
    world.say(ANN, "/account", chat_id=GROUP)
    await said(world, ANN.id, "Your jobs here run on")
    assert not any("Your jobs here run on" in text for text in texts(world, GROUP))


async def test_logout_deletes_every_stored_secret_and_cached_token(telegram_world: TelegramWorld) -> None:
    world = telegram_world
    await world.deployment.start_worker()
    await world.start_bot()
    world.say(ANN, f"/login {OPUS_EMAIL} {OPUS_PASSWORD}")
    await said(world, ANN.id, "Logged in")
    mine = await personal(world, ANN)
    assert any(key.endswith(f":nai:token:{mine}") for key in await redis_values(world)), "a token was cached"
    world.say(ANN, "/logout")
    await said(world, ANN.id, "Logged out")
    left = [key for key in await redis_values(world) if mine in key and (":nai:" in key or "account-meta" in key)]
    assert left == []
    world.say(ANN, "/account")
    assert "this bot's own account" in await said(world, ANN.id, "Your jobs here run on")


async def test_without_an_account_or_default_the_user_is_told_how_to_log_in(telegram_world: TelegramWorld) -> None:
    world = telegram_world
    await world.start_bot(**NO_DEFAULT)
    world.say(CAT, f"/generate a cat {SMALL}")
    assert "/login" in await said(world, CAT.id, "no NovelAI account")
    world.say(CAT, f"/generate a cat {SMALL}", chat_id=GROUP)
    assert "/group account" in await said(world, GROUP, "no shared NovelAI account")


async def test_a_rejected_token_fails_jobs_and_tells_the_owner_once(telegram_world: TelegramWorld) -> None:
    world = telegram_world
    revocable = "pst-" + "r" * 60
    world.deployment.sandbox.add_account(SandboxAccount(token=revocable, tier=3, anlas=100))
    await world.deployment.start_worker()
    await world.start_bot()
    await login_with_token(world, DAN, revocable)
    world.deployment.sandbox.revoke_tokens(revocable)
    for n in range(2):
        command = world.say(DAN, f"/generate a fox {n} {SMALL}")
        status = await world.status_message(DAN.id, command)
        await world.wait(lambda s=status: "Failed" in (world.current(DAN.id, s.message_id).text or "")
                         or "failed" in (world.current(DAN.id, s.message_id).text or ""), timeout=30)
    await said(world, DAN.id, "no longer accepts your login")
    notices = [text for text in texts(world, DAN.id) if "no longer accepts your login" in text]
    assert len(notices) == 1


# -- groups ----------------------------------------------------------------------------------

async def test_group_admin_lends_an_account_and_the_sixth_image_is_refused(telegram_world: TelegramWorld) -> None:
    world = telegram_world
    await world.deployment.start_worker()
    await world.start_bot(**NO_DEFAULT)
    await login_with_token(world, ANN)
    await make_group_admin(world, ANN)
    world.say(ANN, "/group account lend images:5 anlas:0", chat_id=GROUP)
    assert "lent by Ann" in await said(world, GROUP, "Shared account")
    for n in range(5):
        command = world.say(BOB, f"/generate a heron {n} {SMALL}", chat_id=GROUP)
        await world.status_message(GROUP, command)
    sixth = world.say(BOB, f"/generate a heron 6 {SMALL}", chat_id=GROUP)
    refusal = await said(world, GROUP, "made its 5 images for today")
    assert "owner's limit" in refusal
    assert not world.replies_to(GROUP, sixth["message_id"]) or all(
        "Adding your job" not in (m.text or "") for m in world.replies_to(GROUP, sixth["message_id"]))
    await world.wait(lambda: sum(1 for m in world.telegram.bot_messages(GROUP) if m.photo) == 5, timeout=60)
    captions = [m.caption or "" for m in world.telegram.bot_messages(GROUP) if m.photo]
    assert all("Paid by Ann" in caption for caption in captions)


async def test_lending_for_free_only_refuses_jobs_that_cost_anlas(telegram_world: TelegramWorld) -> None:
    world = telegram_world
    await world.start_bot(**NO_DEFAULT)
    await login_with_token(world, ANN)
    await make_group_admin(world, ANN)
    world.say(ANN, "/group account lend anlas:0", chat_id=GROUP)
    await said(world, GROUP, "Shared account")
    command = world.say(BOB, "/generate a big heron --size 1216x832 --steps 28 --n 2", chat_id=GROUP)
    status = await world.status_message(GROUP, command)
    await world.wait(lambda: "Anlas" in (world.current(GROUP, status.message_id).text or ""))
    assert "only free generations" in world.current(GROUP, status.message_id).text


async def test_members_cannot_change_the_group_and_admins_can(telegram_world: TelegramWorld) -> None:
    world = telegram_world
    await world.start_bot()
    await make_group_admin(world, ANN)
    world.say(BOB, "/group pause", chat_id=GROUP)
    assert "Only this group's admins" in await said(world, GROUP, "admins can change")
    world.say(ANN, "/group pause", chat_id=GROUP)
    await said(world, GROUP, "The group is paused")
    world.say(BOB, f"/generate a crane {SMALL}", chat_id=GROUP)
    await said(world, GROUP, "not taking new jobs")
    world.say(ANN, "/group resume", chat_id=GROUP)
    await said(world, GROUP, "takes new jobs again")
    command = world.say(BOB, f"/generate a crane {SMALL}", chat_id=GROUP)
    status = await world.status_message(GROUP, command)
    await world.wait(lambda: "position" in (world.current(GROUP, status.message_id).text or "")
                     or "Done" in (world.current(GROUP, status.message_id).text or ""))


async def test_group_quotas_cap_images_waiting_jobs_and_pace_commands(telegram_world: TelegramWorld) -> None:
    world = telegram_world
    await world.deployment.hold_lane()
    await world.start_bot()
    await make_group_admin(world, ANN)
    world.say(ANN, "/group quota images:3 waiting:2", chat_id=GROUP)
    assert "3 images a day, 2 waiting at once" in await said(world, GROUP, "Per member")
    for n in range(2):
        world.say(BOB, f"/generate a swan {n} {SMALL}", chat_id=GROUP)
    await world.deployment.wait_for_depth(2)
    world.say(BOB, f"/generate a swan 3 {SMALL}", chat_id=GROUP)
    await said(world, GROUP, "jobs waiting (the limit is 2)")
    world.say(BOB, f"/generate a swan 4 {SMALL} --n 2", chat_id=GROUP)
    await said(world, GROUP, "used your 3 images for today")
    world.say(ANN, "/group quota images:0 waiting:0 cooldown:600", chat_id=GROUP)
    await said(world, GROUP, "600 s between jobs")
    world.say(CAT, f"/generate an owl {SMALL}", chat_id=GROUP)
    await world.deployment.wait_for_depth(3)
    world.say(CAT, f"/generate an owl again {SMALL}", chat_id=GROUP)
    assert "Slow down" in await said(world, GROUP, "start another job here in")


async def test_priority_above_the_limit_is_refused_with_the_limit(telegram_world: TelegramWorld) -> None:
    world = telegram_world
    await world.deployment.hold_lane()
    await world.start_bot(NAIBOT_BOT__ADMINS=f'["telegram:{CAT.id}"]')
    await make_group_admin(world, ANN)
    world.say(BOB, f"/generate a bee {SMALL} --priority 9", chat_id=GROUP)
    assert "the most you may ask for is 5" in await said(world, GROUP, "Priority 9 is above")
    world.say(ANN, f"/generate a bee {SMALL} --priority 9", chat_id=GROUP)
    assert "the most you may ask for is 8" in await said(world, GROUP, "may ask for is 8")
    world.say(ANN, f"/generate a bee {SMALL} --priority 8", chat_id=GROUP)
    world.say(CAT, f"/generate a bee {SMALL} --priority 10", chat_id=GROUP)
    await world.deployment.wait_for_depth(2)
    services = world.deployment.services()
    try:
        jobs = [await services.queue.get(i) for i in await services.queue.waiting_ids("default")]
    finally:
        await services.aclose()
    assert sorted(job.priority for job in jobs if job) == [8, 10]


async def test_group_queue_lists_the_groups_jobs_and_an_admin_cancels_any(telegram_world: TelegramWorld) -> None:
    world = telegram_world
    await world.deployment.hold_lane()
    await world.start_bot()
    await make_group_admin(world, ANN)
    world.say(BOB, f"/generate a lark {SMALL}", chat_id=GROUP)
    world.say(CAT, f"/generate a wren {SMALL}", chat_id=GROUP)
    await world.deployment.wait_for_depth(2)
    world.say(ANN, "/queue", chat_id=GROUP)
    listing = await said(world, GROUP, "Jobs from this chat")
    assert "Bob" in listing and "Cat" in listing and "position 1 of 2" in listing
    services = world.deployment.services()
    try:
        jobs = [await services.queue.get(i) for i in await services.queue.waiting_ids("default")]
        bobs = next(job for job in jobs if job and job.requester.user_id == str(BOB.id))
    finally:
        await services.aclose()
    world.say(CAT, f"/cancel {bobs.id}", chat_id=GROUP)
    await said(world, GROUP, f"Only the person who asked for job {bobs.id}")
    world.say(ANN, f"/cancel {bobs.id}", chat_id=GROUP)
    await said(world, GROUP, f"Job {bobs.id} is canceled")


async def test_a_banned_user_is_refused_everywhere_until_unbanned(telegram_world: TelegramWorld) -> None:
    world = telegram_world
    await world.start_bot(NAIBOT_BOT__ADMINS=f'["telegram:{CAT.id}"]')
    world.say(BOB, f"/admin ban {CAT.id}")
    await said(world, BOB.id, "Only the bot's admins")
    world.say(CAT, f"/admin ban {BOB.id}")
    await said(world, CAT.id, "is banned")
    world.say(BOB, f"/generate a moth {SMALL}")
    await said(world, BOB.id, "banned you")
    world.say(BOB, "/queue")
    world.say(BOB, "/login")
    await world.wait(lambda: sum("banned you" in text for text in texts(world, BOB.id)) >= 3)
    world.say(CAT, f"/admin unban telegram:{BOB.id}")
    await said(world, CAT.id, "may use the bot again")
    command = world.say(BOB, f"/generate a moth {SMALL}")
    status = await world.status_message(BOB.id, command)
    assert "banned" not in (status.text or "")


async def test_admin_queue_shows_every_lane_to_deployment_admins_only(telegram_world: TelegramWorld) -> None:
    world = telegram_world
    await world.deployment.hold_lane()
    await world.start_bot(NAIBOT_BOT__ADMINS=f'["telegram:{CAT.id}"]')
    world.say(BOB, f"/generate a gnat {SMALL}")
    await world.deployment.wait_for_depth(1)
    world.say(BOB, "/admin queue")
    await said(world, BOB.id, "Only the bot's admins")
    world.say(CAT, "/admin queue")
    listing = await said(world, CAT.id, "All lanes")
    assert "default: 1 waiting" in listing and f"telegram:{BOB.id}" in listing


async def test_group_account_bound_privately_by_an_admin_pays_for_members(telegram_world: TelegramWorld) -> None:
    world = telegram_world
    await world.deployment.start_worker()
    await world.start_bot(**NO_DEFAULT)
    world.say(ANN, "/start")
    await said(world, ANN.id, "NovelAI image bot")
    await make_group_admin(world, ANN)
    world.say(ANN, "/group account bind", chat_id=GROUP)
    await said(world, GROUP, "sent you a private message")
    await said(world, ANN.id, "Binding a NovelAI account")
    world.say(ANN, OPUS_EMAIL)
    await said(world, ANN.id, "password")
    world.say(ANN, OPUS_PASSWORD)
    await said(world, ANN.id, "now has a shared NovelAI account")
    assert not any(OPUS_PASSWORD in text or OPUS_EMAIL in text for text in texts(world, GROUP))
    world.say(BOB, f"/generate a kite {SMALL}", chat_id=GROUP)
    await world.wait(lambda: any(m.photo for m in world.telegram.bot_messages(GROUP)), timeout=30)
    world.say(BOB, "/group account bind", chat_id=GROUP)
    await said(world, GROUP, "Only this group's admins")
    world.say(ANN, "/group unbind", chat_id=GROUP)
    await said(world, GROUP, "shared account is removed")
    values = await redis_values(world)
    assert not any(key.endswith(f":nai:account:group:telegram:{GROUP}") for key in values)


async def test_a_canceled_job_gives_its_images_back_to_the_daily_quota(telegram_world: TelegramWorld) -> None:
    world = telegram_world
    await world.deployment.hold_lane()
    await world.start_bot()
    await make_group_admin(world, ANN)
    world.say(ANN, "/group quota images:1", chat_id=GROUP)
    await said(world, GROUP, "Per member")
    first = world.say(BOB, f"/generate a finch {SMALL}", chat_id=GROUP)
    status = await world.status_message(GROUP, first)
    await world.wait(lambda: "/cancel " in (world.current(GROUP, status.message_id).text or ""))
    job_id = (world.current(GROUP, status.message_id).text or "").split("/cancel ")[1].split()[0]
    world.say(BOB, f"/cancel {job_id}", chat_id=GROUP)
    await world.wait(lambda: "Canceled" in (world.current(GROUP, status.message_id).text or ""))
    services = world.deployment.services()
    try:
        key = BotKeys(world.deployment.prefix).refunded("*")
        deadline = time.monotonic() + 10
        while not [k async for k in services.redis.scan_iter(match=key)]:
            assert time.monotonic() < deadline, "the canceled job was never refunded"
            await asyncio.sleep(0.05)
    finally:
        await services.aclose()
    again = world.say(BOB, f"/generate a finch again {SMALL}", chat_id=GROUP)
    await world.status_message(GROUP, again)
    await world.deployment.wait_for_depth(1)
    assert not any("used your 1 images" in text for text in texts(world, GROUP))


@pytest.mark.parametrize(("role", "may_cancel"), [("owner", True), ("member", False), ("group_admin", True),
                                                  ("deployment_admin", True), ("banned", False)])
async def test_cancel_button_permissions_by_role(telegram_world: TelegramWorld, role: str, may_cancel: bool) -> None:
    world = telegram_world
    await world.deployment.hold_lane()
    await world.start_bot(NAIBOT_BOT__ADMINS=f'["telegram:{DAN.id}"]')
    presser = {"owner": BOB, "member": CAT, "group_admin": ANN, "deployment_admin": DAN, "banned": CAT}[role]
    await make_group_admin(world, ANN)
    if role == "banned":
        world.say(DAN, f"/admin ban {CAT.id}")
        await said(world, DAN.id, "is banned")
    command = world.say(BOB, f"/generate a tern {SMALL}", chat_id=GROUP)
    status = await world.status_message(GROUP, command)
    await world.wait(lambda: bool((world.current(GROUP, status.message_id).reply_markup or {}).get("inline_keyboard")))
    data = world.current(GROUP, status.message_id).reply_markup["inline_keyboard"][0][0]["callback_data"]
    world.telegram.press_button(GROUP, status.message_id, presser, data)
    await world.wait(lambda: bool(world.telegram.calls("answerCallbackQuery")))
    answer = world.telegram.calls("answerCallbackQuery")[0].params
    services = world.deployment.services()
    try:
        state = (await services.queue.get(data.split(":", 1)[1])).state
    finally:
        await services.aclose()
    assert (state is JobState.CANCELED) == may_cancel, (role, answer)
    if role == "banned":
        assert "banned" in answer.get("text", "")


async def test_ending_a_loan_cancels_the_groups_jobs_still_waiting_on_it(telegram_world: TelegramWorld) -> None:
    world = telegram_world
    lane = await personal(world, ANN)
    await world.deployment.hold_lane(lane)
    await world.start_bot(**NO_DEFAULT)
    await login_with_token(world, ANN)
    await make_group_admin(world, ANN)
    world.say(ANN, "/group account lend images:10", chat_id=GROUP)
    await said(world, GROUP, "Shared account")
    world.say(BOB, f"/generate a plover {SMALL}", chat_id=GROUP)
    world.say(ANN, f"/generate my own plover {SMALL}", chat_id=GROUP)
    await world.deployment.wait_for_depth(2, account=lane)
    world.say(ANN, "/group unbind", chat_id=GROUP)
    await said(world, GROUP, "shared account is removed")
    services = world.deployment.services()
    try:
        waiting = [await services.queue.get(i) for i in await services.queue.waiting_ids(lane)]
    finally:
        await services.aclose()
    assert [job.requester.user_id for job in waiting if job] == [str(ANN.id)], "only the lender's own job waits"
