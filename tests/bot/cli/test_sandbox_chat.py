"""``naibot sandbox chat telegram|discord``: a person at the terminal is a user of the stand-in, talking to
the real bot. The CLI runs as a process, typed into through stdin; it reaches the stand-in through its
control API only (first-run report, finding 11)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sandbox.novelai import OPUS_TOKEN
from tests.bot.cli.naibot_process import NaibotProcess, naibot
from tests.fixtures.discord_e2e import GUILD, SFW, DiscordWorld
from tests.fixtures.telegram_e2e import ANN, TelegramWorld

pytestmark = pytest.mark.xdist_group("workers")

SMALL = "--size 512x512 --steps 8"


def button_number(line: str, label: str) -> str:
    match = re.search(r"\[(\d+)\] [^\[]*" + re.escape(label), line)
    assert match, f"no button {label} in {line!r}"
    return match.group(1)


async def test_telegram_chat_shows_the_reply_its_edits_and_presses_a_button(telegram_world: TelegramWorld) -> None:
    world = telegram_world
    await world.deployment.hold_lane()  # the job waits, so its Cancel button stays there to be pressed
    await world.start_bot()
    async with naibot("sandbox", "chat", "telegram", "--url", world.telegram.url, "--user-id", str(ANN.id),
                      "--name", "Ann", "--poll", "0.05") as chat:
        await chat.until(r"you are Ann \(id 4242\) in a private chat")
        await chat.type(f"/generate a heron {SMALL}")
        await chat.until(r"^bot: ")
        # "Adding your job…" becomes "Queued: position 1 of 1" with a Cancel button (one look may see
        # either); pressing it edits the message again, which the terminal shows as an edit.
        buttons = await _line_with_button(chat, "Cancel")
        await chat.type(f"press {button_number(buttons, 'Cancel')}")
        await chat.until(r"^\(pressed \[\d+\] .*Cancel\)")
        canceled = await chat.until(r"^\(edited\) bot: .*Canceled")
        assert await chat.close_input() == 0
    assert canceled
    assert any(re.match(r"^(\(edited\) )?bot: .*position 1 of 1", line) for line in chat.lines)
    command = next(m for m in world.telegram.messages(ANN.id) if not m.from_bot)
    assert command.text == f"/generate a heron {SMALL}" and command.entities[0]["type"] == "bot_command"
    assert any(c.status == 200 for c in world.telegram.calls("answerCallbackQuery", None))


async def test_telegram_chat_sends_a_photo_and_says_what_the_stand_in_refuses(
        telegram_world: TelegramWorld, tmp_path: Path) -> None:
    from PIL import Image

    picture = tmp_path / "cat.png"
    Image.new("RGB", (64, 48), "orange").save(picture)
    async with naibot("sandbox", "chat", "telegram", "--url", telegram_world.telegram.url, "--poll", "0.05") as chat:
        await chat.until("you are You")
        await chat.type(f"photo {picture} my cat")
        await chat.until(r"^\(sent photo cat\.png\)")
        await chat.type("x" * 5000)
        refused = await chat.until(r"^! ")
        await chat.type("press 9")
        no_button = await chat.until(r"^! ")
        assert await chat.close_input() == 0
    assert "message is too long" in refused
    assert "no button [9]" in no_button
    (sent,) = telegram_world.telegram.messages(4242)
    assert (sent.caption, sent.photo[-1]["width"], sent.photo[-1]["height"]) == ("my cat", 64, 48)


async def test_chat_without_a_stand_in_is_one_line_and_exit_2() -> None:
    async with naibot("sandbox", "chat", "telegram", "--url", "http://127.0.0.1:9") as chat:
        status = await chat.close_input()
        assert chat.process.stderr is not None
        err = (await chat.process.stderr.read()).decode()
    assert status == 2
    assert err.startswith("naibot: the Telegram stand-in at http://127.0.0.1:9 does not answer")
    assert "Traceback" not in err and err.count("\n") == 1


async def wait_for_commands(world: DiscordWorld) -> None:
    await world.discord.wait_for(lambda: any(c["name"] == "generate" for c in world.discord.commands(None)
                                             + world.discord.commands(GUILD)), 20)


async def test_discord_chat_runs_a_slash_command_shows_edits_and_presses_a_button(discord_world: DiscordWorld
                                                                                 ) -> None:
    world = discord_world
    await world.deployment.hold_lane()
    await world.start_bot()
    await wait_for_commands(world)
    async with naibot("sandbox", "chat", "discord", "--url", world.discord.url, "--chat", str(SFW),
                      "--poll", "0.05") as chat:
        await chat.until(r"you are you \(id 2001\), a member of guild 9000")
        await chat.type("/generate a heron size:512x512 steps:8")
        await chat.until(r"^bot: ")
        buttons = await _line_with_button(chat, "Cancel")
        await chat.type(f"!{button_number(buttons, 'Cancel')}")
        await chat.until(r"^\(pressed \[\d+\] .*Cancel\)")
        canceled = await chat.until(r"^\(edited\) bot.*: .*Canceled")
        assert await chat.close_input() == 0
    assert canceled
    bot_messages = [m for m in world.discord.messages(SFW) if m.author_id == world.discord.bot_user_id]
    assert any("Canceled" in m.content for m in bot_messages), "the press reached the bot as a component interaction"


async def _line_with_button(chat: NaibotProcess, label: str) -> str:
    return await chat.until(r"\[\d+\] [^\[]*" + re.escape(label))


async def test_discord_chat_shows_a_form_and_fills_it_in(discord_world: DiscordWorld) -> None:
    world = discord_world
    await world.start_bot()
    await wait_for_commands(world)
    async with naibot("sandbox", "chat", "discord", "--url", world.discord.url, "--user-id", "2001",
                      "--poll", "0.05") as chat:
        await chat.until(r"you are you \(id 2001\)")
        await chat.type("/login")
        await chat.until(r"^bot: \(a form\) ")
        how = await chat.until(r"fill it in: form ")
        await chat.type(f"form token={OPUS_TOKEN}")
        # The answer, once it is more than "thinking" (one look may see it already filled in, not edited).
        answer = await chat.until(r"^(\(edited\) )?bot \(only you\): (?!\(thinking)")
        assert await chat.close_input() == 0
    assert "token=…" in how
    assert "opus" in answer.lower(), "logged in with the Opus token"
    assert not any(OPUS_TOKEN in line for line in chat.lines), "the terminal never prints the typed token"


async def test_discord_chat_in_a_guild_the_stand_in_lacks_is_one_line_and_exit_2(discord_world: DiscordWorld
                                                                                  ) -> None:
    async with naibot("sandbox", "chat", "discord", "--url", discord_world.discord.url, "--guild", "4") as chat:
        status = await chat.close_input()
        assert chat.process.stderr is not None
        err = (await chat.process.stderr.read()).decode()
    assert status == 2
    assert err.startswith("naibot: cannot join guild 4 (the stand-in refused: Unknown Guild)")
    assert "Traceback" not in err and err.count("\n") == 1
