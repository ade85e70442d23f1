"""`/group ...`, through the router, on the real Redis: who may change a group's rules, what is
answered, and what the group's configuration holds afterwards."""

from __future__ import annotations

from bot.rules.groups import Quota
from sandbox.novelai import OPUS_TOKEN
from tests.fixtures.chat import (
    GROUP_ID,
    PLATFORM,
    ChatWorld,
    answers,
    dms,
)

GROUP = f"{PLATFORM}:{GROUP_ID}"
ADMINS_ONLY = "Only this group's admins can change that."


async def test_group_status_shows_the_groups_rules_to_anyone(chat: ChatWorld) -> None:
    ann = chat.in_group("1", "Ann")
    assert await chat.command(ann, "/group") == "status"
    assert answers(ann).only.text == (
        "Group settings for Test Group\n"
        "Shared account: none\n"
        "Members' own accounts come first\n"
        "Bot's own account: allowed for members without one\n"
        f"Per member: ∞ images a day, {chat.settings.queue.max_waiting_per_user} waiting at once, 0 s between jobs\n"
        "Priority: members 5 (up to 5), admins up to 8")
    assert not answers(ann).only.private


async def test_group_commands_outside_a_group_say_where_they_work(chat: ChatWorld) -> None:
    ann = chat.context("900", "Root")
    assert await chat.command(ann, "/group status") == "not_group"
    assert await chat.command(ann, "/group pause") == "not_group"
    assert answers(ann).texts == ["/group works in a group (Telegram) or a server (Discord)."] * 2


async def test_a_member_who_is_no_admin_cannot_change_the_group(chat: ChatWorld) -> None:
    ann = chat.in_group("1", "Ann")
    for line in ("/group pause", "/group quota images:1", "/group priority max:9", "/group account lend"):
        assert await chat.command(ann, line) == "forbidden"
    assert all(a.private and a.text == ADMINS_ONLY for a in answers(ann).answers)
    assert len(answers(ann).answers) == 4
    assert await chat.policy.groups.get(GROUP) == (await chat.policy.groups.get("telegram:-999"))


async def test_pause_and_resume(chat: ChatWorld) -> None:
    boss = chat.in_group("3", "Boss", admin=True)
    assert await chat.command(boss, "/group pause") == "pause"
    assert answers(boss).last.text == "⏸ The group is paused: new jobs are refused until /group resume."
    assert (await chat.policy.groups.get(GROUP)).paused
    await chat.command(boss, "/group")
    assert answers(boss).last.text.endswith("\n⏸ Paused: not taking new jobs")
    member = chat.in_group("1", "Ann")
    assert await chat.command(member, "/generate a fox") is None

    assert await chat.command(boss, "/group resume") == "resume"
    assert answers(boss).last.text == "▶️ The group takes new jobs again."
    assert not (await chat.policy.groups.get(GROUP)).paused
    assert await chat.generated(member, "a fox")


async def test_a_deployment_admin_may_change_any_group(chat: ChatWorld) -> None:
    root = chat.in_group("900", "Root")
    assert await chat.command(root, "/group pause") == "pause"
    assert (await chat.policy.groups.get(GROUP)).paused


async def test_quota_sets_the_members_limits_and_keeps_the_others(chat: ChatWorld) -> None:
    boss = chat.in_group("3", "Boss", admin=True)
    assert await chat.command(boss, "/group quota images:3 waiting:2 cooldown:30") == "quota"
    assert "\nPer member: 3 images a day, 2 waiting at once, 30 s between jobs\n" in answers(boss).last.text
    assert (await chat.policy.groups.get(GROUP)).quota == Quota(images_per_day=3, max_waiting=2, cooldown_seconds=30)
    assert await chat.command(boss, "/group quota images=5") == "quota"
    assert (await chat.policy.groups.get(GROUP)).quota == Quota(images_per_day=5, max_waiting=2, cooldown_seconds=30)


async def test_priority_sets_the_members_default_and_limits(chat: ChatWorld) -> None:
    boss = chat.in_group("3", "Boss", admin=True)
    assert await chat.command(boss, "/group priority default:3 max:6 admin:9") == "priority"
    assert answers(boss).last.text.endswith("\nPriority: members 3 (up to 6), admins up to 9")
    config = await chat.policy.groups.get(GROUP)
    assert (config.member_priority, config.member_max_priority, config.admin_max_priority) == (3, 6, 9)

    ann = chat.in_group("1", "Ann")
    job = await chat.generated(ann, "a fox")
    assert job.priority == 3 and (await chat.lane_priorities())[job.id] == 3
    assert await chat.command(ann, "/generate a fox --priority 7") is None
    assert answers(ann).last.text == "Priority 7 is above your limit here: the most you may ask for is 6."
    assert (await chat.generated(boss, "a fox", "--priority 9")).priority == 9


