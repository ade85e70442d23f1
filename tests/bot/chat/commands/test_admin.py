"""`/admin ...` (deployment admins: bans and every lane), through the router, on the real Redis."""

from __future__ import annotations

from bot.chat.ports import ACTION_AGAIN, Button
from sandbox.novelai import OPUS_TOKEN
from tests.fixtures.chat import ROOT_ID, ChatWorld, answers

BANNED = "You can't use this bot: a deployment admin has banned you."


async def test_admin_commands_are_refused_to_everyone_else(chat: ChatWorld) -> None:
    boss = chat.in_group("3", "Boss", admin=True)  # a group admin is no deployment admin
    for line in ("/admin ban 2", "/admin queue", "/admin"):
        assert await chat.command(boss, line) == "forbidden"
    assert [(a.text, a.private) for a in answers(boss).answers] == [("Only the bot's admins can do that.", True)] * 3
    assert not await chat.policy.is_banned("telegram:2")


async def test_a_banned_user_is_refused_everywhere_until_unbanned(chat: ChatWorld) -> None:
    root = chat.context(ROOT_ID, "Root")
    job = await chat.generated(chat.context("1", "Ann"), "a fox")
    assert await chat.command(root, "/admin ban 2") == "ban"
    assert answers(root).last.text == "🚫 telegram:2 is banned: their commands and buttons are refused."
    assert await chat.policy.banned() == ["telegram:2"]

    bob = chat.in_group("2", "Bob")
    assert await chat.command(bob, "/generate a dog") is None
    for line in ("/queue", "/status", "/cancel", "/settings set steps 20", "/account", "/login", "/logout",
                 "/group"):
        await chat.command(bob, line)
    assert [(a.text, a.private) for a in answers(bob).answers] == [(BANNED, True)] * 9
    assert await chat.press(bob, Button("again", ACTION_AGAIN, job.id)) == (BANNED, True)
    await chat.settle()
    assert await chat.waiting() == [job.id]
    assert await chat.saved_settings("telegram:2") == {}

    assert await chat.command(root, "/admin unban 2") == "unban"
    assert answers(root).last.text == "✅ telegram:2 may use the bot again."
    assert await chat.policy.banned() == []
    assert await chat.generated(bob, "a dog")


async def test_ban_accepts_mentions_and_the_other_platforms_ids(chat: ChatWorld) -> None:
    root = chat.context(ROOT_ID, "Root")
    assert await chat.command(root, "/admin ban <@55>") == "ban"
    assert await chat.command(root, "/admin ban discord:77") == "ban"
    assert await chat.policy.banned() == ["discord:77", "telegram:55"]


async def test_ban_refuses_what_is_no_user_and_the_admin_themselves(chat: ChatWorld) -> None:
    root = chat.context(ROOT_ID, "Root")
    assert await chat.command(root, "/admin ban bob") == "bad_argument"
    assert answers(root).last.text == "“bob” is not a user: give a user id, a mention, or platform:id."
    assert await chat.command(root, f"/admin ban {ROOT_ID}") == "bad_argument"
    assert answers(root).last.text == "You can't ban or unban yourself."
    assert all(a.private for a in answers(root).answers)
    assert await chat.command(root, "/admin") == "usage"
    assert answers(root).last.text == "Use: /admin ban <user id> · /admin unban <user id> · /admin queue"
    assert await chat.policy.banned() == []


async def test_admin_queue_lists_every_lane_and_what_runs(chat: ChatWorld) -> None:
    ann, bob = chat.context("1", "Ann"), chat.context("2", "Bob")
    await chat.command(bob, f"/login {OPUS_TOKEN}")
    running = await chat.generated(ann, "a fox")
    assert await chat.queue.acquire_lane("default", "w")
    await chat.queue.pop("default", "w")
    first = await chat.generated(ann, "a cat", "--priority 3")
    bobs = await chat.generated(bob, "a dog")

    root = chat.in_group(ROOT_ID, "Root")
    assert await chat.command(root, "/admin queue") == "queue"
    listing = answers(root).only
    assert listing.private
    assert listing.text.splitlines() == [
        "All lanes: 2 with jobs, 2 waiting, 1 running",
        "▸ default: 1 waiting",
        f"   • {first.id} · telegram:1 · priority 3",
        f"▸ {await chat.policy.personal_account('telegram:2')}: 1 waiting",
        f"   • {bobs.id} · telegram:2 · priority 5",
        f"▶ {running.id} · telegram:1 · on default",
    ]
