"""Styles and wildcards through the router on the real Redis (no worker, no platform): `/style` and
`/wildcard` keep what they are told and refuse the rest changing nothing; `/generate` with
``style:NAME`` and ``__name__`` queues the request they make (defaults < styles < typed options; the
seed picks the wildcards); group sets are managed by admins and used by members; the NSFW rule sees
the expanded prompt; the caption names the styles."""

from __future__ import annotations

import dataclasses

import pytest

from bot.chat.commands.generate import RequestBuilder
from bot.chat.generate_options import OptionError, parse_generate
from bot.chat.nsfw import NsfwRefused
from bot.chat.prompt_library import MAX_PER_OWNER, Owner
from bot.chat.styles import Style, compose, make_style, split_template
from bot.chat.texts.jobs import caption
from bot.chat.wildcards import expand
from novelai.request import CharacterPrompt
from tests.fixtures.chat import ChatWorld, answers, make_context

ANN_PRIVATE = "1"


# -- the pure parts ----------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "parts"), [
    ("masterpiece, ..., detailed background", ("masterpiece", "detailed background")),
    ("masterpiece … night", ("masterpiece", "night")),
    ("masterpiece, best quality", ("masterpiece, best quality", "")),
    ("..., by the sea", ("", "by the sea")),
])
def test_a_style_prompt_splits_at_the_dots(text: str, parts: tuple[str, str]) -> None:
    assert split_template(text) == parts


def test_styles_compose_in_order_under_typed_options() -> None:
    first = Style("masterpiece", "detailed", {"steps": 20, "scale": 4.0, "negative": "lowres"})
    second = Style("anime", "", {"steps": 12, "sampler": "k_euler"})
    typed = parse_generate("a cat style:first,second scale:6")
    options = compose([first, second], typed)
    assert options.prompt == "masterpiece, anime, a cat, detailed"
    assert options.fields == {"steps": 12, "scale": 6.0, "negative": "lowres", "sampler": "k_euler"}


@pytest.mark.parametrize(("typed", "key", "params"), [
    ("cat seed:5", "style.not_kept", {"option": "seed"}),
    ("cat n:2", "style.not_kept", {"option": "n"}),
    ("cat style:other", "style.not_kept", {"option": "style"}),
    ("cat priority:3", "style.not_kept", {"option": "priority"}),
    ("", "style.empty", {}),
])
def test_a_style_keeps_no_seed_count_priority_or_other_style(typed: str, key: str, params: dict[str, str]) -> None:
    options = parse_generate(typed, prompt_required=False)
    with pytest.raises(OptionError) as caught:
        make_style(options.prompt, options.fields, options.image, options.priority)
    assert (caught.value.key, caught.value.params) == (key, params)


def test_a_style_round_trips_through_json_with_characters() -> None:
    style = make_style("best, ..., night", {"characters": (CharacterPrompt.parse("girl, red hair@B3"),),
                                            "width": 512, "height": 768, "model": "nai-diffusion-4-5-full"})
    assert Style.from_json(style.to_json()) == style


def test_wildcard_and_style_names_go_through_the_generate_grammar() -> None:
    options = parse_generate("a __hair__ girl style:Anime --style portrait")
    assert options.prompt == "a __hair__ girl"
    assert options.fields == {"styles": ("anime", "portrait")}


# -- /style -------------------------------------------------------------------------------------

async def test_a_saved_style_changes_the_queued_request_and_typed_options_win(chat: ChatWorld) -> None:
    ctx = chat.context()
    await chat.user_settings.set("telegram:1", "steps", "28")
    await chat.user_settings.set("telegram:1", "scale", "3")
    await chat.command(ctx, '/style save anime masterpiece, ..., detailed background neg:"lowres" steps:12 '
                            'size:512x768 sampler:euler')
    saved = answers(ctx).last
    assert not saved.private and "Saved style “anime” (yours)" in saved.text and "negative: lowres" in saved.text
    job = await chat.generated(ctx, "a cat", "style:anime steps:20")
    request = job.request
    assert request.prompt == "masterpiece, a cat, detailed background"
    assert (request.steps, request.scale, request.negative) == (20, 3.0, "lowres")  # typed > style > saved
    assert (request.width, request.height, request.sampler) == (512, 768, "k_euler")
    assert job.requester.reply["styles"] == ["anime"]
    assert "style: anime" in caption(job, "en") and "风格：anime" in caption(job, "zh")


