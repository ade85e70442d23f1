"""The Discord stand-in behaves as Discord does for the real discord.py: login and the gateway, command sync,
slash commands with typed options, interaction answers and follow-ups, ephemeral messages, persistent
buttons across a restart, modals and autocomplete, uploads byte for byte, Discord's error codes, token
expiry and rate limits. The control API is driven over HTTP from another thread."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import io
import json
import math
import re
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import discord
import httpx
import pytest
import pytest_asyncio
import yarl
from discord import app_commands
from discord.ext import commands
from PIL import Image

from sandbox.discord import (
    DEFAULT_TOKEN,
    DiscordSandbox,
    RateLimits,
    point_discord_py_at,
    running_discord,
)
from sandbox.discord.state import EPHEMERAL, LOADING
from tests.fixtures.discord_guild import ANN, GUILD, MOD, NSFW, OWNER, SFW, running_bot

MODELS = [app_commands.Choice(name="V4.5 Full", value="nai-diffusion-4-5-full"),
          app_commands.Choice(name="V3", value="nai-diffusion-3")]


def png(width: int = 64, height: int = 96) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "teal").save(buffer, format="PNG")
    return buffer.getvalue()


@pytest_asyncio.fixture
async def sandbox() -> AsyncIterator[DiscordSandbox]:
    """A started sandbox with one guild (a SFW and an NSFW channel, a member and an admin), and discord.py
    pointed at it for the test only."""
    discord_sandbox = DiscordSandbox(heartbeat_interval_ms=1000)
    await discord_sandbox.start()
    discord_sandbox.add_guild(GUILD, "Sandbox Guild", owner=OWNER, channels={SFW: False, NSFW: True})
    discord_sandbox.add_member(GUILD, ANN)
    discord_sandbox.add_member(GUILD, MOD, admin=True)
    undo = point_discord_py_at(discord_sandbox)
    try:
        yield discord_sandbox
    finally:
        undo()
        await discord_sandbox.stop()


async def settled(event: asyncio.Event) -> None:
    await asyncio.wait_for(event.wait(), 5)


def generate_command(tree: app_commands.CommandTree, seen: dict[str, Any],
                     answer: Callable[[discord.Interaction], Any] | None = None) -> None:
    @tree.command(name="generate", description="Generate an image")
    @app_commands.describe(prompt="What to draw")
    @app_commands.choices(model=MODELS)
    async def generate(interaction: discord.Interaction, prompt: str, model: str | None = None,
                       steps: app_commands.Range[int, 1, 50] = 28, scale: float = 5.0, hd: bool = False) -> None:
        seen.update(prompt=prompt, model=model, steps=steps, scale=scale, hd=hd, interaction=interaction)
        if answer is not None:
            await answer(interaction)
        seen.setdefault("done", asyncio.Event()).set()


# -- login, gateway, commands -------------------------------------------------------------------


async def test_login_and_gateway_deliver_guilds_with_nsfw_channels(sandbox: DiscordSandbox) -> None:
    async with running_bot(sandbox, sync=False) as client:
        assert sandbox.connected()
        assert client.user is not None and client.user.id == sandbox.bot_user_id and client.user.bot
        assert client.application_id == sandbox.application_id
        guild = client.get_guild(GUILD)
        assert guild is not None and guild.name == "Sandbox Guild" and guild.owner_id == OWNER.id
        channels = {channel.id: channel for channel in guild.text_channels}
        assert channels[SFW].is_nsfw() is False and channels[NSFW].is_nsfw() is True
        assert guild.me is not None and guild.me.guild_permissions.send_messages
        # discord.py heartbeats on HELLO, before IDENTIFY; the ACK (op 11) precedes READY, so a latency exists.
        assert math.isfinite(client.latency)
        assert sandbox.stats.identifies == 1
        assert [c.route for c in sandbox.calls()][:2] == ["GET /users/@me", "GET /oauth2/applications/@me"]
    await sandbox.wait_for(lambda: not sandbox.connected())


async def test_sync_stores_commands_with_option_types_and_keeps_ids(sandbox: DiscordSandbox) -> None:
    def setup(bot: commands.Bot) -> None:
        generate_command(bot.tree, {})

    async with running_bot(sandbox, setup) as bot:
        [stored] = sandbox.commands(GUILD)
        assert stored["name"] == "generate" and stored["guild_id"] == str(GUILD)
        assert stored["application_id"] == str(sandbox.application_id)
        options = {option["name"]: option for option in stored["options"]}
        assert {name: option["type"] for name, option in options.items()} == {
            "prompt": 3, "model": 3, "steps": 4, "scale": 10, "hd": 5}
        assert options["prompt"]["required"] is True and options["prompt"]["description"] == "What to draw"
        assert options["model"]["choices"] == [{"name": c.name, "value": c.value} for c in MODELS]
        assert (options["steps"]["min_value"], options["steps"]["max_value"]) == (1, 50)
        fetched = await bot.tree.fetch_commands(guild=discord.Object(GUILD))
        assert [command.id for command in fetched] == [int(stored["id"])]
        [again] = await bot.tree.sync(guild=discord.Object(GUILD))
        assert again.id == int(stored["id"])  # same name, same id, as on Discord
        assert await bot.tree.sync() != [] and sandbox.commands()[0]["name"] == "generate"
        bot.tree.clear_commands(guild=discord.Object(GUILD))
        assert await bot.tree.sync(guild=discord.Object(GUILD)) == [] and sandbox.commands(GUILD) == []


async def test_invalid_command_definitions_are_refused_like_discord(sandbox: DiscordSandbox) -> None:
    async with aiohttp.ClientSession(headers={"Authorization": f"Bot {sandbox.token}"}) as http:
        url = f"{sandbox.api_url}/applications/{sandbox.application_id}/commands"
        bad = [{"name": "Generate", "description": "x"}]
        async with http.put(url, json=bad) as response:
            body = await response.json()
        assert response.status == 400 and body["code"] == 50035
        assert body["errors"]["0"]["name"]["_errors"][0]["code"] == "APPLICATION_COMMAND_INVALID_NAME"
        out_of_order = [{"name": "gen", "description": "x", "options": [
            {"type": 3, "name": "a", "description": "a"}, {"type": 3, "name": "b", "description": "b",
                                                            "required": True}]}]
        async with http.put(url, json=out_of_order) as response:
            assert response.status == 400


# -- slash commands and answers ---------------------------------------------------------------


async def test_slash_command_reaches_handler_with_typed_options_and_context(sandbox: DiscordSandbox) -> None:
    seen: dict[str, Any] = {"done": asyncio.Event()}

    async def answer(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("ok")

    def setup(bot: commands.Bot) -> None:
        generate_command(bot.tree, seen, answer)

    async with running_bot(sandbox, setup):
        sandbox.slash_command(GUILD, NSFW, ANN, "generate",
                              {"prompt": "1girl", "model": "nai-diffusion-3", "steps": 40, "scale": 6.5, "hd": True})
        await settled(seen["done"])
        interaction: discord.Interaction = seen["interaction"]
        assert {k: seen[k] for k in ("prompt", "model", "steps", "scale", "hd")} == {
            "prompt": "1girl", "model": "nai-diffusion-3", "steps": 40, "scale": 6.5, "hd": True}
        assert interaction.locale is discord.Locale.chinese
        assert interaction.guild_locale is discord.Locale.american_english
        assert interaction.channel is not None and interaction.channel.is_nsfw()  # type: ignore[union-attr]
        assert isinstance(interaction.user, discord.Member) and interaction.user.id == ANN.id
        assert not interaction.permissions.manage_guild and interaction.permissions.send_messages
        assert interaction.app_permissions.attach_files and not interaction.app_permissions.administrator
        assert interaction.filesize_limit == sandbox.attachment_size_limit

        seen["done"] = asyncio.Event()
        sandbox.slash_command(GUILD, SFW, MOD, "generate", {"prompt": "x"})
        await settled(seen["done"])
        assert seen["interaction"].permissions.manage_guild and seen["steps"] == 28

    with pytest.raises(ValueError, match="not a choice"):
        sandbox.slash_command(GUILD, SFW, ANN, "generate", {"prompt": "x", "model": "unknown"})
    with pytest.raises(ValueError, match=r"within 1\.\.50"):
        sandbox.slash_command(GUILD, SFW, ANN, "generate", {"prompt": "x", "steps": 99})
    with pytest.raises(ValueError, match="required"):
        sandbox.slash_command(GUILD, SFW, ANN, "generate", {})


async def test_subcommands_and_user_options(sandbox: DiscordSandbox) -> None:
    seen: dict[str, Any] = {}
    done = asyncio.Event()

    def setup(bot: commands.Bot) -> None:
        admin = app_commands.Group(name="admin", description="Admin tools")

        @admin.command(name="ban", description="Ban a user from the bot")
        async def ban(interaction: discord.Interaction, user: discord.Member, days: int = 1) -> None:
            seen.update(user=user, days=days)
            await interaction.response.send_message(f"banned {user.display_name}", ephemeral=True)
            done.set()

        bot.tree.add_command(admin)

    async with running_bot(sandbox, setup):
        [stored] = sandbox.commands(GUILD)
        assert stored["options"][0]["type"] == 1 and stored["options"][0]["options"][0]["type"] == 6
        sandbox.slash_command(GUILD, SFW, MOD, "admin ban", {"user": ANN.id, "days": 3})
        await settled(done)
    assert isinstance(seen["user"], discord.Member) and seen["user"].id == ANN.id and seen["days"] == 3
    assert seen["user"].display_name == ANN.global_name


async def test_response_edit_with_file_and_ephemeral_followup(sandbox: DiscordSandbox) -> None:
    image = png()
    seen: dict[str, Any] = {"done": asyncio.Event()}

    async def answer(interaction: discord.Interaction) -> None:
        callback = await interaction.response.send_message("Queued: position 1")
        seen["response_id"] = callback.message_id
        edited = await interaction.edit_original_response(
            content="Done", attachments=[discord.File(io.BytesIO(image), filename="result.png")])
        seen["downloaded"] = await edited.attachments[0].read()
        followup = await interaction.followup.send("Only you can see this", ephemeral=True, wait=True)
        seen["followup"] = followup

    def setup(bot: commands.Bot) -> None:
        generate_command(bot.tree, seen, answer)

    async with running_bot(sandbox, setup) as bot:
        interaction_id = sandbox.slash_command(GUILD, SFW, ANN, "generate", {"prompt": "cat"})
        await settled(seen["done"])
        with pytest.raises(discord.NotFound):  # ephemeral: reachable through its token only
            await bot.get_partial_messageable(SFW).fetch_message(seen["followup"].id)
        with pytest.raises(ValueError, match="ephemeral for another user"):
            sandbox.click_button(GUILD, SFW, MOD, seen["followup"].id, "x")

    original = sandbox.interaction_response(interaction_id)
    assert original is not None and original.id == seen["response_id"]
    assert (original.content, original.edits, original.author_id, original.ephemeral_for) == (
        "Done", 1, sandbox.bot_user_id, None)
    [attachment] = original.attachments
    assert (attachment["filename"], attachment["size"], attachment["content_type"]) == (
        "result.png", len(image), "image/png")
    assert (attachment["width"], attachment["height"]) == (64, 96)
    assert sandbox.attachment_bytes(attachment["id"]) == image == seen["downloaded"]
    followup = seen["followup"]
    assert followup.flags.ephemeral
    stored = {message.id: message for message in sandbox.messages(SFW)}
    assert stored[followup.id].ephemeral_for == ANN.id and stored[followup.id].flags & EPHEMERAL
    assert stored[followup.id].interaction_id == interaction_id
    [callback] = sandbox.calls("POST", "/callback")
    assert callback.query == {"with_response": "1"} and callback.json["type"] == 4


async def test_deferred_answer_then_followup_replaces_the_thinking_message(sandbox: DiscordSandbox) -> None:
    seen: dict[str, Any] = {"done": asyncio.Event(), "deferred": asyncio.Event(), "go": asyncio.Event()}

    async def answer(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True, ephemeral=True)
        seen["deferred"].set()
        await seen["go"].wait()
        seen["followup"] = await interaction.followup.send("Here you go", wait=True)

    def setup(bot: commands.Bot) -> None:
        generate_command(bot.tree, seen, answer)

    async with running_bot(sandbox, setup):
        interaction_id = sandbox.slash_command(GUILD, SFW, ANN, "generate", {"prompt": "cat"})
        await settled(seen["deferred"])
        thinking = sandbox.interaction_response(interaction_id)
        assert thinking is not None and thinking.flags & LOADING and thinking.ephemeral_for == ANN.id
        seen["go"].set()
        await settled(seen["done"])

    answered = sandbox.interaction_response(interaction_id)
    assert answered is not None and answered.id == seen["followup"].id
    assert answered.content == "Here you go" and not answered.flags & LOADING and answered.ephemeral_for == ANN.id
    assert len(sandbox.messages(SFW)) == 1


async def test_late_answer_is_unknown_interaction(sandbox: DiscordSandbox) -> None:
    """Past Discord's 3 s (here: a zero deadline) the callback is 404 10062, raised as discord.NotFound."""
    sandbox.interaction_answer_deadline = 0.0
    seen: dict[str, Any] = {"done": asyncio.Event()}

    async def answer(interaction: discord.Interaction) -> None:
        try:
            await interaction.response.send_message("too late")
        except discord.HTTPException as exc:
            seen["error"] = exc

    def setup(bot: commands.Bot) -> None:
        generate_command(bot.tree, seen, answer)

    async with running_bot(sandbox, setup):
        interaction_id = sandbox.slash_command(GUILD, SFW, ANN, "generate", {"prompt": "cat"})
        await settled(seen["done"])
    error = seen["error"]
    assert isinstance(error, discord.NotFound) and (error.status, error.code) == (404, 10062)
    assert sandbox.interaction_response(interaction_id) is None and sandbox.messages(SFW) == []


