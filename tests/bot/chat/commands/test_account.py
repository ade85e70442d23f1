"""`/login`, `/logout`, `/account`, the login conversation and what follows a job's end, through the
router, on the real Redis and the NovelAI stand-in (which accepts its Opus token and accounts)."""

from __future__ import annotations

from sandbox.novelai import OPUS_EMAIL, OPUS_PASSWORD, OPUS_TOKEN
from tasks.job import JobState
from tests.fixtures.chat import (
    GROUP_ID,
    PLATFORM,
    ChatWorld,
    MakeChat,
    answers,
    dms,
)

GROUP = f"{PLATFORM}:{GROUP_ID}"
ANN = "telegram:1"
LOGGED_IN = "✅ Logged in (Opus, 1000 Anlas). Your jobs now run on your own account. /account shows it."


async def redis_holds(chat: ChatWorld, secret: str) -> bool:
    """Whether any string or hash value under the test's prefix holds ``secret`` in the clear."""
    redis, needle = chat.services.redis, secret.encode()
    async for key in redis.scan_iter(match=f"{chat.settings.redis.prefix}:*", count=1000):
        kind = await redis.type(key)
        if kind == b"string" and needle in (await redis.get(key) or b""):
            return True
        if kind == b"hash" and any(needle in value for value in (await redis.hgetall(key)).values()):
            return True
    return False


async def test_a_secret_typed_in_a_group_is_not_stored_and_its_owner_told_to_change_it(chat: ChatWorld) -> None:
    ann = chat.in_group("1", "Ann")
    await chat.command(ann, f"/login {OPUS_TOKEN}")
    warning = answers(ann).only.text
    assert warning.startswith("⚠️ Never post a NovelAI token or password in a group. I could not delete the message")
    assert "change your NovelAI password (or revoke the token) now" in warning and "@naibot_test" in warning
    # When the adapter could delete the message, it says so.
    bob = chat.in_group("2", "Bob")
    await chat.router.account.login(bob, f"{OPUS_EMAIL} {OPUS_PASSWORD}", deleted=True)
    assert answers(bob).only.text.startswith("⚠️ Never post a NovelAI token or password in a group. I deleted the "
                                             "message and stored nothing")
    assert not await chat.policy.has_personal(ANN) and not await chat.policy.has_personal("telegram:2")
    assert not await redis_holds(chat, OPUS_TOKEN)
    assert dms(ann).answers == [] and dms(bob).answers == []


async def test_login_in_a_group_without_a_secret_moves_to_the_private_chat(chat: ChatWorld) -> None:
    ann = chat.in_group("1", "Ann")
    await chat.command(ann, "/login")
    assert dms(ann).only.text == "Let's log you in here, privately. Send /login to start."
    assert answers(ann).only.text == ("Logins happen only in private: open a chat with me (@naibot_test) "
                                      "and send /login.")
    # Someone the bot cannot reach privately is told how to open that chat.
    bob = chat.in_group("2", "Bob", reachable=False)
    await chat.command(bob, "/login")
    assert answers(bob).texts == [
        "Logins happen only in private, and I can't message you privately yet: open a chat with me (@naibot_test), "
        "press Start, and send /login there."]


async def test_login_in_private_with_a_token_checks_it_and_saves_the_account(chat: ChatWorld) -> None:
    ann = chat.context("1", "Ann")
    await chat.command(ann, f"/login {OPUS_TOKEN}")
    assert answers(ann).only.text == LOGGED_IN
    assert await chat.policy.has_personal(ANN)
    mine = await chat.policy.personal_account(ANN)
    assert await chat.router.account.logins.owner_of(mine) == ANN
    assert not await redis_holds(chat, OPUS_TOKEN), "stored encrypted"
    # From now on Ann's jobs run on her own account's lane, named without her user id.
    job = await chat.generated(ann, "a fox")
    assert job.account == mine and await chat.waiting(mine) == [job.id]
    assert mine.startswith("user:") and "telegram" not in mine


async def test_a_token_novelai_rejects_stores_nothing(chat: ChatWorld) -> None:
    ann = chat.context("1", "Ann")
    await chat.command(ann, "/login pst-" + "x" * 60)
    assert answers(ann).only.text.startswith("❌ NovelAI did not accept these credentials (")
    assert answers(ann).only.text.endswith("). Nothing was stored.")
    assert not await chat.policy.has_personal(ANN)


async def test_login_with_something_that_is_no_secret_says_what_to_send(chat: ChatWorld) -> None:
    ann = chat.context("1", "Ann")
    await chat.command(ann, "/login hunter2")
    assert answers(ann).only.text.startswith("That is neither a NovelAI token (pst-…) nor an email address.")
    assert not await chat.router.account.in_login(ann)