async def test_an_unknown_style_is_refused_by_name_and_queues_nothing(chat: ChatWorld) -> None:
    ctx = chat.context()
    assert await chat.command(ctx, "/generate a cat style:nope") is None
    refusal = answers(ctx).only
    assert refusal.private and "“nope”" in refusal.text
    assert await chat.waiting() == []


async def test_style_list_show_and_delete(chat: ChatWorld) -> None:
    ctx = chat.context()
    await chat.command(ctx, "/style list")
    assert answers(ctx).last.text.startswith("No styles yet")
    await chat.command(ctx, "/style save night ..., night sky")
    await chat.command(ctx, "/style save day ..., daylight steps:10")
    await chat.command(ctx, "/style")
    assert answers(ctx).last.text == "Your styles: day, night"
    await chat.command(ctx, "/style show day")
    assert "prompt: …, daylight" in answers(ctx).last.text and "steps: 10" in answers(ctx).last.text
    await chat.command(ctx, "/style delete day")
    assert answers(ctx).last.text == "Deleted style “day” (yours)."
    await chat.command(ctx, "/style delete day")
    assert "There is no style “day”" in answers(ctx).last.text


async def test_a_bad_style_command_is_refused_privately_and_changes_nothing(chat: ChatWorld) -> None:
    ctx = chat.context()
    for line in ("/style save Bad!Name x", "/style save ok seed:3 x", "/style frobnicate",
                 "/style save ok steps:many", "/style save " + "x" * 40 + " night"):
        assert await chat.command(ctx, line) == "refused"
        assert answers(ctx).last.private
    assert await chat.router.prompt_tools.styles.all(Owner("user", "telegram:1")) == {}


async def test_group_styles_are_saved_by_admins_and_used_by_members_with_personal_ones_first(
        chat: ChatWorld) -> None:
    admin, member = chat.in_group("1", "Ann", admin=True), chat.in_group("2", "Bob")
    assert await chat.command(member, "/style group save house steps:9") == "refused"
    assert "Only this group's admins" in answers(member).last.text
    await chat.command(admin, "/style group save house watercolor, ... steps:9")
    assert "(this group's)" in answers(admin).last.text
    job = await chat.generated(member, "a bridge", "style:house")
    assert (job.request.prompt, job.request.steps) == ("watercolor, a bridge", 9)
    # Bob's own "house" wins over the group's; the list says so.
    await chat.command(member, "/style save house ink, ...")
    job = await chat.generated(member, "a bridge", "style:house")
    assert job.request.prompt == "ink, a bridge" and job.request.steps != 9
    await chat.command(member, "/style list")
    assert answers(member).last.text == "Your styles: house\nThis group's styles: house (yours is used)"
    # In a private chat only a person's own styles count.
    alone = chat.context("3", "Cy")
    assert await chat.command(alone, "/generate a bridge style:house") is None
    assert await chat.command(alone, "/style group save x steps:3") == "refused"
    assert "in a group" in answers(alone).last.text


async def test_an_owner_keeps_at_most_fifty_styles(chat: ChatWorld) -> None:
    ctx = chat.context()
    for i in range(MAX_PER_OWNER):
        await chat.router.prompt_tools.styles.save(Owner("user", "telegram:1"), f"s{i}", Style("x"))
    assert await chat.command(ctx, "/style save one-more x") == "refused"
    assert "at most 50" in answers(ctx).last.text


# -- /wildcard --------------------------------------------------------------------------------

async def test_a_wildcard_is_picked_from_the_seed_and_the_job_keeps_the_expanded_prompt(chat: ChatWorld) -> None:
    ctx = chat.context()
    await chat.command(ctx, "/wildcard add hair red hair | blue hair | silver hair | green hair")
    assert answers(ctx).last.text.startswith("Wildcard __hair__ (yours) has 4 entries: red hair | blue hair")
    lists = {"hair": ["red hair", "blue hair", "silver hair", "green hair"]}
    for seed in (1, 2, 3):
        job = await chat.generated(ctx, "1girl, __hair__", f"seed:{seed}")
        assert job.request.seed == seed
        assert job.request.prompt == expand("1girl, __hair__", lists, seed)
        again = await chat.generated(ctx, "1girl, __hair__", f"seed:{seed}")
        assert again.request.prompt == job.request.prompt
    drawn = await chat.generated(ctx, "1girl, __hair__")  # no seed typed: one is drawn, and picks
    assert drawn.request.seed is not None
    assert drawn.request.prompt == expand("1girl, __hair__", lists, drawn.request.seed)


