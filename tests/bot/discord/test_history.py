"""`/history` and `/show` on Discord, end to end: the real discord.py bot against the Discord stand-in
(which now answers string select menus: component type 3 with ``values``), a real worker and the
NovelAI stand-in. The gallery is ephemeral: thumbnails as embeds with attachments, a select menu and
◀ ▶; turning a page edits it; picking posts the result in the channel with its buttons."""

from __future__ import annotations

import re

import pytest

from sandbox.discord import StoredMessage
from tasks.job import JobState
from tests.fixtures.discord_e2e import ANN, BOB, GUILD, LI, NSFW, SFW, DiscordWorld

pytestmark = pytest.mark.xdist_group("workers")

SMALL = {"size": "512x512", "steps": 8}
STRING_SELECT, BUTTON = 3, 2
JOB_LINE = re.compile(r"^\s+([a-z0-9]{10}) · expires in (\d+) h", re.M)


def components(message: StoredMessage) -> list[dict]:
    return [item for row in message.components for item in row.get("components", [])]


def select_of(message: StoredMessage) -> dict:
    (menu,) = [item for item in components(message) if item["type"] == STRING_SELECT]
    return menu


def buttons_of(message: StoredMessage) -> dict[str, str]:
    return {item["label"]: item["custom_id"] for item in components(message) if item["type"] == BUTTON}


async def make_results(world: DiscordWorld, user, count: int, channel: int = SFW) -> None:
    before = len(world.results(channel))
    for number in range(count):  # one after the other: the history's order is the order they were asked in
        await world.response(world.generate(user, f"picture number {number}", channel, **SMALL))
    await world.wait(lambda: len(world.results(channel)) >= before + count, timeout=90)


async def test_the_gallery_pages_in_place_survives_a_restart_and_a_pick_posts_the_result_with_its_buttons(
        discord_world: DiscordWorld) -> None:
    world = discord_world
    await world.deployment.start_worker()
    first_bot = await world.start_bot(NAIBOT_QUEUE__RETENTION_SECONDS=str(3 * 3600))
    await make_results(world, ANN, 7)

    gallery = await world.ask(ANN, "history")
    assert gallery.ephemeral_for == ANN.id, "only the asker sees their gallery"
    assert "page 1 of 2" in gallery.content
    listed = [job_id for job_id, hours in JOB_LINE.findall(gallery.content) if int(hours) in (2, 3)]
    assert len(listed) == 6, gallery.content
    assert len(gallery.attachments) == 6 and len(gallery.embeds) == 6
    assert all(embed["image"]["url"].startswith("attachment://") for embed in gallery.embeds)
    menu = select_of(gallery)
    assert [option["value"] for option in menu["options"]] == listed
    assert menu["custom_id"] == f"naibot-pick:{ANN.id}"
    assert buttons_of(gallery) == {"▶": f"naibot-hist:{ANN.id}:1"}

    # The custom ids carry everything: a restarted bot still turns the page, by editing the gallery.
    await world.stop_bot(first_bot)
    await world.start_bot(NAIBOT_QUEUE__RETENTION_SECONDS=str(3 * 3600))
    world.discord.click_button(GUILD, SFW, ANN, gallery.id, f"naibot-hist:{ANN.id}:1")
    await world.wait(lambda: "page 2 of 2" in world.current(SFW, gallery.id).content)
    page_two = world.current(SFW, gallery.id)
    (oldest,) = [job_id for job_id, _ in JOB_LINE.findall(page_two.content)]
    assert len(page_two.attachments) == 1 and len(page_two.embeds) == 1
    assert buttons_of(page_two) == {"◀": f"naibot-hist:{ANN.id}:0"}

    # Picking the oldest posts it in the channel with the result's buttons; the picker hears how to use it.
    results_before = len(world.results())
    notice = await world.answer(world.discord.choose_options(GUILD, SFW, ANN, gallery.id, f"naibot-pick:{ANN.id}",
                                                             [oldest]))
    assert notice.ephemeral_for == ANN.id and "Use as img2img" in notice.content
    await world.wait(lambda: len(world.results()) > results_before)
    shown = world.results()[-1]
    assert shown.ephemeral_for is None and "picture number 0" in shown.embeds[0]["description"]
    assert world.discord.attachment_bytes(shown.attachments[0]["id"]).startswith(b"\x89PNG"), "the original"
    ids = [item["custom_id"] for item in components(shown)]
    for action in ("again", "png", "edit", "var", "enh", "up"):
        assert any(custom_id.startswith(f"{action}:{oldest}") for custom_id in ids), (action, ids)

    # Its buttons run jobs like any result's: Again makes a new one of the same prompt.
    await world.answer(world.discord.click_button(GUILD, SFW, ANN, shown.id, f"again:{oldest}"))
    await world.wait(lambda: len(world.results()) > results_before + 1, timeout=60)
    assert "picture number 0" in world.results()[-1].embeds[0]["description"]
    services = world.deployment.services()
    try:
        again_job = await services.queue.get(world.results()[-1].attachments[0]["filename"].split("-")[0])
        assert again_job is not None and again_job.state is JobState.DONE and again_job.requester.user_id == str(ANN.id)
    finally:
        await services.aclose()


async def test_show_posts_a_result_of_this_channel_for_anyone_and_refuses_one_from_elsewhere(
        discord_world: DiscordWorld) -> None:
    world = discord_world
    await world.deployment.start_worker()
    await world.start_bot()
    await make_results(world, ANN, 1)
    gallery = await world.ask(ANN, "history")
    (anns_job,) = [option["value"] for option in select_of(gallery)["options"]]

    empty = await world.ask(BOB, "history")
    assert empty.ephemeral_for == BOB.id and "No results of yours" in empty.content

    before = len(world.results())
    notice = await world.ask(BOB, "show", job=anns_job)
    assert notice.ephemeral_for == BOB.id and "Posted in the channel" in notice.content
    await world.wait(lambda: len(world.results()) > before)

    elsewhere = await world.ask(BOB, "show", NSFW, job=anns_job)
    assert elsewhere.ephemeral_for == BOB.id and "another chat" in elsewhere.content
    assert not world.results(NSFW)

    chinese = await world.ask(LI, "history")
    assert "还没有结果" in chinese.content
