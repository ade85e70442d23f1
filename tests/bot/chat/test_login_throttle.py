"""Chat `/login` is no credential oracle (L2 of the security review): rejected checks with NovelAI
are limited per person and per chat, the person is told when to try again, and the Argon2id
derivation of an email login runs off the event loop. Through the router, on the real Redis and
the NovelAI stand-in."""

from __future__ import annotations

import asyncio
import re
import threading

import pytest

from bot.rules.login_attempts import PER_CHAT, PER_PERSON
from novelai.accounts import Account
from sandbox.novelai import OPUS_EMAIL, OPUS_PASSWORD, OPUS_TOKEN, NovelAISandbox
from tests.fixtures.chat import ChatWorld, answers, dms

WRONG = "pst-" + "x" * 60
REJECTED = "❌ NovelAI did not accept these credentials ("
THROTTLED = re.compile(r"^Too many login attempts\. .* try again in (9 min \d\d s|10 min 00 s)\.$")


def novelai_requests(sandbox: NovelAISandbox) -> int:
    return len(sandbox.stats.requests)


async def test_after_five_rejections_a_person_must_wait_and_novelai_is_not_asked(
        chat: ChatWorld, novelai_sandbox: NovelAISandbox) -> None:
    ann = chat.context("1", "Ann")
    for _ in range(PER_PERSON):
        await chat.command(ann, f"/login {WRONG}")
        assert answers(ann).last.text.startswith(REJECTED)
    asked = novelai_requests(novelai_sandbox)
    # Even the right token waits: the window does not know which try is the real owner's.
    await chat.command(ann, f"/login {OPUS_TOKEN}")
    assert THROTTLED.match(answers(ann).last.text), answers(ann).last.text
    assert novelai_requests(novelai_sandbox) == asked
    assert not await chat.policy.has_personal("telegram:1")
    # Someone else is not held up by Ann's tries.
    bob = chat.context("2", "Bob")
    await chat.command(bob, f"/login {OPUS_TOKEN}")
    assert answers(bob).last.text.startswith("✅ Logged in")


async def test_the_wait_is_said_in_chinese_too(chat: ChatWorld) -> None:
    li = chat.context("7", "Li", language="zh-hans")
    for _ in range(PER_PERSON + 1):
        await chat.command(li, f"/login {WRONG}")
    assert answers(li).last.text.startswith("登录尝试次数太多。") and "分" in answers(li).last.text


async def test_successful_logins_do_not_use_up_the_attempts(chat: ChatWorld) -> None:
    ann = chat.context("1", "Ann")
    for _ in range(PER_PERSON + 2):
        await chat.command(ann, f"/login {OPUS_TOKEN}")
        assert answers(ann).last.text.startswith("✅ Logged in"), answers(ann).last.text


async def test_a_chat_where_many_people_try_is_limited_too(chat: ChatWorld) -> None:
    # The Discord login form can be opened in a server channel: every try there counts for the channel.
    account = chat.router.account
    people = [chat.in_group(str(10 + i), f"P{i}") for i in range(PER_CHAT + 1)]
    for person in people[:PER_CHAT]:
        assert not await account.finish_login(person, "personal", "", token=WRONG)
        assert dms(person).only.text.startswith(REJECTED)
    late = people[PER_CHAT]
    assert not await account.finish_login(late, "personal", "", token=OPUS_TOKEN)
    assert THROTTLED.match(dms(late).only.text), dms(late).only.text
    # The same person elsewhere (their private chat) is not held up by that channel.
    assert await account.finish_login(chat.context(late.user_id, "P"), "personal", "", token=OPUS_TOKEN)


async def test_parallel_tries_cannot_overrun_the_limit(chat: ChatWorld) -> None:
    account = chat.router.account
    ann = chat.context("1", "Ann")
    results = await asyncio.gather(*(account.finish_login(ann, "personal", "", token=WRONG)
                                     for _ in range(PER_PERSON + 5)))
    assert not any(results)
    said = answers(ann).texts
    assert sum(text.startswith(REJECTED) for text in said) == PER_PERSON, said
    assert sum(bool(THROTTLED.match(text)) for text in said) == 5, said


async def test_the_event_loop_keeps_answering_while_a_password_is_derived(
        chat: ChatWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    """The derivation is held until another command has been answered: possible only if it runs
    off the event loop (on it, the loop could not answer anyone until the derivation ended)."""
    loop = asyncio.get_running_loop()
    started = asyncio.Event()
    other_answered = threading.Event()
    answered_during: list[bool] = []
    derive = Account.from_password.__func__  # type: ignore[attr-defined]

    def held(cls: type[Account], name: str, email: str, password: str) -> Account:
        loop.call_soon_threadsafe(started.set)
        answered_during.append(other_answered.wait(timeout=10))
        return derive(cls, name, email, password)  # type: ignore[no-any-return]

    monkeypatch.setattr(Account, "from_password", classmethod(held))
    ann, bob = chat.context("1", "Ann"), chat.context("2", "Bob")
    login = asyncio.create_task(chat.command(ann, f"/login {OPUS_EMAIL} {OPUS_PASSWORD}"))
    await started.wait()
    await chat.command(bob, "/help")
    assert answers(bob).texts, "Bob was answered"
    other_answered.set()
    await login
    assert answered_during == [True]
    assert answers(ann).last.text.startswith("✅ Logged in")
