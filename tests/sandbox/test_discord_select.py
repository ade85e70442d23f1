"""String select menus on the Discord stand-in, for the real discord.py: a user's pick arrives as a
component interaction (``component_type`` 3 with ``values``) that discord.py dispatches to a
persistent dynamic item, also after a restart; the choices a real client could not make are refused;
a bot's malformed menu is refused with Discord's form errors."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Any, ClassVar

import aiohttp
import discord
import pytest
import pytest_asyncio

from sandbox.discord import DiscordSandbox, point_discord_py_at
from tests.fixtures.discord_guild import ANN, GUILD, MOD, OWNER, SFW, running_bot


@pytest_asyncio.fixture
async def sandbox() -> AsyncIterator[DiscordSandbox]:
    discord_sandbox = DiscordSandbox(heartbeat_interval_ms=1000)
    await discord_sandbox.start()
    discord_sandbox.add_guild(GUILD, "Sandbox Guild", owner=OWNER, channels={SFW: False})
    discord_sandbox.add_member(GUILD, ANN)
    discord_sandbox.add_member(GUILD, MOD, admin=True)
    undo = point_discord_py_at(discord_sandbox)
    try:
        yield discord_sandbox
    finally:
        undo()
        await discord_sandbox.stop()


class PickMenu(discord.ui.DynamicItem[discord.ui.Select[Any]], template=r"pick:(?P<owner>[0-9]+)"):
    picked: ClassVar[list[tuple[str, list[str], int]]] = []
    done: ClassVar[asyncio.Event]

    def __init__(self, owner: int) -> None:
        super().__init__(discord.ui.Select(custom_id=f"pick:{owner}", options=[
            discord.SelectOption(label="Fox", value="fox"), discord.SelectOption(label="Owl", value="owl")]))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str]) -> PickMenu:
        return cls(int(match["owner"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        data: dict[str, Any] = dict(interaction.data or {})
        PickMenu.picked.append((str(data["custom_id"]), list(self.item.values), interaction.user.id))
        assert data["component_type"] == 3 and data["values"] == self.item.values
        await interaction.response.edit_message(content=f"Picked {self.item.values[0]}", view=None)
        PickMenu.done.set()


async def test_a_pick_reaches_a_persistent_select_with_its_values_also_after_a_restart(
        sandbox: DiscordSandbox) -> None:
    PickMenu.picked = []

    def setup(bot: discord.Client) -> None:
        bot.add_dynamic_items(PickMenu)

    async with running_bot(sandbox, setup, sync=False) as client:
        view = discord.ui.View(timeout=None)
        view.add_item(PickMenu(ANN.id))
        sent = await client.get_partial_messageable(SFW).send("Which one?", view=view)
    with pytest.raises(ValueError, match="no options"):
        sandbox.choose_options(GUILD, SFW, ANN, sent.id, f"pick:{ANN.id}", ["cat"])
    with pytest.raises(ValueError, match="1 to 1"):
        sandbox.choose_options(GUILD, SFW, ANN, sent.id, f"pick:{ANN.id}", ["fox", "owl"])
    with pytest.raises(ValueError, match="no string select"):
        sandbox.choose_options(GUILD, SFW, ANN, sent.id, "pick:1", ["fox"])

    async with running_bot(sandbox, setup, sync=False):  # a fresh process: only the class is known
        PickMenu.done = asyncio.Event()
        interaction_id = sandbox.choose_options(GUILD, SFW, ANN, sent.id, f"pick:{ANN.id}", ["owl"])
        await asyncio.wait_for(PickMenu.done.wait(), 5)

    assert PickMenu.picked == [(f"pick:{ANN.id}", ["owl"], ANN.id)]
    updated = sandbox.interaction_response(interaction_id)
    assert updated is not None and (updated.id, updated.content, updated.components) == (sent.id, "Picked owl", [])


async def post_row(sandbox: DiscordSandbox, row: list[dict[str, Any]]) -> tuple[int, dict[str, Any]]:
    """A bot message with one action row of these components, sent over REST as discord.py would."""
    payload = {"content": "x", "components": [{"type": 1, "components": row}]}
    headers = {"Authorization": f"Bot {sandbox.token}"}
    async with aiohttp.ClientSession() as http, http.post(f"{sandbox.api_url}/channels/{SFW}/messages",
                                                          headers=headers, json=payload) as response:
        return response.status, await response.json()


@pytest.mark.parametrize(("menu", "problem"), [
    ({"options": []}, "options"),
    ({"options": [{"label": "a", "value": "x"}, {"label": "b", "value": "x"}]}, "options"),
    ({"options": [{"label": "", "value": "x"}]}, "label"),
    ({"options": [{"label": "a", "value": "x"}], "max_values": 2}, "max_values"),
    ({"options": [{"label": "a", "value": "x"}], "placeholder": "p" * 151}, "placeholder"),
], ids=["no-options", "duplicate-values", "empty-label", "more-values-than-options", "long-placeholder"])
async def test_a_malformed_select_menu_is_refused_like_discord(sandbox: DiscordSandbox, menu: dict[str, Any],
                                                             problem: str) -> None:
    status, body = await post_row(sandbox, [{"type": 3, "custom_id": "menu", **menu}])
    assert (status, body["code"]) == (400, 50035)
    assert problem in str(body["errors"])


async def test_a_select_shares_its_row_with_nothing_else(sandbox: DiscordSandbox) -> None:
    row = [{"type": 3, "custom_id": "menu", "options": [{"label": "a", "value": "x"}]},
           {"type": 2, "custom_id": "b", "label": "B", "style": 2}]
    status, body = await post_row(sandbox, row)
    assert (status, body["code"]) == (400, 50035)
