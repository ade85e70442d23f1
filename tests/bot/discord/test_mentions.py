"""Nothing the Discord bot says pings anyone (L1 of the security review): prompts, names and typed
words reach its messages, and "@everyone" or a role mention in them must stay text. Real discord.py
against the Discord stand-in, which records each message's ``allowed_mentions`` and works out whom
Discord would notify."""

from __future__ import annotations

import dataclasses

import pytest

from sandbox.discord import StoredMessage
from tests.fixtures.discord_e2e import ANN, GUILD, SFW, DiscordWorld

pytestmark = pytest.mark.xdist_group("workers")

SMALL = {"size": "512x512", "steps": 8}
ROLE = 9055
HOSTILE = f"@everyone <@&{ROLE}> <@2002> a cat"


def bot_messages(world: DiscordWorld) -> list[StoredMessage]:
    bot = world.discord.bot_user_id
    return [m for m in world.discord.messages(SFW) if m.author_id == bot and not m.deleted]


async def test_a_prompt_with_everyone_and_a_role_mention_pings_nobody(discord_world: DiscordWorld) -> None:
    world = discord_world
    await world.deployment.hold_lane()
    await world.start_bot()
    await world.response(world.generate(ANN, HOSTILE, **SMALL))
    # /queue lists the waiting job with its prompt: the mentions come back in the bot's own text.
    listing = await world.ask(ANN, "queue")
    assert "@everyone" in listing.content and f"<@&{ROLE}>" in listing.content
    await world.deployment.start_worker()
    await world.deployment.release_lane()
    await world.wait(lambda: len(world.results()) == 1, timeout=60)
    sent = bot_messages(world)
    assert len(sent) >= 3  # the status message, the /queue answer, the result
    for message in sent:
        assert message.allowed_mentions is not None, message.content
        assert message.allowed_mentions["parse"] == []
        assert message.pings() == {"everyone": False, "users": [], "roles": []}
    # Without allowed_mentions the stand-in, like Discord, would have notified everyone and the role.
    unguarded = dataclasses.replace(listing, allowed_mentions=None).pings()
    assert unguarded["everyone"] and unguarded["roles"] == [str(ROLE)] and unguarded["users"] == ["2002"]
    # Edits of the status message (interaction webhook) carry it too.
    edits = [c.json for c in world.discord.calls("PATCH", "/messages/") if isinstance(c.json, dict)]
    assert edits and all(edit.get("allowed_mentions", {}).get("parse") == [] for edit in edits)


@pytest.mark.parametrize("command", ["status", "cancel"])
async def test_a_typed_job_id_is_never_echoed_raw(discord_world: DiscordWorld, command: str) -> None:
    world = discord_world
    await world.start_bot()
    answer = await world.answer(world.discord.slash_command(GUILD, SFW, ANN, command, {"job": HOSTILE}))
    assert "everyone" not in answer.content and str(ROLE) not in answer.content
    assert "?" in answer.content  # "I can't find job ?": said, without repeating what was typed


async def test_follow_ups_after_a_deferred_answer_carry_no_mentions_either(discord_world: DiscordWorld) -> None:
    """The login form's answer is deferred ("thinking…") and then sent through the interaction
    webhook: discord.py's client default reaches that path too."""
    world = discord_world
    await world.start_bot()
    answer = await world.login(ANN, token="pst-" + "x" * 60)
    assert "did not accept" in answer.content
    assert answer.allowed_mentions is not None and answer.allowed_mentions["parse"] == []
    webhook_calls = [c for c in world.discord.calls(path_contains="/webhooks/") if isinstance(c.json, dict)
                     and "content" in c.json]
    assert webhook_calls and all(c.json.get("allowed_mentions", {}).get("parse") == [] for c in webhook_calls)