async def test_expired_token_fails_but_channel_edit_still_works(sandbox: DiscordSandbox) -> None:
    """After the token's 15 minutes, webhook edits are 401 50027: discord.py raises a plain HTTPException
    (not NotFound/Forbidden); the bot can still edit its message through the channel with its own token."""
    seen: dict[str, Any] = {"done": asyncio.Event()}

    async def answer(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("Queued")

    def setup(bot: commands.Bot) -> None:
        generate_command(bot.tree, seen, answer)

    async with running_bot(sandbox, setup) as client:
        interaction_id = sandbox.slash_command(GUILD, SFW, ANN, "generate", {"prompt": "cat"})
        await settled(seen["done"])
        interaction: discord.Interaction = seen["interaction"]
        message_id = sandbox.interaction_response(interaction_id).id  # type: ignore[union-attr]
        # What a worker holding only the stored token does (bot/discord/sender.py).
        webhook = discord.Webhook.partial(interaction.application_id, interaction.token, client=client)
        await webhook.edit_message(message_id, content="Working")
        sandbox.expire_token(interaction_id)
        with pytest.raises(discord.HTTPException) as failure:
            await interaction.edit_original_response(content="Done")
        assert not isinstance(failure.value, discord.NotFound | discord.Forbidden)
        assert (failure.value.status, failure.value.code) == (401, 50027)
        with pytest.raises(discord.HTTPException):
            await webhook.edit_message(message_id, content="Done")
        await client.get_partial_messageable(SFW).get_partial_message(message_id).edit(content="Done")

    message = sandbox.interaction_response(interaction_id)
    assert message is not None and (message.content, message.edits) == ("Done", 2)


async def test_token_lifetime_is_configurable(sandbox: DiscordSandbox) -> None:
    sandbox.interaction_token_ttl = 0.0
    seen: dict[str, Any] = {"done": asyncio.Event()}

    async def answer(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("Queued")
        try:
            await interaction.followup.send("later", wait=True)
        except discord.HTTPException as exc:
            seen["error"] = exc

    def setup(bot: commands.Bot) -> None:
        generate_command(bot.tree, seen, answer)

    async with running_bot(sandbox, setup):
        sandbox.slash_command(GUILD, SFW, ANN, "generate", {"prompt": "cat"})
        await settled(seen["done"])
    assert seen["error"].code == 50027


# -- components, modals, autocomplete ----------------------------------------------------------


class CancelButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"cancel:(?P<job>\w+)"):
    """A persistent job button: everything it needs is in its custom id."""

    clicked: list[tuple[str, int]] = []  # noqa: RUF012 - shared on purpose: survives client instances
    done = asyncio.Event()

    def __init__(self, job: str) -> None:
        super().__init__(discord.ui.Button(label="Cancel", style=discord.ButtonStyle.danger, custom_id=f"cancel:{job}"))
        self.job = job

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str]) -> CancelButton:
        return cls(match["job"])

    async def callback(self, interaction: discord.Interaction) -> None:
        CancelButton.clicked.append((self.job, interaction.user.id))
        await interaction.response.edit_message(content=f"Cancelled {self.job}", view=None)
        CancelButton.done.set()


