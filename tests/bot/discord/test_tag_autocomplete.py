"""Tag autocomplete in ``/generate`` end to end: real discord.py against the Discord stand-in (which drops
an autocomplete answered after 3 s, as Discord does), the NovelAI stand-in and Redis."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fixtures.discord_e2e import ANN, BOB, GUILD, SFW, DiscordWorld

pytestmark = pytest.mark.xdist_group("workers")


async def typed(world: DiscordWorld, user: Any, options: dict[str, object], focused: str) -> list[dict[str, Any]]:
    """What Discord shows under the option while ``user`` types ``options[focused]``; fails if the bot's
    answer never arrives (the stand-in refuses one sent after 3 s, so it stays missing)."""
    interaction_id = world.discord.autocomplete(GUILD, SFW, user, "generate", options, focused=focused)
    await world.wait(lambda: world.discord.autocomplete_choices(interaction_id) is not None, timeout=10)
    return world.discord.autocomplete_choices(interaction_id) or []


async def test_the_prompt_and_negative_options_complete_the_tag_being_typed(discord_world: DiscordWorld) -> None:
    world = discord_world
    await world.start_bot()
    prompt = await typed(world, ANN, {"prompt": "masterpiece, 1.2::blue e"}, "prompt")
    assert prompt == [{"name": "blue eyes (10k)", "value": "masterpiece, 1.2::blue eyes::"}]
    negative = await typed(world, ANN, {"prompt": "a cat", "negative": "lowres, {{monoch"}, "negative")
    assert [c["value"] for c in negative] == ["lowres, {{monochrome}}"]
    hair = await typed(world, ANN, {"prompt": "1girl, hair"}, "prompt")
    assert 1 < len(hair) <= 25 and all(c["value"].startswith("1girl, ") and len(c["value"]) <= 100 for c in hair)
    furry = await typed(world, ANN, {"prompt": "fu", "model": "nai-diffusion-furry-3"}, "prompt")
    assert furry[0]["value"] == "fur", "the model picked so far decides the vocabulary"


async def test_with_novelai_slow_an_answer_still_comes_from_the_cache_or_empty(discord_world: DiscordWorld) -> None:
    world = discord_world
    await world.start_bot()
    warm = await typed(world, ANN, {"prompt": "long"}, "prompt")  # caches "long" (and logs in) while NovelAI is quick
    assert "long hair" in [c["value"] for c in warm]
    world.deployment.sandbox.faults.slow_seconds = 6
    cached = await typed(world, BOB, {"prompt": "long"}, "prompt")
    assert cached == warm, "another person's identical prefix is a cache hit"
    narrowed = await typed(world, ANN, {"prompt": "long h"}, "prompt")
    assert [c["value"] for c in narrowed] == ["long hair"], "the shorter prefix's answer, filtered"
    assert await typed(world, ANN, {"prompt": "scen"}, "prompt") == [], "nothing cached: an empty answer, in time"


async def test_a_prompt_past_discords_100_characters_gets_no_choices(discord_world: DiscordWorld) -> None:
    world = discord_world
    await world.start_bot()
    long_prompt = "masterpiece, best quality, " * 4 + "blue e"
    assert await typed(world, ANN, {"prompt": long_prompt}, "prompt") == []
