"""The Discord bot end to end: real discord.py against the Discord stand-in, a real worker, the
NovelAI stand-in and Redis."""

from __future__ import annotations

import asyncio

import pytest

from bot.keys import BotKeys
from tasks.job import JobState
from tests.fixtures.deployment import wait_until_finished
from tests.fixtures.discord_e2e import ANN, BOB, CAT, GUILD, LI, NSFW, OWNER, SFW, DiscordWorld, positions

pytestmark = pytest.mark.xdist_group("workers")

SMALL = {"size": "512x512", "steps": 8}


def job_of(message) -> str:  # type: ignore[no-untyped-def]
    return message.content.split("Job ")[1].split()[0].strip(" ·")


async def test_commands_are_registered_with_typed_options_and_chinese_descriptions(discord_world: DiscordWorld
                                                                                   ) -> None:
    await discord_world.start_bot()
    commands = {c["name"]: c for c in discord_world.discord.commands(GUILD)}
    assert set(commands) >= {"generate", "queue", "status", "cancel", "settings", "help"}
    options = {o["name"]: o for o in commands["generate"]["options"]}
    assert options["prompt"]["required"] and options["prompt"]["type"] == 3
    assert options["steps"]["type"] == 4 and options["steps"]["max_value"] == 50
    assert any(choice["value"] == "nai-diffusion-4-5-full" for choice in options["model"]["choices"])
    assert options["size"]["autocomplete"] and options["sampler"]["autocomplete"]
    assert "zh-CN" in commands["generate"]["description_localizations"]


async def test_generate_counts_down_and_ends_with_attachments(discord_world: DiscordWorld) -> None:
    world = discord_world
    # Jobs of ~2.4 s, and room for 20 edits per 5 s in the channel (enforced by the stand-in), so
    # every position change can be shown; the 100-job test below covers Discord's own 5 per 5 s.
    world.deployment.sandbox.step_latency = 0.3
    world.discord.limits.channel_per_5s = 20
    await world.deployment.hold_lane()
    await world.start_bot()
    interactions = [world.generate(user, f"a {user.username} cat", **SMALL, n=2) for user in (ANN, BOB, CAT)]
    responses = [await world.response(i) for i in interactions]
    await world.wait(lambda: all(positions(world.texts_of(r.id)) for r in responses))
    firsts = {r.id: positions(world.texts_of(r.id))[0] for r in responses}
    assert sorted(firsts.values()) == [1, 2, 3]
    await world.deployment.start_worker(threads=1)
    await world.deployment.release_lane()
    await world.wait(lambda: len(world.results()) == 3, timeout=60)
    assert all(len(m.attachments) == 2 and m.embeds for m in world.results())
    # At 5 edits per 5 s in a channel, not every position of every message can be shown; what is
    # shown only ever counts down, and a waiting job sees its place improve.
    seen = [positions(world.texts_of(r.id)) for r in responses]
    assert all(s == sorted(s, reverse=True) for s in seen), seen
    assert any(s[-1] < s[0] for s in seen), f"some message counted down: {seen}"
    attachment = world.results()[0].attachments[0]
    assert world.discord.attachment_bytes(attachment["id"]).startswith(b"\x89PNG")
    assert world.discord.stats.rate_limited == 0


async def test_bad_options_are_answered_only_to_the_asker(discord_world: DiscordWorld) -> None:
    world = discord_world
    await world.start_bot()
    response = await world.response(world.generate(ANN, "a cat", size="1000x1000"))
    assert response.ephemeral_for == ANN.id and "64" in response.content
    services = world.deployment.services()
    try:
        assert await services.queue.lane_depths() == {}
    finally:
        await services.aclose()


async def test_nsfw_prompts_only_in_age_restricted_channels(discord_world: DiscordWorld) -> None:
    world = discord_world
    await world.deployment.hold_lane()
    await world.start_bot()
    refused = await world.response(world.generate(ANN, "1girl, nude, beach", **SMALL))
    assert refused.ephemeral_for == ANN.id and "nude" in refused.content
    allowed = await world.response(world.generate(ANN, "1girl, nude, beach", channel=NSFW, **SMALL))
    assert allowed.ephemeral_for is None


async def test_cancel_button_works_for_the_owner_only_and_after_a_restart(discord_world: DiscordWorld) -> None:
    world = discord_world
    await world.deployment.hold_lane()
    first = await world.start_bot()
    response = await world.response(world.generate(ANN, "a heron", **SMALL))
    await world.wait(lambda: bool(world.current(SFW, response.id).components))
    await world.stop_bot(first)
    await world.start_bot()  # buttons keep working: their custom ids carry the job
    button = world.current(SFW, response.id).components[0]["components"][0]
    assert button["custom_id"].startswith("cancel:")
    job_id = button["custom_id"].split(":", 1)[1]
    refused = await world.response(world.discord.click_button(GUILD, SFW, BOB, response.id, button["custom_id"]))
    assert refused.ephemeral_for == BOB.id
    services = world.deployment.services()
    try:
        assert (await services.queue.get(job_id)).state is JobState.QUEUED
        await world.response(world.discord.click_button(GUILD, SFW, ANN, response.id, button["custom_id"]))
        assert (await services.queue.get(job_id)).state is JobState.CANCELED
    finally:
        await services.aclose()
    await world.wait(lambda: "Canceled" in world.current(SFW, response.id).content)


async def test_server_admin_may_cancel_anyones_job(discord_world: DiscordWorld) -> None:
    world = discord_world
    await world.deployment.hold_lane()
    await world.start_bot()
    response = await world.response(world.generate(ANN, "a fox", **SMALL))
    await world.wait(lambda: "Job " in world.current(SFW, response.id).content)
    job_id = job_of(world.current(SFW, response.id))
    answer = await world.response(world.discord.slash_command(GUILD, SFW, OWNER, "cancel", {"job": job_id}))
    assert "cancel" in answer.content.lower()
    await world.wait(lambda: "Canceled" in world.current(SFW, response.id).content)


