"""Pictures in Discord, end to end: the real discord.py against the Discord stand-in (attachments
served from its CDN, resolved attachments on interactions), a real worker and the NovelAI stand-in,
which tells which input each result was made from (a result's frame colour is ``marker_colour`` of
its input's SHA-256)."""

from __future__ import annotations

import json

import pytest

from bot.chat.ports import ACTION_EDIT, ACTION_VARIATIONS
from sandbox.novelai.image_inputs import marker_colour, result_colour
from tests.bot.discord.picture_helpers import (
    answers,
    custom_id,
    img2img_sha,
    inputs_seen,
    noisy_png,
    nth_result,
    png,
    queued_nothing,
    result_comment,
    result_png,
    said,
    text_inputs,
)
from tests.fixtures.discord_e2e import ANN, CAT, GUILD, SFW, DiscordWorld

pytestmark = pytest.mark.xdist_group("workers")

SMALL = {"size": "512x512", "steps": 8}


async def test_an_attached_image_runs_img2img_and_the_result_lands_in_the_channel(discord_world: DiscordWorld
                                                                                 ) -> None:
    world = discord_world
    await world.deployment.start_worker()
    await world.start_bot()
    upload = png(600, 900, (200, 40, 40))
    interaction = world.generate(ANN, "a cat in a hat", image=("cat.png", upload), steps=8)
    result = await nth_result(world)
    (record,) = await inputs_seen(world.deployment)
    assert record["action"] == "img2img"
    sha = img2img_sha(upload)
    assert [i["sha256"] for i in record["inputs"]] == [sha]
    assert result_colour(result_png(world, result)) == marker_colour(sha)
    first = world.discord.interaction_response(interaction)
    assert first is not None and first.ephemeral_for == ANN.id, "the note while the picture is read"
    for action in (ACTION_VARIATIONS, ACTION_EDIT):
        custom_id(result, action)



async def test_the_variations_button_of_a_result_makes_variations_of_that_image(discord_world: DiscordWorld
                                                                              ) -> None:
    world = discord_world
    await world.deployment.start_worker()
    await world.start_bot()
    world.generate(ANN, "a red boat", **SMALL)
    result = await nth_result(world)
    variations = custom_id(result, ACTION_VARIATIONS, 0)
    await world.response(world.discord.click_button(GUILD, SFW, ANN, result.id, variations))
    variation = await nth_result(world, 2)
    record = (await inputs_seen(world.deployment))[-1]
    assert record["action"] == "img2img"
    assert "red boat" in variation.embeds[0]["description"]


async def test_edit_opens_a_prefilled_form_and_runs_the_edited_settings_as_a_new_job(discord_world: DiscordWorld
                                                                                    ) -> None:
    world = discord_world
    await world.deployment.start_worker()
    await world.start_bot()
    world.generate(ANN, "a green kite", seed=42, **SMALL)
    result = await nth_result(world)
    click = world.discord.click_button(GUILD, SFW, ANN, result.id, custom_id(result, ACTION_EDIT))
    modal = await world.modal(click)
    inputs = text_inputs(modal)
    assert inputs["prompt"]["value"] == "a green kite" and inputs["seed"]["value"] == "42"
    assert inputs["steps"]["value"] == "8" and inputs["size"]["value"] == "512x512"
    await world.submit(ANN, modal, prompt="a blue kite", negative="", seed="43", steps="8", size="512x512")
    edited = await nth_result(world, 2)
    assert "a blue kite" in edited.embeds[0]["description"] and "43" in edited.embeds[0]["description"]


async def test_edit_of_an_img2img_result_runs_again_on_the_same_picture_with_the_edited_prompt(
        discord_world: DiscordWorld) -> None:
    world = discord_world
    await world.deployment.start_worker()
    await world.start_bot()
    upload = png(512, 512, (30, 160, 60))
    world.generate(ANN, "a cat in a hat", image=("cat.png", upload), strength=0.4, steps=8)
    result = await nth_result(world)
    modal = await world.modal(world.discord.click_button(GUILD, SFW, ANN, result.id, custom_id(result, ACTION_EDIT)))
    inputs = text_inputs(modal)
    assert inputs["prompt"]["value"] == "a cat in a hat"
    assert "size" not in inputs, "the picture fixes the size"
    await world.submit(ANN, modal, prompt="a dog in a hat", negative="", seed="7", steps="8")
    edited = await nth_result(world, 2)
    first, again = (await inputs_seen(world.deployment))[-2:]
    assert again["action"] == "img2img"
    assert [i["sha256"] for i in again["inputs"]] == [i["sha256"] for i in first["inputs"]] == [img2img_sha(upload)]
    comment = result_comment(result_png(world, edited))
    assert comment["prompt"].startswith("a dog in a hat") and comment["strength"] == 0.4


async def test_result_buttons_work_after_a_restart(discord_world: DiscordWorld) -> None:
    world = discord_world
    await world.deployment.start_worker()
    bot = await world.start_bot()
    world.generate(ANN, "a windmill", **SMALL)
    result = await nth_result(world)
    await world.stop_bot(bot)
    await world.start_bot()
    variations = custom_id(result, ACTION_VARIATIONS, 0)
    await world.response(world.discord.click_button(GUILD, SFW, ANN, result.id, variations))
    await nth_result(world, 2)
    click = world.discord.click_button(GUILD, SFW, ANN, result.id, custom_id(result, ACTION_EDIT))
    assert text_inputs(await world.modal(click))["prompt"]["value"] == "a windmill"