async def test_persistent_button_works_across_a_restart(sandbox: DiscordSandbox) -> None:
    CancelButton.clicked = []

    def setup(bot: commands.Bot) -> None:
        bot.add_dynamic_items(CancelButton)

    async with running_bot(sandbox, setup, sync=False) as client:
        view = discord.ui.View(timeout=None)
        view.add_item(CancelButton("job1"))
        first = await client.get_partial_messageable(SFW).send("Job job1 queued", view=view)
        view = discord.ui.View(timeout=None)
        view.add_item(CancelButton("job2"))
        second = await client.get_partial_messageable(SFW).send("Job job2 queued", view=view)
        CancelButton.done = asyncio.Event()
        sandbox.click_button(GUILD, SFW, ANN, first.id, "cancel:job1")
        await settled(CancelButton.done)

    async with running_bot(sandbox, setup, sync=False):  # a fresh process: nothing in memory but the class
        CancelButton.done = asyncio.Event()
        interaction_id = sandbox.click_button(GUILD, SFW, MOD, second.id, "cancel:job2")
        await settled(CancelButton.done)

    assert CancelButton.clicked == [("job1", ANN.id), ("job2", MOD.id)]
    assert sandbox.stats.identifies == 2
    updated = sandbox.interaction_response(interaction_id)
    assert updated is not None and updated.id == second.id
    assert (updated.content, updated.components, updated.edits) == ("Cancelled job2", [], 1)
    with pytest.raises(ValueError, match="no component"):
        sandbox.click_button(GUILD, SFW, ANN, second.id, "cancel:job2")