async def test_the_login_conversation_takes_the_email_then_the_password(chat: ChatWorld) -> None:
    account = chat.router.account
    ann = chat.context("1", "Ann")
    assert not await account.login_text(ann, "hello"), "ordinary chatter is not part of a login"
    await chat.command(ann, "/login")
    assert answers(ann).last.text.startswith("Send me your NovelAI persistent API token")
    assert await account.in_login(ann)

    assert await account.login_text(ann, "not an email")
    assert answers(ann).last.text.startswith("That is neither a NovelAI token")
    assert await account.login_text(ann, OPUS_EMAIL)
    assert answers(ann).last.text.startswith("Now send your NovelAI password.")
    assert await account.login_text(ann, OPUS_PASSWORD)
    assert answers(ann).last.text == LOGGED_IN
    assert not await account.in_login(ann)
    assert await chat.policy.has_personal(ANN)
    assert not await redis_holds(chat, OPUS_PASSWORD)


async def test_login_with_an_email_asks_for_the_password_next(chat: ChatWorld) -> None:
    account = chat.router.account
    ann = chat.context("1", "Ann")
    await chat.command(ann, f"/login {OPUS_EMAIL}")
    assert answers(ann).last.text.startswith("Now send your NovelAI password.")
    assert await account.login_text(ann, OPUS_PASSWORD)
    assert answers(ann).last.text == LOGGED_IN


async def test_cancel_login_ends_the_conversation(chat: ChatWorld) -> None:
    account = chat.router.account
    ann = chat.context("1", "Ann")
    await chat.command(ann, "/login")
    await chat.command(ann, "/cancel_login")
    assert answers(ann).last.text == "Login stopped; nothing was stored."
    assert not await account.in_login(ann)
    assert not await account.login_text(ann, OPUS_TOKEN)
    assert not await chat.policy.has_personal(ANN)


async def test_account_says_who_pays(chat: ChatWorld) -> None:
    ann = chat.context("1", "Ann")
    await chat.command(ann, "/account")
    assert answers(ann).only.text == ("Your jobs here run on this bot's own account (you have not logged in).\n"
                                      "Your usual /generate is free on this account.")
    await chat.command(ann, f"/login {OPUS_TOKEN}")
    await chat.command(ann, "/account")
    own = answers(ann).last.text.splitlines()
    assert own[0] == "Your jobs here run on your own NovelAI account."
    assert "Subscription: Opus, 1000 Anlas" in own
    assert own[-1] == "Your usual /generate is free on this account."


async def test_account_in_a_group_is_answered_privately(chat: ChatWorld) -> None:
    ann = chat.in_group("1", "Ann")
    await chat.command(ann, "/account")
    assert answers(ann).answers == []
    assert dms(ann).only.text.startswith("Your jobs here run on this bot's own account")


async def test_account_without_anyone_to_pay_says_how_to_log_in(make_chat: MakeChat) -> None:
    chat = await make_chat(NAIBOT_BOT__ALLOW_DEFAULT_ACCOUNT="false")
    ann = chat.context("1", "Ann")
    await chat.command(ann, "/account")
    assert answers(ann).only.text == ("No NovelAI account would pay for your jobs here. Log in privately with "
                                      "/login (@naibot_test).")


async def test_logout_deletes_the_account_and_cancels_its_waiting_jobs(chat: ChatWorld) -> None:
    ann = chat.context("1", "Ann")
    await chat.command(ann, f"/login {OPUS_TOKEN}")
    job = await chat.generated(ann, "a fox")
    await chat.command(ann, "/logout")
    assert answers(ann).last.text == ("Logged out: your NovelAI credentials and cached token are deleted. "
                                      "Unbound from 0 group(s); 1 waiting job(s) canceled.")
    assert not await chat.policy.has_personal(ANN)
    canceled = await chat.queue.get(job.id)
    assert canceled is not None and canceled.state is JobState.CANCELED
    # Back on the deployment's account.
    assert (await chat.generated(ann, "a cat")).account == "default"
    await chat.command(ann, "/logout")
    assert answers(ann).last.text == "You were not logged in; there was nothing to delete."


async def test_a_canceled_job_gives_its_quota_back_when_delivery_sees_it_end(chat: ChatWorld) -> None:
    await chat.policy.groups.update(GROUP, {"quota": {"images_per_day": 5}})
    ann = chat.in_group("1", "Ann")
    counter = chat.policy.quotas.member_images_key(GROUP, ANN)
    job = await chat.generated(ann, "a fox")
    assert await chat.policy.quotas.used(counter) == 1
    assert await chat.command(ann, "/cancel") == "canceled"
    await chat.settle()
    # What the delivery loop has the pacer run on the job's "canceled" event (runtime wires
    # job_ended to it). The refresh the command scheduled may already have seen the end (then this
    # one finds the entry retired and does nothing): either way the end is seen exactly once.
    await chat.runtime.delivery.refresh(job.id)
    await chat.settle()
    assert await chat.policy.quotas.used(counter) == 0
    assert chat.sender.of("edit_text")[-1].text == f"🚫 Canceled\nJob {job.id}"
    assert await chat.registry.live() == []