async def test_an_unknown_wildcard_is_refused_by_name_in_both_languages(chat: ChatWorld) -> None:
    ctx = chat.context()
    assert await chat.command(ctx, "/generate 1girl, __nope__") is None
    assert "__nope__" in answers(ctx).last.text and answers(ctx).last.private
    zh = chat.context("5", "Li", language="zh")
    assert await chat.command(zh, "/generate 1girl, __nope__") is None
    assert "我不认识通配词 __nope__" in answers(zh).last.text
    assert await chat.waiting() == []


async def test_wildcards_and_styles_together_group_lists_and_list_text(chat: ChatWorld) -> None:
    admin, member = chat.in_group("1", "Ann", admin=True), chat.in_group("2", "Bob")
    await chat.command(admin, "/wildcard group add place beach | forest")
    await chat.command(member, "/wildcard add place castle")
    await chat.command(member, "/style save trip ..., at __place__")
    job = await chat.generated(member, "a knight", "style:trip seed:4")
    assert job.request.prompt == "a knight, at castle"
    await chat.command(member, "/wildcard")
    assert answers(member).last.text == "Your wildcards: place (1)\nThis group's wildcards: place (2) (yours is used)"
    await chat.command(admin, "/wildcard show place")
    assert "(this group's), 2 entries: beach | forest" in answers(admin).last.text
    assert await chat.command(member, "/wildcard group delete place") == "refused"
    await chat.command(admin, "/wildcard group set place lake")
    assert (await chat.generated(admin, "__place__")).request.prompt == "lake"


async def test_a_bad_wildcard_command_is_refused_and_changes_nothing(chat: ChatWorld) -> None:
    ctx = chat.context()
    for line in ("/wildcard add hair", "/wildcard add hair " + "x" * 201, "/wildcard add __x a | b",
                 "/wildcard add hair " + " | ".join(f"e{i}" for i in range(101)), "/wildcard frob"):
        assert await chat.command(ctx, line) == "refused"
        assert answers(ctx).last.private
    assert await chat.router.prompt_tools.wildcards.all(Owner("user", "telegram:1")) == {}


async def test_the_nsfw_rule_reads_the_expanded_prompt(chat: ChatWorld) -> None:
    await chat.command(chat.context(), "/wildcard add outfit nude | naked")
    builder = RequestBuilder(chat.user_settings, "sfw_only", chat.router.prompt_tools.styles,
                             chat.router.prompt_tools.wildcards)
    ctx = dataclasses.replace(make_context("1", "Ann", group="42", platform="telegram"), age_restricted=False)
    with pytest.raises(NsfwRefused) as caught:
        await builder.build(ctx, parse_generate("1girl, __outfit__ seed:3"))
    assert caught.value.params["terms"] in ("nude", "naked")
    await chat.command(chat.context(), "/wildcard set outfit red dress")
    request, _ = await builder.build(ctx, parse_generate("1girl, __outfit__ seed:3"))
    assert request.prompt == "1girl, red dress"


async def test_a_banned_person_is_refused_before_the_words_are_read(chat: ChatWorld) -> None:
    ctx = chat.context()
    await chat.policy.ban("telegram:1", "telegram:900")
    assert await chat.command(ctx, "/wildcard add hair red") == "banned"
    assert await chat.command(ctx, "/style save x y") == "banned"
    assert await chat.router.prompt_tools.wildcards.all(Owner("user", "telegram:1")) == {}


async def test_a_characters_prompt_picks_its_own_wildcards(chat: ChatWorld) -> None:
    ctx = chat.context()
    hair = [f"hair{i}" for i in range(30)]
    await chat.command(ctx, "/wildcard add hair " + " | ".join(hair))
    job = await chat.generated(ctx, "2girls, __hair__", '--char "girl, __hair__@B3" --char "girl, __hair__@D3" '
                                                      "seed:8")
    request = job.request
    assert request.prompt == expand("2girls, __hair__", {"hair": hair}, 8)
    picks = [c.prompt for c in request.characters]
    assert picks == [expand("girl, __hair__", {"hair": hair}, 8, place=f"c{i}.") for i in range(2)]
    assert all(pick.startswith("girl, hair") and "__" not in pick for pick in picks)