async def test_modal_round_trip(sandbox: DiscordSandbox) -> None:
    submitted: dict[str, str] = {}
    done = asyncio.Event()

    class Login(discord.ui.Modal, title="NovelAI login"):
        email: discord.ui.TextInput[Any] = discord.ui.TextInput(label="Email", custom_id="email")
        password: discord.ui.TextInput[Any] = discord.ui.TextInput(label="Password", custom_id="password")

        async def on_submit(self, interaction: discord.Interaction) -> None:
            submitted.update(email=self.email.value, password=self.password.value)
            await interaction.response.send_message("Logged in", ephemeral=True)
            done.set()

    def setup(bot: commands.Bot) -> None:
        @bot.tree.command(name="login", description="Log in to NovelAI")
        async def login(interaction: discord.Interaction) -> None:
            await interaction.response.send_modal(Login(custom_id="login-modal"))

    async with running_bot(sandbox, setup):
        shown = sandbox.slash_command(GUILD, SFW, ANN, "login", {})
        await sandbox.wait_for(lambda: sandbox.interaction(shown).modal is not None)
        assert sandbox.interaction(shown).modal["title"] == "NovelAI login"  # type: ignore[index]
        with pytest.raises(ValueError, match="required"):
            sandbox.submit_modal(GUILD, SFW, ANN, "login-modal", {"email": "a@b.c"})
        answer = sandbox.submit_modal(GUILD, SFW, ANN, "login-modal", {"email": "a@b.c", "password": "pw"})
        await settled(done)
    assert submitted == {"email": "a@b.c", "password": "pw"}
    response = sandbox.interaction_response(answer)
    assert response is not None and response.ephemeral_for == ANN.id and response.content == "Logged in"
    with pytest.raises(ValueError, match="never showed"):
        sandbox.submit_modal(GUILD, SFW, MOD, "login-modal", {})