async def test_a_bad_argument_is_explained_privately_and_changes_nothing(chat: ChatWorld) -> None:
    boss = chat.in_group("3", "Boss", admin=True)
    cases = {
        "/group quota images:lots": "must be a whole number from 0 to 1000000, not “lots”.",
        "/group priority max:11": "must be a whole number from 0 to 10, not “11”.",
        "/group quota": "Use /group quota images:N waiting:N cooldown:SECONDS (0 = no limit).",
        "/group priority": "Use /group priority default:N max:N admin:N (0–10).",
        "/group prefer everyone": ("Use /group prefer shared (everyone uses the group's account) "
                                   "or /group prefer own."),
    }
    for line, expected in cases.items():
        assert await chat.command(boss, line) == "bad_argument", line
        assert answers(boss).last.text.endswith(expected) and answers(boss).last.private, line
    assert await chat.command(boss, "/group frobnicate") == "bad_argument"
    assert answers(boss).last.text.startswith("Use: /group status · /group account bind")
    assert await chat.policy.groups.get(GROUP) == await chat.policy.groups.get("telegram:-999"), "unchanged"


async def test_an_unknown_quota_name_is_refused_naming_the_known_ones(chat: ChatWorld) -> None:
    boss = chat.in_group("3", "Boss", admin=True)
    assert await chat.command(boss, "/group quota pictures:3") == "bad_argument"
    assert answers(boss).last.text.startswith("I don't understand “pictures:3”. Write name:value with one of: ")


async def test_a_bad_number_is_named_as_it_was_typed(chat: ChatWorld) -> None:
    boss = chat.in_group("3", "Boss", admin=True)
    await chat.command(boss, "/group quota images:lots")
    assert answers(boss).last.text == "images must be a whole number from 0 to 1000000, not “lots”."
    await chat.command(boss, "/group priority max:11")
    assert answers(boss).last.text == "max must be a whole number from 0 to 10, not “11”."


async def test_the_names_a_bad_argument_suggests_are_accepted(chat: ChatWorld) -> None:
    boss = chat.in_group("3", "Boss", admin=True)
    await chat.command(boss, "/group quota pictures:3")
    suggested = answers(boss).last.text.rsplit("one of: ", 1)[1].rstrip(".").split(", ")
    for name in suggested:
        assert await chat.command(boss, f"/group quota {name}:1") == "quota", (
            f"{name!r} was suggested but is refused: {answers(boss).last.text}")


async def test_lending_needs_the_lenders_own_login(chat: ChatWorld) -> None:
    boss = chat.in_group("3", "Boss", admin=True)
    assert await chat.command(boss, "/group account lend images:5") == "lend_refused"
    refusal = answers(boss).last
    assert refusal.private
    assert refusal.text == ("To lend your account, log in first: open a chat with me (@naibot_test) "
                            "and send /login.")
    assert (await chat.policy.groups.get(GROUP)).shared is None

    await chat.command(chat.context("3", "Boss"), f"/login {OPUS_TOKEN}")
    assert await chat.command(boss, "/group account lend images:5") == "lend"
    status = answers(boss).last.text
    assert "\nShared account: lent by Boss\n" in status and "Today: 0 of 5 images" in status
    shared = (await chat.policy.groups.get(GROUP)).shared
    boss_account = await chat.policy.personal_account("telegram:3")
    assert shared is not None and shared.kind == "lent" and shared.account == boss_account
    assert shared.lending is not None and shared.lending.images_per_day == 5

    # Members without their own account now run on Boss's, and say who pays.
    ann = chat.in_group("1", "Ann")
    job = await chat.generated(ann, "a fox")
    assert job.account == boss_account and job.requester.reply["paid_by"] == "Boss"
    lent = chat.policy.quotas.lender_key(boss_account, GROUP, "images")
    assert await chat.policy.quotas.used(lent) == 1
    await chat.command(ann, "/account")
    assert dms(ann).only.text.startswith("Your jobs here run on this group's shared account (paid by Boss).")
    assert await chat.command(ann, "/group") == "status"
    assert "Today: 1 of 5 images" in answers(ann).last.text


async def test_numbers_in_group_arguments_are_ascii_digits_only(chat: ChatWorld) -> None:
    boss = chat.in_group("3", "Boss", admin=True)
    for typed in ("²", "２８", "٢٨"):
        assert await chat.command(boss, f"/group quota images:{typed}") == "bad_argument"
        assert answers(boss).last.text.startswith("images must be a whole number")