async def test_a_job_that_outlives_its_interaction_token_still_lands(discord_world: DiscordWorld) -> None:
    world = discord_world
    await world.deployment.hold_lane()
    await world.start_bot()
    interaction = world.generate(ANN, "a slow snail", **SMALL)
    response = await world.response(interaction)
    await world.wait(lambda: "Job " in world.current(SFW, response.id).content)
    world.discord.expire_token(interaction)
    services = world.deployment.services()
    await services.redis.delete(BotKeys(services.queue.keys.prefix).interaction_token(str(response.id)))
    await services.aclose()
    await world.deployment.start_worker()
    await world.deployment.release_lane()
    await world.wait(lambda: len(world.results()) == 1)
    await world.wait(lambda: "Done" in world.current(SFW, response.id).content)
    channel_edits = world.discord.calls("PATCH", f"/channels/{SFW}/messages/{response.id}")
    assert channel_edits and all(c.status == 200 for c in channel_edits), "edited with the bot token"


async def test_chinese_client_gets_chinese_answers(discord_world: DiscordWorld) -> None:
    world = discord_world
    await world.deployment.hold_lane()
    await world.start_bot()
    response = await world.response(world.generate(LI, "一只猫", **SMALL))
    await world.wait(lambda: "排队" in world.current(SFW, response.id).content)


async def test_hundred_queued_jobs_in_one_channel_never_trip_the_rate_limit(discord_world: DiscordWorld) -> None:
    world = discord_world
    # A hundred slash commands at once on a loaded 2-core CI machine: give each answer up to 10 s
    # (Discord's 3 s is not what this test is about; pacing of the edits and uploads is).
    world.discord.interaction_answer_deadline = 10.0
    await world.deployment.hold_lane()
    await world.start_bot()
    users = [type(ANN)(3000 + i, f"user{i}") for i in range(100)]
    for user in users:
        world.discord.add_member(GUILD, user)
    interactions = [world.generate(user, f"cat number {i}", **SMALL) for i, user in enumerate(users)]
    for interaction in interactions:
        await world.response(interaction, timeout=30)
    services = world.deployment.services()
    try:
        await world.deployment.wait_for_depth(100)
        await world.deployment.start_worker()
        await world.deployment.release_lane()
        await asyncio.sleep(8)
        assert (await services.queue.lane_depths()).get("default", 0) < 100, "the queue moved"
    finally:
        await services.aclose()
    assert world.discord.stats.rate_limited == 0


async def test_telegram_and_discord_bots_share_one_queue(discord_world: DiscordWorld, telegram_world) -> None:
    from tests.fixtures.telegram_e2e import ANN as TG_ANN

    world = discord_world
    telegram_world.deployment = world.deployment
    await world.deployment.start_worker()
    await world.start_bot()
    await telegram_world.start_bot()
    response = await world.response(world.generate(ANN, "a discord dog", **SMALL))
    telegram_world.say(TG_ANN, "/generate a telegram dog --size 512x512 --steps 8")
    await world.wait(lambda: len(world.results()) == 1, timeout=30)
    await telegram_world.wait(lambda: any(m.photo for m in telegram_world.telegram.bot_messages(TG_ANN.id)))
    services = world.deployment.services()
    try:
        # The status message is answered once the job is queued and edited from there; a job this
        # small may be done (and delivered) a moment before its status message says so.
        await world.wait(lambda: "Job " in world.current(SFW, response.id).content)
        job_id = job_of(world.current(SFW, response.id))
        assert (await wait_until_finished(services, [job_id]))[job_id].requester.platform == "discord"
    finally:
        await services.aclose()


async def test_sampler_autocomplete_offers_only_the_chosen_models_samplers(discord_world: DiscordWorld) -> None:
    """V4 and later offer six samplers on the website; V3 more. Autocomplete follows the model
    picked so far, so it never suggests a sampler the request would then refuse."""
    world = discord_world
    await world.start_bot()

    async def choices(**options: object) -> set[str]:
        interaction_id = world.discord.autocomplete(GUILD, SFW, ANN, "generate", {"prompt": "a cat", **options},
                                                    focused="sampler")
        await world.wait(lambda: world.discord.autocomplete_choices(interaction_id) is not None)
        return {choice["value"] for choice in world.discord.autocomplete_choices(interaction_id) or []}

    v5 = await choices(model="nai-diffusion-5-full", sampler="k_")
    assert "k_euler_ancestral" in v5 and not v5 & {"k_dpm_2", "k_dpm_2_ancestral", "k_lms", "k_heun"}, v5
    assert await choices(sampler="k_") == v5, "the default model (V4.5) offers the same six"
    assert {"k_lms", "k_heun"} <= await choices(model="nai-diffusion-3", sampler="k_")


async def test_the_transparent_option_reaches_the_request(discord_world: DiscordWorld) -> None:
    world = discord_world
    await world.deployment.hold_lane()
    await world.start_bot()
    response = await world.response(world.generate(ANN, "a glass apple", model="nai-diffusion-5-full",
                                                   transparent=True, **SMALL))
    await world.wait(lambda: bool(world.current(SFW, response.id).components))
    job_id = world.current(SFW, response.id).components[0]["components"][0]["custom_id"].split(":", 1)[1]
    services = world.deployment.services()
    try:
        assert (await services.queue.get(job_id)).request.transparent is True
    finally:
        await services.aclose()