async def test_autocomplete_choices_are_recorded(sandbox: DiscordSandbox) -> None:
    def setup(bot: commands.Bot) -> None:
        @bot.tree.command(name="sampler", description="Pick a sampler")
        async def sampler(interaction: discord.Interaction, name: str) -> None:
            await interaction.response.send_message(name)

        @sampler.autocomplete("name")
        async def names(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
            options = ["k_euler", "k_euler_ancestral", "k_dpmpp_2m"]
            return [app_commands.Choice(name=o, value=o) for o in options if current in o]

    async with running_bot(sandbox, setup):
        interaction_id = sandbox.autocomplete(GUILD, SFW, ANN, "sampler", {"name": "euler"}, focused="name")
        await sandbox.wait_for(lambda: sandbox.autocomplete_choices(interaction_id) is not None)
    assert sandbox.autocomplete_choices(interaction_id) == [
        {"name": "k_euler", "value": "k_euler"}, {"name": "k_euler_ancestral", "value": "k_euler_ancestral"}]


# -- channel messages and Discord's refusals ---------------------------------------------------


async def test_channel_messages_with_the_bot_token(sandbox: DiscordSandbox) -> None:
    image = png(32, 32)
    # More than 5 calls in one channel: a short window keeps discord.py's own pacing short.
    sandbox.limits = RateLimits(channel_window=0.1)
    async with running_bot(sandbox, sync=False) as client:
        channel = client.get_partial_messageable(NSFW)
        sent = await channel.send("Result", embed=discord.Embed(description="seed 1"),
                                  files=[discord.File(io.BytesIO(image), filename="a.png"),
                                         discord.File(io.BytesIO(b"text"), filename="prompt.txt")])
        await sent.edit(content="Result (edited)")
        reply = await channel.send("Reply", reference=discord.MessageReference(
            message_id=sent.id, channel_id=NSFW, fail_if_not_exists=False))
        orphan = await channel.send("Orphan", reference=discord.MessageReference(
            message_id=123, channel_id=NSFW, fail_if_not_exists=False))
        user_message_id = sandbox.post_message(NSFW, ANN, "hello bot")
        with pytest.raises(discord.Forbidden) as failure:
            await channel.get_partial_message(user_message_id).edit(content="hijacked")
        assert failure.value.code == 50005
        with pytest.raises(discord.NotFound) as missing:
            await channel.fetch_message(42)
        assert missing.value.code == 10008
        with pytest.raises(discord.NotFound) as unknown_channel:
            await client.get_partial_messageable(999).send("nowhere")
        assert unknown_channel.value.code == 10003
        sandbox.set_bot_permissions(GUILD, 1 << 10)  # may look, not write
        with pytest.raises(discord.Forbidden) as forbidden:
            await channel.send("muted")
        assert forbidden.value.code == 50013

    stored = {message.id: message for message in sandbox.messages(NSFW)}
    assert (stored[sent.id].content, stored[sent.id].edits) == ("Result (edited)", 1)
    assert stored[sent.id].embeds[0]["description"] == "seed 1"
    assert [a["filename"] for a in stored[sent.id].attachments] == ["a.png", "prompt.txt"]
    assert sandbox.attachment_bytes(stored[sent.id].attachments[0]["id"]) == image
    assert sandbox.attachment_bytes(stored[sent.id].attachments[1]["id"]) == b"text"
    assert stored[reply.id].reference_id == sent.id and stored[orphan.id].reference_id is None
    assert stored[user_message_id].content == "hello bot" and stored[user_message_id].edits == 0


async def test_refusals_have_discords_shape(sandbox: DiscordSandbox) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{sandbox.api_url}/users/@me", headers={"Authorization": "Bot wrong"}) as response:
            assert (response.status, response.headers["Content-Type"]) == (401, "application/json")
            assert await response.json() == {"message": "401: Unauthorized", "code": 0}
        auth = {"Authorization": f"Bot {sandbox.token}"}
        async with http.post(f"{sandbox.api_url}/channels/{SFW}/messages", headers=auth, json={}) as response:
            assert (response.status, (await response.json())["code"]) == (400, 50006)
        async with http.post(f"{sandbox.api_url}/channels/{SFW}/messages", headers=auth,
                             json={"content": "x" * 2001}) as response:
            body = await response.json()
            assert (response.status, body["code"]) == (400, 50035) and "content" in body["errors"]
        async with http.patch(f"{sandbox.api_url}/webhooks/{sandbox.application_id}/nope/messages/@original",
                              json={"content": "x"}) as response:
            assert (response.status, (await response.json())["code"]) == (401, 50027)
        async with http.post(f"{sandbox.api_url}/interactions/1/nope/callback", json={"type": 4}) as response:
            assert (response.status, (await response.json())["code"]) == (404, 10062)
        async with http.delete(f"{sandbox.api_url}/users/@me", headers=auth) as response:
            assert response.status == 405


async def test_bad_token_is_a_login_failure_and_gateway_close_4004(sandbox: DiscordSandbox) -> None:
    client = discord.Client(intents=discord.Intents.default())
    with pytest.raises(discord.LoginFailure):
        await client.login("MTIwMA.wrong.token")
    await client.close()
    async with aiohttp.ClientSession() as http, http.ws_connect(sandbox.gateway_url) as ws:
        hello = await ws.receive_json()
        assert hello["op"] == 10 and hello["d"]["heartbeat_interval"] == 1000
        await ws.send_json({"op": 2, "d": {"token": "wrong", "intents": 1, "properties": {}}})
        closing = await ws.receive()
        assert closing.type is aiohttp.WSMsgType.CLOSE and closing.data == 4004
    assert not sandbox.connected()


# -- gateway resume ----------------------------------------------------------------------------


async def test_reconnect_resumes_and_replays_missed_interactions(sandbox: DiscordSandbox) -> None:
    seen: dict[str, Any] = {"done": asyncio.Event()}

    async def answer(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("ok")

    def setup(bot: commands.Bot) -> None:
        generate_command(bot.tree, seen, answer)

    async with running_bot(sandbox, setup) as client:
        resumed = asyncio.Event()
        client.event(_setter("on_resumed", resumed))
        sandbox.reconnect_gateway()
        # Dispatched while discord.py is between connections: kept and replayed on RESUME.
        sandbox.slash_command(GUILD, SFW, ANN, "generate", {"prompt": "during reconnect"})
        await settled(resumed)
        await settled(seen["done"])
        assert seen["prompt"] == "during reconnect" and sandbox.stats.resumes == 1

        seen["done"] = asyncio.Event()
        client.before_identify_hook = _no_identify_backoff  # type: ignore[method-assign]
        sandbox.reconnect_gateway(resume=False)  # INVALID_SESSION: discord.py identifies afresh
        await sandbox.wait_for(lambda: sandbox.stats.identifies == 2 and sandbox.connected())
        sandbox.slash_command(GUILD, SFW, ANN, "generate", {"prompt": "after identify"})
        await settled(seen["done"])
        assert seen["prompt"] == "after identify"


# -- rate limits -------------------------------------------------------------------------------


async def test_one_client_is_paced_by_the_headers_without_429(sandbox: DiscordSandbox) -> None:
    """discord.py reads X-RateLimit-* on every answer and waits for the bucket itself: a tight loop of
    edits from one client meets no 429, it just takes a window longer."""
    sandbox.limits = RateLimits(channel_per_5s=5, channel_window=0.3)
    async with logged_in(sandbox) as client:
        # The window opens with the first call (the send), so the time is measured from before it.
        started = time.monotonic()
        message = await client.get_partial_messageable(SFW).send("0")
        for number in range(1, 9):
            await message.edit(content=str(number))
        assert time.monotonic() - started >= 0.3
    assert sandbox.stats.rate_limited == 0
    assert sandbox.messages(SFW)[0].content == "8"


async def test_shared_bucket_gets_429_and_discord_py_retries(sandbox: DiscordSandbox) -> None:
    """Two processes (clients) editing in one channel overrun the bucket neither fully sees: Discord answers
    429 with retry_after, discord.py sleeps that long and retries, and every edit lands."""
    sandbox.limits = RateLimits(channel_per_5s=5, channel_window=0.25)
    async with logged_in(sandbox) as first, logged_in(sandbox) as second:
        message = await first.get_partial_messageable(SFW).send("start")

        async def edit_loop(client: discord.Client, name: str) -> None:
            partial = client.get_partial_messageable(SFW).get_partial_message(message.id)
            for number in range(6):
                await partial.edit(content=f"{name}{number}")

        await asyncio.gather(edit_loop(first, "a"), edit_loop(second, "b"))
    edits = sandbox.calls("PATCH", f"/channels/{SFW}/messages/")
    refused = [call for call in edits if call.status == 429]
    assert refused and sandbox.stats.rate_limited == len(refused)
    assert len([call for call in edits if call.status == 200]) == 12
    assert sandbox.messages(SFW)[0].edits == 12


async def test_429_answer_carries_what_discord_py_reads(sandbox: DiscordSandbox) -> None:
    sandbox.limits = RateLimits(channel_per_5s=1, channel_window=5.0)
    auth = {"Authorization": f"Bot {sandbox.token}"}
    async with aiohttp.ClientSession(headers=auth) as http:
        url = f"{sandbox.api_url}/channels/{SFW}/messages"
        async with http.post(url, json={"content": "1"}) as response:
            assert response.status == 200
            assert (response.headers["X-RateLimit-Limit"], response.headers["X-RateLimit-Remaining"]) == ("1", "0")
            bucket = response.headers["X-RateLimit-Bucket"]
        async with http.post(url, json={"content": "2"}) as response:
            body = await response.json()
            headers = response.headers
        assert response.status == 429 and body["global"] is False and 0 < body["retry_after"] <= 5
        assert headers["Content-Type"] == "application/json" and headers["Via"]
        assert headers["X-RateLimit-Bucket"] == bucket and headers["X-RateLimit-Remaining"] == "0"
        assert float(headers["X-RateLimit-Reset-After"]) == pytest.approx(body["retry_after"], abs=0.01)
        assert int(headers["Retry-After"]) >= 1 and headers["X-RateLimit-Scope"] == "user"

        sandbox.limits = RateLimits(global_per_second=0)
        async with http.get(f"{sandbox.api_url}/users/@me") as response:
            body = await response.json()
            assert response.status == 429 and body["global"] is True
            assert response.headers["X-RateLimit-Global"] == "true"

        sandbox.limits = RateLimits(channel_per_5s=1, enabled=False)
        for number in range(5):
            async with http.post(url, json={"content": str(number)}) as response:
                assert response.status == 200 and "X-RateLimit-Limit" not in response.headers
    assert sandbox.stats.rate_limited == 2


async def test_interaction_webhook_has_its_own_bucket(sandbox: DiscordSandbox) -> None:
    sandbox.limits = RateLimits(webhook_per_2s=2, webhook_window=0.2)
    seen: dict[str, Any] = {"done": asyncio.Event()}

    async def answer(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("0")
        for number in range(1, 6):
            await interaction.edit_original_response(content=str(number))

    def setup(bot: commands.Bot) -> None:
        generate_command(bot.tree, seen, answer)

    async with running_bot(sandbox, setup):
        interaction_id = sandbox.slash_command(GUILD, SFW, ANN, "generate", {"prompt": "x"})
        await settled(seen["done"])
    assert sandbox.interaction_response(interaction_id).content == "5"  # type: ignore[union-attr]
    assert sandbox.stats.rate_limited == 0  # the webhook adapter waits when Remaining hits 0


# -- control API and plumbing ------------------------------------------------------------------


def test_control_api_over_http_from_another_thread() -> None:
    """Everything a test in another process needs: shape the guild, act as a user, read results."""
    with running_discord() as sandbox, httpx.Client(base_url=sandbox.url) as http:
        owner = {"id": 7, "username": "owner"}
        assert http.post("/_sandbox/guilds", json={"guild_id": 2, "name": "G", "owner": owner,
                                                   "channels": {"20": True}}).status_code == 201
        assert http.post("/_sandbox/guilds/2/members", json={"user": {"id": 8, "username": "bea",
                                                                      "locale": "de"}}).status_code == 201
        bot = {"Authorization": f"Bot {DEFAULT_TOKEN}"}
        definition = [{"name": "upscale", "description": "Upscale", "options": [
            {"type": 11, "name": "image", "description": "Image", "required": True},
            {"type": 4, "name": "factor", "description": "Factor"}]}]
        assert http.put("/api/v10/applications/1100/guilds/2/commands", json=definition, headers=bot).is_success
        assert http.get("/_sandbox/commands", params={"guild_id": 2}).json()[0]["name"] == "upscale"
        image = png(8, 8)
        started = http.post("/_sandbox/interactions/slash", json={
            "guild_id": 2, "channel_id": 20, "user": {"id": 8, "username": "bea", "locale": "de"},
            "name": "upscale", "options": {"image": {"filename": "in.png", "base64": base64.b64encode(image).decode()},
                                           "factor": 2}})
        assert started.status_code == 201
        interaction_id = started.json()["interaction_id"]
        payload = sandbox.interaction(interaction_id).payload
        [image_option, factor_option] = payload["data"]["options"]
        attachment = payload["data"]["resolved"]["attachments"][image_option["value"]]
        assert httpx.get(attachment["url"]).content == image and factor_option == {
            "name": "factor", "type": 4, "value": 2}
        assert payload["locale"] == "de" and payload["channel"]["nsfw"] is True

        # Acting as the bot over raw REST: answer with a file (multipart), then read it all back.
        token = payload["token"]
        files = {"payload_json": (None, json.dumps({"type": 4, "data": {"content": "2x", "attachments": [
            {"id": 0, "filename": "out.png"}]}})), "files[0]": ("out.png", image, "application/octet-stream")}
        answered = http.post(f"/api/v10/interactions/{interaction_id}/{token}/callback",
                             params={"with_response": 1}, files=files)
        assert answered.status_code == 200 and answered.headers["content-type"] == "application/json"
        assert answered.json()["resource"]["message"]["attachments"][0]["filename"] == "out.png"
        seen = http.get(f"/_sandbox/interactions/{interaction_id}").json()
        assert seen["callback_type"] == 4 and seen["response"]["content"] == "2x"
        [message] = http.get("/_sandbox/channels/20/messages").json()
        assert httpx.get(message["attachments"][0]["url"]).content == image
        again = http.post(f"/api/v10/interactions/{interaction_id}/{token}/callback", json={"type": 4})
        assert (again.status_code, again.json()["code"]) == (400, 40060)
        assert http.post(f"/_sandbox/interactions/{interaction_id}/expire").is_success
        expired = http.patch(f"/api/v10/webhooks/1100/{token}/messages/@original", json={"content": "x"})
        assert (expired.status_code, expired.json()["code"]) == (401, 50027)

        calls = http.get("/_sandbox/calls", params={"path_contains": "/callback"}).json()
        assert [call["status"] for call in calls] == [200, 400]
        assert calls[0]["files"] == [{"field": "files[0]", "filename": "out.png", "size": len(image)}]
        assert http.get("/_sandbox/stats").json()["calls_by_route"]["PUT /applications/{application_id}/guilds/"
                                                                   "{guild_id}/commands"] == 1
        assert http.post("/_sandbox/limits", json={"enabled": False}).json()["enabled"] is False
        assert sandbox.limits.enabled is False
        assert http.get("/_sandbox/gateway").json() == {"connected": False, "identifies": 0, "resumes": 0}
        refused = http.post("/_sandbox/interactions/slash", json={
            "guild_id": 2, "channel_id": 20, "user": {"id": 9, "username": "stranger"}, "name": "upscale"})
        assert refused.status_code == 400 and "not a member" in refused.json()["error"]
        assert http.post("/_sandbox/reset").is_success
        assert http.get("/_sandbox/channels/20/messages").json() == [] and sandbox.calls() == []
        assert sandbox.commands(2)[0]["name"] == "upscale"  # the bot's setup survives a reset


def test_point_discord_py_at_restores_the_class_attributes() -> None:
    before = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
    with running_discord() as sandbox:
        undo = point_discord_py_at(sandbox)
        assert sandbox.api_url == discord.http.Route.BASE
        assert yarl.URL(sandbox.gateway_url) == discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
        undo()
    assert before == (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)


# -- helpers -----------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def logged_in(sandbox: DiscordSandbox) -> AsyncIterator[discord.Client]:
    """A client with REST only (login, no gateway): what a worker process that just edits messages holds."""
    client = discord.Client(intents=discord.Intents.default())
    await client.login(sandbox.token)
    try:
        yield client
    finally:
        await client.close()


async def _no_identify_backoff(shard_id: int | None, *, initial: bool = False) -> None:
    """discord.py waits 5 s before every non-initial IDENTIFY (Discord's identify limit); not needed here."""


def _setter(name: str, event: asyncio.Event) -> Callable[..., Any]:
    async def handler(*args: Any) -> None:
        event.set()

    handler.__name__ = name
    return handler
