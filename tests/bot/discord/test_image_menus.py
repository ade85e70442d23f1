"""Message context menus (Apps → …) on pictures, end to end: the real discord.py against the Discord
stand-in (message commands of type 3 with the target in ``resolved.messages``, attachments on users'
messages served and counted by its CDN), a real worker and the NovelAI stand-in."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from bot.discord.image_slash import MESSAGE_MENUS
from novelai.images import enhance_size
from sandbox.novelai.image_inputs import marker_colour, result_colour
from tests.bot.discord.picture_helpers import img2img_sha, inputs_seen, nth_result, png, result_png, said, text_inputs
from tests.fixtures.discord_e2e import ANN, BOB, GUILD, SFW, DiscordWorld

pytestmark = pytest.mark.xdist_group("workers")

SMALL = {"size": "512x512", "steps": 8}


async def test_the_five_message_menus_are_registered(discord_world: DiscordWorld) -> None:
    await discord_world.start_bot()
    menus = [c for c in discord_world.discord.commands(GUILD) if c.get("type") == 3]
    assert [c["name"] for c in menus] == ["Use as img2img", "Enhance", "Upscale", "Use as reference", "Get prompt"]
    assert len(MESSAGE_MENUS) == 5
    assert all("zh-CN" in (c.get("name_localizations") or {}) for c in menus)


async def test_enhance_on_a_result_of_the_bot_uses_the_stored_original_without_downloading(
        discord_world: DiscordWorld) -> None:
    world = discord_world
    await world.deployment.start_worker()
    await world.start_bot()
    world.generate(ANN, "a lighthouse", seed=5, **SMALL)
    result = await nth_result(world)
    world.discord.message_command(GUILD, SFW, BOB, "Enhance", result.id)
    enhanced = await nth_result(world, 2)
    assert not world.discord.stats.downloads, "a result of ours is read from storage, never downloaded"
    record = (await inputs_seen(world.deployment))[-1]
    assert record["action"] == "img2img"
    with Image.open(io.BytesIO(result_png(world, enhanced))) as opened:
        assert opened.size == enhance_size(512, 512, 1.5)
    assert "lighthouse" in enhanced.embeds[0]["description"]


async def test_use_as_img2img_on_someones_picture_opens_a_prefilled_form_then_redraws_it(
        discord_world: DiscordWorld) -> None:
    world = discord_world
    await world.deployment.start_worker()
    await world.start_bot()
    upload = png(512, 512, (180, 120, 20))
    posted = world.discord.post_message(SFW, BOB, "my orange cat", files=[("cat.png", upload)])
    interaction = world.discord.message_command(GUILD, SFW, ANN, "Use as img2img", posted)
    modal = await world.modal(interaction)
    inputs = text_inputs(modal)
    assert inputs["prompt"]["value"] == "my orange cat" and inputs["strength"]["value"] == "0.7"
    assert not world.discord.stats.downloads, "nothing is downloaded to open the form"
    await world.submit(ANN, modal, prompt="an orange cat, oil painting", strength="0.7")
    result = await nth_result(world)
    sha = img2img_sha(upload)
    record = (await inputs_seen(world.deployment))[-1]
    assert record["action"] == "img2img" and [i["sha256"] for i in record["inputs"]] == [sha]
    assert result_colour(result_png(world, result)) == marker_colour(sha)
    assert sum(world.discord.stats.downloads.values()) == 1


async def test_an_img2img_form_opened_before_a_restart_still_redraws_the_picture(discord_world: DiscordWorld
                                                                                 ) -> None:
    world = discord_world
    await world.deployment.start_worker()
    bot = await world.start_bot()
    upload = png(512, 512, (20, 120, 180))
    posted = world.discord.post_message(SFW, BOB, "a blue bird", files=[("bird.png", upload)])
    modal = await world.modal(world.discord.message_command(GUILD, SFW, ANN, "Use as img2img", posted))
    await world.stop_bot(bot)
    await world.start_bot()
    await world.submit(ANN, modal, prompt="a blue bird, watercolour", strength="0.5")
    result = await nth_result(world)
    sha = img2img_sha(upload)
    record = (await inputs_seen(world.deployment))[-1]
    assert record["action"] == "img2img" and [i["sha256"] for i in record["inputs"]] == [sha]
    assert result_colour(result_png(world, result)) == marker_colour(sha)


async def test_get_prompt_shows_the_settings_of_a_result(discord_world: DiscordWorld) -> None:
    world = discord_world
    await world.deployment.start_worker()
    await world.start_bot()
    world.generate(ANN, "a blue owl", seed=77, **SMALL)
    result = await nth_result(world)
    interaction = world.discord.message_command(GUILD, SFW, ANN, "Get prompt", result.id)
    answer = await said(world, interaction, "a blue owl")
    assert "77" in answer.content and answer.components, "with 'Generate with these settings'"


async def test_a_menu_on_a_message_without_a_picture_says_what_to_use_it_on(discord_world: DiscordWorld) -> None:
    world = discord_world
    await world.start_bot()
    posted = world.discord.post_message(SFW, BOB, "just words")
    for name in ("Use as reference", "Upscale"):
        interaction = world.discord.message_command(GUILD, SFW, ANN, name, posted)
        answer = await said(world, interaction, "That message has no picture")
        assert answer.ephemeral_for == ANN.id


async def test_use_as_reference_runs_a_precise_reference_of_that_picture(discord_world: DiscordWorld) -> None:
    world = discord_world
    await world.deployment.start_worker()
    await world.start_bot()
    posted = world.discord.post_message(SFW, BOB, "", files=[("hero.png", png(512, 768, (60, 60, 200)))])
    modal = await world.modal(world.discord.message_command(GUILD, SFW, ANN, "Use as reference", posted))
    assert text_inputs(modal)["kind"]["value"] == "both"
    # The form's prompt is read like a typed command: options in it work.
    await world.submit(ANN, modal, prompt="the hero at the beach size:512x512 steps:8", kind="style")
    await nth_result(world)
    record = (await inputs_seen(world.deployment))[-1]
    assert any("reference" in i["field"] for i in record["inputs"]), record