async def test_an_edit_form_opened_before_a_restart_runs_after_it(discord_world: DiscordWorld) -> None:
    world = discord_world
    await world.deployment.start_worker()
    bot = await world.start_bot()
    world.generate(ANN, "a windmill", **SMALL)
    result = await nth_result(world)
    modal = await world.modal(world.discord.click_button(GUILD, SFW, ANN, result.id, custom_id(result, ACTION_EDIT)))
    await world.stop_bot(bot)
    await world.start_bot()
    await world.submit(ANN, modal, prompt="a windmill at night", negative="", seed="9", steps="8", size="512x512")
    edited = await nth_result(world, 2)
    assert "a windmill at night" in edited.embeds[0]["description"]


async def test_an_oversized_attachment_is_refused_unread(discord_world: DiscordWorld) -> None:
    world = discord_world
    await world.start_bot(NAIBOT_IMAGES__MAX_INPUT_BYTES="65536")
    big = noisy_png(200, 200)
    assert len(big) > 65536
    interaction = world.generate(ANN, "a cat", image=("big.png", big), **SMALL)
    answer = await said(world, interaction, "larger than the 0.0625 MB")
    assert answer.ephemeral_for == ANN.id
    assert not world.discord.calls("GET", "/attachments/"), "refused on the declared size, before downloading"
    await queued_nothing(world)


async def test_vibes_with_a_reference_are_refused_before_anything_is_read(discord_world: DiscordWorld) -> None:
    world = discord_world
    await world.start_bot()
    interaction = world.generate(ANN, "a cat", vibe1=("v.png", png(64, 64, (1, 2, 3))),
                                 reference=("r.png", png(64, 64, (3, 2, 1))), **SMALL)
    answer = await said(world, interaction, "cannot be used together")
    assert answer.ephemeral_for == ANN.id
    await queued_nothing(world)


async def test_a_banned_person_is_refused_before_their_attachment_is_read(discord_world: DiscordWorld) -> None:
    world = discord_world
    await world.start_bot(NAIBOT_BOT__ADMINS=json.dumps([f"discord:{CAT.id}"]))
    await world.ask(CAT, "admin", action="ban", user=ANN.id)
    answer = await world.ask(ANN, "generate", prompt="a cat", image=("cat.png", png(64, 64, (5, 5, 5))), **SMALL)
    assert answer.ephemeral_for == ANN.id and "banned" in answer.content
    assert not world.discord.calls("GET", "/attachments/")
    await queued_nothing(world)



async def test_tool_runs_the_chosen_director_tool_on_the_attachment(discord_world: DiscordWorld) -> None:
    world = discord_world
    await world.deployment.start_worker()
    await world.start_bot()
    upload = png(512, 768, (30, 160, 60))
    world.command(ANN, "tool", image=("portrait.png", upload), type="lineart")
    result = await nth_result(world)
    record = (await inputs_seen(world.deployment))[-1]
    assert record["action"] == "lineart"
    assert result_colour(result_png(world, result)) == marker_colour(record["inputs"][0]["sha256"], "lineart")


async def test_image_and_mask_attachments_inpaint(discord_world: DiscordWorld) -> None:
    world = discord_world
    await world.deployment.start_worker()
    await world.start_bot()
    image, mask = png(512, 512, (90, 20, 20)), png(512, 512, (255, 255, 255))
    world.generate(ANN, "a hat", image=("room.png", image), mask=("mask.png", mask), steps=8)
    await nth_result(world)
    record = (await inputs_seen(world.deployment))[-1]
    assert record["action"] == "infill"
    assert [i["field"] for i in record["inputs"]][:2] == ["parameters.image", "parameters.mask"]


async def test_the_strength_option_reaches_novelai(discord_world: DiscordWorld) -> None:
    world = discord_world
    await world.deployment.start_worker()
    await world.start_bot()
    interaction = world.generate(ANN, "a cat", image=("cat.png", png(512, 512, (200, 40, 40))), strength=0.4,
                                 noise=0.1, steps=8)
    await world.wait(lambda: bool(world.results()) or any("strength" in m.content for m in answers(world, interaction)),
                     timeout=60)
    assert world.results(), [m.content for m in answers(world, interaction)]
    comment = result_comment(result_png(world, world.results()[0]))
    assert (comment["strength"], comment["noise"]) == (0.4, 0.1)


async def test_the_nsfw_rule_applies_to_a_prompt_with_a_picture(discord_world: DiscordWorld) -> None:
    world = discord_world
    await world.start_bot()
    interaction = world.generate(ANN, "1girl, nude, beach", image=("beach.png", png(64, 64, (9, 9, 9))), **SMALL)
    answer = await said(world, interaction, "nude")
    assert answer.ephemeral_for == ANN.id
    await queued_nothing(world)


async def test_each_image_of_a_two_image_result_has_its_own_buttons(discord_world: DiscordWorld) -> None:
    world = discord_world
    await world.deployment.start_worker()
    await world.start_bot()
    world.generate(ANN, "two foxes", n=2, **SMALL)
    result = await nth_result(world)
    second = custom_id(result, ACTION_VARIATIONS, 1)
    await world.response(world.discord.click_button(GUILD, SFW, ANN, result.id, second))
    variation = await nth_result(world, 2)
    record = (await inputs_seen(world.deployment))[-1]
    assert record["action"] == "img2img" and "two foxes" in variation.embeds[0]["description"]
