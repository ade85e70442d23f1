"""Personal account names, which are lane names, never show the chat user id (L6 of the security
review): ``/queue_status`` shows lanes to every API key and ``/metrics`` labels them. Through the
router on the real Redis and the NovelAI stand-in, where names are made."""

from __future__ import annotations

import asyncio

from bot.keys import BotKeys
from bot.rules.account_names import AccountNames, legacy_personal_name
from novelai.accounts import Account
from sandbox.novelai import OPUS_TOKEN
from tasks.job import JobError, JobState
from tasks.metrics import read_snapshot
from tests.fixtures.chat import ChatWorld, MakeChat, answers, dms

USER_ID = "7310042877"
USER_KEY = f"telegram:{USER_ID}"


async def test_a_personal_lane_and_its_metrics_label_do_not_show_the_user_id(chat: ChatWorld) -> None:
    ann = chat.context(USER_ID, "Ann")
    await chat.command(ann, f"/login {OPUS_TOKEN}")
    assert answers(ann).last.text.startswith("✅ Logged in")
    job = await chat.generated(ann, "a fox")
    assert job.account.startswith("user:") and USER_ID not in job.account and "telegram" not in job.account
    lanes = await chat.queue.lane_depths()  # what /queue_status shows every API key
    assert lanes == {job.account: 1}
    snapshot = await read_snapshot(chat.services.redis, chat.settings.redis.prefix, 30)  # what /metrics labels
    assert list(snapshot.lane_depths) == [job.account]
    assert not any(USER_ID in name for name in (*lanes, *snapshot.lane_depths))


async def test_the_name_is_stable_for_a_person_and_keyed_per_deployment(chat: ChatWorld) -> None:
    redis, prefix = chat.services.redis, chat.settings.redis.prefix
    # Two processes of one deployment, starting at once, agree (the naming key is made once).
    first, second = AccountNames(redis, BotKeys(prefix)), AccountNames(redis, BotKeys(prefix))
    names = await asyncio.gather(first.personal(USER_KEY), second.personal(USER_KEY))
    assert names[0] == names[1] == await chat.policy.personal_account(USER_KEY)
    assert await first.personal("telegram:2") != names[0]
    # Another deployment (its own naming key) names the same person differently: without the key,
    # a name cannot be matched to a user id by trying ids.
    other = AccountNames(redis, BotKeys(f"{prefix}-other"))
    try:
        assert await other.personal(USER_KEY) != names[0]
    finally:
        await redis.delete(BotKeys(f"{prefix}-other").account_naming_key)


async def test_the_owner_of_a_hashed_account_is_still_told_when_novelai_rejects_it(make_chat: MakeChat) -> None:
    chat = await make_chat()
    ann = chat.context(USER_ID, "Ann")
    await chat.command(ann, f"/login {OPUS_TOKEN}")
    job = await chat.generated(ann, "a fox")
    account = chat.router.account
    assert await account.logins.owner_of(job.account) == USER_KEY
    failed = job.model_copy(update={"state": JobState.FAILED, "error": JobError(kind="auth", message="rejected")})
    await account.job_ended(failed)
    assert [sent.user_id for sent in chat.sender.of("send_private")] == [USER_ID]


async def test_an_account_saved_under_the_old_name_keeps_its_lane_until_its_owner_logs_out(chat: ChatWorld) -> None:
    """Deployments from before: ``user:<platform>:<id>`` accounts, their lanes and waiting jobs go on
    working; logging out ends the old name, and the next login gets the hashed one."""
    assert chat.policy.store is not None
    legacy = legacy_personal_name(USER_KEY)
    await chat.policy.store.add(Account(name=legacy, token=OPUS_TOKEN))
    ann = chat.context(USER_ID, "Ann")
    job = await chat.generated(ann, "a fox")
    assert job.account == legacy
    await chat.command(ann, "/logout")
    assert not await chat.policy.store.exists(legacy)
    await chat.command(ann, f"/login {OPUS_TOKEN}")
    assert dms(ann).last.text.startswith("✅ Logged in")
    again = await chat.generated(ann, "a cat")
    assert again.account != legacy and USER_ID not in again.account
