"""`/settings` and `/help`, through the router, on the real Redis: what is answered, in which
language, and what is saved."""

from __future__ import annotations

from tests.fixtures.chat import ChatWorld, answers

USER = "telegram:1"


async def test_settings_without_saved_defaults_says_so(chat: ChatWorld) -> None:
    ctx = chat.context()
    await chat.command(ctx, "/settings")
    assert answers(ctx).only.text == ("You have no saved defaults; each model's own defaults apply.\n"
                                      "Change one with /settings set steps 28, remove all with /settings reset.")


async def test_settings_set_saves_the_value_shows_it_and_the_next_generate_uses_it(chat: ChatWorld) -> None:
    ctx = chat.context()
    await chat.command(ctx, "/settings set steps 20")
    assert answers(ctx).last.text == "Saved: steps = 20. It applies from your next /generate."
    await chat.command(ctx, "/settings set size portrait")
    assert await chat.saved_settings(USER) == {"steps": 20, "size": [832, 1216]}

    await chat.command(ctx, "/settings")
    shown = answers(ctx).last.text
    assert shown.startswith("⚙️ Your defaults (used when /generate does not say otherwise):\n")
    assert "• steps: 20" in shown and "• size: 832×1216" in shown

    job = await chat.generated(ctx, "a fox")
    assert (job.request.steps, job.request.width, job.request.height) == (20, 832, 1216)
    explicit = await chat.generated(ctx, "a fox", "--steps 12")
    assert explicit.request.steps == 12, "what /generate says wins over the default"


async def test_settings_reset_removes_one_default_or_all(chat: ChatWorld) -> None:
    ctx = chat.context()
    await chat.command(ctx, "/settings set steps 20")
    await chat.command(ctx, "/settings set scale 6")
    await chat.command(ctx, "/settings reset steps")
    assert answers(ctx).last.text == "Your default for steps is removed."
    assert await chat.saved_settings(USER) == {"scale": 6.0}
    await chat.command(ctx, "/settings reset")
    assert answers(ctx).last.text == "All your defaults are removed."
    assert await chat.saved_settings(USER) == {}


async def test_a_bad_setting_value_is_refused_and_nothing_is_saved(chat: ChatWorld) -> None:
    ctx = chat.context()
    await chat.command(ctx, "/settings set steps many")
    assert "“many” is not a number I can use for steps" in answers(ctx).last.text
    await chat.command(ctx, "/settings set stpes 20")
    assert answers(ctx).last.text == "There is no setting called stpes. Did you mean steps?"
    await chat.command(ctx, "/settings frobnicate")
    assert answers(ctx).last.text.startswith("I didn't understand “/settings frobnicate”.")
    assert await chat.saved_settings(USER) == {}


async def test_changing_the_language_answers_in_the_new_language_from_then_on(chat: ChatWorld) -> None:
    ctx = chat.context()
    await chat.command(ctx, "/settings language zh")
    saved = answers(ctx).last.text
    assert saved.startswith("已保存：") and "简体中文" in saved, "the confirmation is already in Chinese"
    assert await chat.saved_settings(USER) == {"language": "zh"}
    await chat.command(ctx, "/help")
    assert answers(ctx).last.text.startswith("🎨 NovelAI 画图机器人")
    # Refusals too.
    assert await chat.command(ctx, "/generate a fox --priority 9") is None
    assert answers(ctx).last.text == "优先级 9 超出了你在这里的上限：最多 5。"

    await chat.command(ctx, "/settings language en")
    assert answers(ctx).last.text == "Saved: language = English. It applies from now on."
    await chat.command(ctx, "/help")
    assert answers(ctx).last.text.startswith("🎨 NovelAI image bot")


async def test_the_platforms_language_is_used_until_one_is_saved(chat: ChatWorld) -> None:
    ctx = chat.context(language="zh-hans")
    await chat.command(ctx, "/help")
    assert answers(ctx).last.text.startswith("🎨 NovelAI 画图机器人")
    await chat.command(ctx, "/settings language en")
    await chat.command(ctx, "/help")
    assert answers(ctx).last.text.startswith("🎨 NovelAI image bot")


async def test_a_bad_language_is_refused(chat: ChatWorld) -> None:
    ctx = chat.context()
    await chat.command(ctx, "/settings language klingon")
    assert answers(ctx).only.text == "I don't speak “klingon”. Choose one of: en, zh."
    assert await chat.saved_settings(USER) == {}


async def test_help_in_a_group_tells_how_to_address_the_bot(chat: ChatWorld) -> None:
    private = chat.context()
    await chat.command(private, "/help")
    text = answers(private).only.text
    assert text.startswith("🎨 NovelAI image bot") and "/generate <prompt> [options]" in text
    assert "@naibot_test" not in text

    group = chat.in_group()
    await chat.command(group, "/start")
    assert answers(group).only.text.endswith("\n\nIn groups, address me as /generate@naibot_test.")
