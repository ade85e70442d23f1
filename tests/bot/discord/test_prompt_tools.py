"""Styles and wildcards on Discord, end to end: the real discord.py against the Discord stand-in (slash
commands with an ``action`` choice, a ``style`` option on /generate), a real worker and the NovelAI
stand-in. What NovelAI was asked is read back from the result PNG's ``Comment`` chunk, which the
stand-in writes from the request it received."""

from __future__ import annotations

import pytest

from bot.chat.wildcards import expand
from tests.bot.discord.picture_helpers import nth_result, queued_nothing, result_comment, result_png
from tests.fixtures.discord_e2e import ANN, BOB, GUILD, LI, OWNER, SFW, DiscordWorld

pytestmark = pytest.mark.xdist_group("workers")

SMALL = {"size": "512x512", "steps": 8}
HAIR = ["red hair", "blue hair", "silver hair", "green hair", "black hair"]


async def test_style_and_wildcard_commands_are_registered_with_actions_and_chinese(discord_world: DiscordWorld
                                                                                  ) -> None:
    await discord_world.start_bot()
    commands = {c["name"]: c for c in discord_world.discord.commands(GUILD)}
    style = {o["name"]: o for o in commands["style"]["options"]}
    assert {c["value"] for c in style["action"]["choices"]} == {"list", "show", "save", "delete"}
    assert {"name", "group", "prompt", "negative", "model", "size", "steps", "scale", "sampler",
            "characters"} <= set(style)
    wildcard = {o["name"]: o for o in commands["wildcard"]["options"]}
    assert {c["value"] for c in wildcard["action"]["choices"]} == {"list", "show", "add", "set", "delete"}
    generate = {o["name"]: o for o in commands["generate"]["options"]}
    assert generate["style"]["type"] == 3 and not generate["style"].get("required")
    for name in ("style", "wildcard"):
        assert "zh-CN" in commands[name]["description_localizations"], name


async def test_a_saved_style_changes_what_novelai_is_asked(discord_world: DiscordWorld) -> None:
    world = discord_world
    await world.deployment.start_worker()
    await world.start_bot()
    saved = await world.ask(ANN, "style", action="save", name="anime", prompt="masterpiece, ..., detailed background",
                            negative="lowres, blurry", size="512x768", steps=8, sampler="euler")
    assert "Saved style “anime” (yours)" in saved.content
    world.generate(ANN, "a cat in a hat", style="anime", scale=4.0)
    result = await nth_result(world)
    asked = result_comment(result_png(world, result))
    assert asked["prompt"].startswith("masterpiece, a cat in a hat, detailed background")
    assert (asked["steps"], asked["width"], asked["height"], asked["sampler"]) == (8, 512, 768, "k_euler")
    assert asked["scale"] == 4 and "lowres, blurry" in asked["uc"]
    shown = result.content + "".join(str(embed) for embed in result.embeds)
    assert "style: anime" in shown


async def test_a_wildcard_is_picked_from_the_seed(discord_world: DiscordWorld) -> None:
    world = discord_world
    await world.deployment.start_worker()
    await world.start_bot()
    saved = await world.ask(ANN, "wildcard", action="add", name="hair", entries=" | ".join(HAIR))
    assert "__hair__ (yours) has 5 entries" in saved.content
    for count, seed in enumerate((21, 22, 21), start=1):
        world.generate(ANN, "1girl, __hair__, beach", seed=seed, **SMALL)
        result = await nth_result(world, count)
        asked = result_comment(result_png(world, result))
        expected = expand("1girl, __hair__, beach", {"hair": HAIR}, seed)
        assert asked["prompt"].startswith(expected) and asked["seed"] == seed
        shown = result.content + "".join(str(embed) for embed in result.embeds)
        assert expected in shown  # the caption shows the expanded prompt


async def test_unknown_names_and_bad_commands_are_refused_privately(discord_world: DiscordWorld) -> None:
    world = discord_world
    await world.start_bot()
    unknown = await world.answer(world.generate(ANN, "1girl, __nope__"))
    assert unknown.ephemeral_for == ANN.id and "I don't know the wildcard __nope__" in unknown.content
    chinese = await world.answer(world.generate(LI, "1girl", style="nope"))
    assert chinese.ephemeral_for == LI.id and "我不认识风格“nope”" in chinese.content
    bad = await world.ask(ANN, "wildcard", action="add", name="Bad Name!", entries="x")
    assert bad.ephemeral_for == ANN.id and "cannot be a name" in bad.content
    seed_kept = await world.ask(ANN, "style", action="save", name="s")
    assert "Tell me what the style keeps" in seed_kept.content
    listed = await world.ask(ANN, "wildcard")
    assert listed.content.startswith("No wildcards yet")
    await queued_nothing(world)


async def test_server_styles_are_saved_by_admins_and_used_by_members(discord_world: DiscordWorld) -> None:
    world = discord_world
    await world.deployment.start_worker()
    await world.start_bot()
    refused = await world.ask(BOB, "style", action="save", name="house", group=True, prompt="watercolor, ...")
    assert refused.ephemeral_for == BOB.id and "Only this group's admins" in refused.content
    saved = await world.ask(OWNER, "style", action="save", name="house", group=True, prompt="watercolor, ...",
                            **SMALL)
    assert "(this group's)" in saved.content
    await world.ask(OWNER, "wildcard", action="add", name="place", group=True, entries="lake | hill")
    world.generate(BOB, "a bridge by the __place__", style="house", seed=5)
    result = await nth_result(world)
    asked = result_comment(result_png(world, result))
    place = expand("__place__", {"place": ["lake", "hill"]}, 5)
    assert asked["prompt"].startswith(f"watercolor, a bridge by the {place}")
    assert (asked["width"], asked["steps"]) == (512, 8)


async def test_style_and_wildcard_names_autocomplete_with_the_persons_first(discord_world: DiscordWorld) -> None:
    world = discord_world
    await world.start_bot()
    for user, name, group in ((ANN, "anime", False), (ANN, "apple", False), (OWNER, "aqua", True),
                              (OWNER, "anime", True), (BOB, "art", False)):
        await world.ask(user, "style", action="save", name=name, group=group, prompt="x, ...")
    await world.ask(ANN, "wildcard", action="add", name="hair", entries="red | blue")

    async def typed(command: str, options: dict[str, object], focused: str) -> list[str]:
        interaction_id = world.discord.autocomplete(GUILD, SFW, ANN, command, options, focused=focused)
        await world.wait(lambda: world.discord.autocomplete_choices(interaction_id) is not None, timeout=10)
        return [choice["value"] for choice in world.discord.autocomplete_choices(interaction_id) or []]

    assert await typed("generate", {"prompt": "a cat", "style": "a"}, "style") == ["anime", "apple", "aqua"]
    assert await typed("generate", {"prompt": "a cat", "style": "anime,aq"}, "style") == ["anime,aqua"]
    assert await typed("style", {"action": "show", "name": "ap"}, "name") == ["apple"]
    assert await typed("wildcard", {"action": "show", "name": ""}, "name") == ["hair"]
