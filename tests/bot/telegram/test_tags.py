"""Tag suggestions on Telegram end to end: ``/tags PARTIAL`` and inline mode (``@bot 1girl, blue e``), with
the real python-telegram-bot against the Bot API stand-in, the NovelAI stand-in and Redis."""

from __future__ import annotations

import pytest

from sandbox.telegram import SandboxUser
from tests.fixtures.telegram_e2e import ANN, GROUP, LI, TelegramWorld

pytestmark = pytest.mark.xdist_group("workers")


async def tags_reply(world: TelegramWorld, user: SandboxUser, text: str) -> str:
    sent = world.say(user, text)
    await world.wait(lambda: bool(world.replies_to(user.id, sent["message_id"])), timeout=10)
    return world.replies_to(user.id, sent["message_id"])[0].text or ""


async def inline_results(world: TelegramWorld, user: SandboxUser, query: str, chat_type: str = "sender"
                         ) -> tuple[str, list[dict[str, object]]]:
    """The user types ``@bot <query>``; the bot's answer (it must come: Telegram shows nothing otherwise)."""
    query_id = world.telegram.user_inline_query(user, query, chat_type=chat_type)
    await world.wait(lambda: world.telegram.inline_answer(query_id).answer is not None, timeout=10)
    return query_id, world.telegram.inline_answer(query_id).results


async def test_tags_lists_the_tags_starting_with_what_was_typed(telegram_world: TelegramWorld) -> None:
    world = telegram_world
    await world.start_bot()
    reply = await tags_reply(world, ANN, "/tags long_h")
    assert reply.splitlines() == ["Tags for “long_h”:", "• long hair (10k)"]
    hair = (await tags_reply(world, ANN, "/tags hair")).splitlines()
    assert hair[1] == "• hair ornament (10k)" and 5 < len(hair) <= 11
    assert "/tags 1gi" in await tags_reply(world, ANN, "/tags")
    assert (await tags_reply(world, LI, "/tags 1gi")).splitlines() == ["“1gi”开头的标签：", "• 1girl (10k)"]


async def test_inline_mode_offers_completions_and_a_pick_generates(telegram_world: TelegramWorld) -> None:
    world = telegram_world
    world.telegram.set_inline_mode(True)
    await world.deployment.hold_lane()  # the job waits: its status message is what we look for
    await world.start_bot()
    query_id, results = await inline_results(world, ANN, "masterpiece, 1.2::blue e")
    assert results == [{"type": "article", "id": "0", "title": "blue eyes (10k)",
                        "description": "masterpiece, 1.2::blue eyes::",
                        "input_message_content": {"message_text": "/generate masterpiece, 1.2::blue eyes::"}}]
    sent = world.telegram.choose_inline_result(query_id, "0", ANN.id)
    assert sent["via_bot"]["username"] == "naibot_test_bot"
    status = await world.status_message(ANN.id, sent)
    await world.wait(lambda: "Job " in (world.current(ANN.id, status.message_id).text or ""))
    job_id = (world.current(ANN.id, status.message_id).text or "").split("Job ")[1].split()[0].strip(" ·")
    services = world.deployment.services()
    try:
        job = await services.queue.get(job_id)
        assert job is not None and job.request.prompt == "masterpiece, 1.2::blue eyes::"
    finally:
        await services.aclose()


async def test_inline_mode_in_a_group_addresses_this_bot(telegram_world: TelegramWorld) -> None:
    world = telegram_world
    world.telegram.set_inline_mode(True)
    await world.deployment.hold_lane()
    await world.start_bot()
    query_id, results = await inline_results(world, ANN, "1gi", chat_type="supergroup")
    assert results[0]["input_message_content"] == {"message_text": "/generate@naibot_test_bot 1girl"}
    sent = world.telegram.choose_inline_result(query_id, "0", GROUP, chat_type="supergroup", chat_title="Artists")
    await world.status_message(GROUP, sent)


async def test_with_novelai_slow_inline_and_tags_still_answer(telegram_world: TelegramWorld) -> None:
    world = telegram_world
    world.telegram.set_inline_mode(True)
    await world.start_bot()
    assert (await inline_results(world, ANN, "smi"))[1], "warm: the login and 'smi' while NovelAI is quick"
    world.deployment.sandbox.faults.slow_seconds = 6
    _, narrowed = await inline_results(world, ANN, "a cat, smil")
    assert [r["title"] for r in narrowed] == ["smile (10k)"], "the cached shorter prefix, filtered"
    assert (await inline_results(world, ANN, "scen"))[1] == [], "nothing cached: an empty answer"
    assert "No tags found for “sce”" in await tags_reply(world, ANN, "/tags sce")
