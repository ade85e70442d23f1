"""`/login` with a mixed-case email: the key from the lower-cased email first, and when NovelAI refuses
it, one more try with the email as typed while the password is still in hand (docs/novelai-api.md
§10.2). Through the router, on the real Redis and the NovelAI stand-in, whose account holds the key of
the email exactly as it was registered."""

from __future__ import annotations

from sandbox.novelai import NovelAISandbox, SandboxAccount
from tests.fixtures.chat import ChatWorld, answers

MIXED = "Ann.Smith@Example.com"
PASSWORD = "ann-password"


def login_requests(sandbox: NovelAISandbox) -> list[int]:
    return [entry["status"] for entry in sandbox.stats.requests if entry["path"] == "/user/login"]


async def stored_email(chat: ChatWorld, user_key: str) -> str | None:
    name = await chat.policy.personal_account(user_key)
    account = await chat.router.account.logins.store.get(name)
    return account.email if account else None


async def test_a_key_made_from_the_email_as_typed_logs_in_on_the_second_try(
        chat: ChatWorld, novelai_sandbox: NovelAISandbox) -> None:
    novelai_sandbox.add_account(SandboxAccount(email=MIXED, password=PASSWORD))
    ann = chat.context("1", "Ann")

    await chat.command(ann, f"/login {MIXED} {PASSWORD}")

    assert answers(ann).last.text.startswith("✅ Logged in"), answers(ann).last.text
    assert login_requests(novelai_sandbox) == [401, 201]
    assert await stored_email(chat, "telegram:1") == MIXED, "renewals need the key that worked"


async def test_the_login_conversation_keeps_the_email_as_typed_until_the_password(
        chat: ChatWorld, novelai_sandbox: NovelAISandbox) -> None:
    novelai_sandbox.add_account(SandboxAccount(email=MIXED, password=PASSWORD))
    ann = chat.context("1", "Ann")

    await chat.command(ann, f"/login {MIXED}")
    assert await chat.router.account.login_text(ann, PASSWORD)

    assert answers(ann).last.text.startswith("✅ Logged in"), answers(ann).last.text


async def test_a_wrong_password_is_refused_after_the_one_extra_try(
        chat: ChatWorld, novelai_sandbox: NovelAISandbox) -> None:
    novelai_sandbox.add_account(SandboxAccount(email=MIXED, password=PASSWORD))
    ann = chat.context("1", "Ann")

    await chat.command(ann, f"/login {MIXED} not-the-password")

    assert answers(ann).last.text.startswith("❌ NovelAI did not accept these credentials (")
    assert login_requests(novelai_sandbox) == [401, 401]
    assert await stored_email(chat, "telegram:1") is None
