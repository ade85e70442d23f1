"""The chat grammar is bounded (security review H1): every text is capped before it is read, every
reader is linear, the ban check comes before any reading, and too long is refused in words.

- caps: the whole ``/generate`` text, each option value, ``/settings``, ``/group`` and ``/admin``
  arguments; too long is refused (en and zh) without quoting the text back, and changes nothing;
- time: no input up to 10,000 characters takes more than 50 ms in any reader (``ENTRY_POINTS`` in
  tests/fixtures/grammar.py), on the review's payloads and on generated adversarial ones;
- fuzz: arbitrary text through the whole grammar only ever ends in a refusal;
- order: a banned person's text is never parsed (Telegram's /generate, /settings, /group; Discord's
  /generate).

Hypothesis runs derandomized (a fixed seed, no example database) with a few hundred examples, so the
suite's time stays flat and a failure repeats.
"""

from __future__ import annotations

from typing import Any, cast

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import bot.chat.commands.generate as generate_module
import bot.chat.commands.group as group_module
import bot.chat.commands.settings as settings_module
import bot.discord.adapter as discord_adapter
from bot.chat.commands.group import group_words
from bot.chat.generate_options import (
    _BY_NAME,
    ECHO_CHARS,
    MAX_COMMAND_CHARS,
    MAX_GENERATE_CHARS,
    MAX_NEGATIVE_CHARS,
    OPTION_NAMES,
    OptionError,
    parse_generate,
    parse_value,
)
from bot.chat.texts.catalog import LANGUAGES
from bot.chat.texts.jobs import error_text
from bot.chat.user_settings import parse_settings_command
from bot.discord.adapter import DiscordBot
from novelai.errors import InvalidRequest
from novelai.request import MAX_NAME_CHARS, MAX_PROMPT_CHARS, GenerationRequest
from tests.fixtures.chat import GROUP_ID, PLATFORM, ROOT_ID, ChatWorld, answers
from tests.fixtures.grammar import (
    ADVERSARIAL_UNITS,
    BUDGET_SECONDS,
    MAX_INPUT_CHARS,
    cpu_seconds,
    review_character,
    review_message,
    slowest,
)

BANNED = "You can't use this bot: a deployment admin has banned you."
LEFTOVER = "{"


def refusal(call: Any, *args: Any) -> OptionError:
    with pytest.raises(OptionError) as caught:
        call(*args)
    return caught.value


# --- the caps -------------------------------------------------------------------------------

def test_a_generate_text_over_the_cap_is_refused_unread() -> None:
    assert parse_generate("a" * MAX_GENERATE_CHARS).prompt == "a" * MAX_GENERATE_CHARS
    error = refusal(parse_generate, "--steps 20 " + "a" * MAX_GENERATE_CHARS)
    assert (error.key, error.params) == ("option.text_too_long", {
        "command": "generate", "length": MAX_GENERATE_CHARS + 11, "limit": MAX_GENERATE_CHARS})


@pytest.mark.parametrize("name", OPTION_NAMES)
def test_every_option_value_is_capped_before_it_is_read(name: str) -> None:
    limit = _BY_NAME[name].max_chars
    try:
        parse_value(name, " " + "1" * limit + " ")  # at the cap: read (and maybe refused as a bad value)
    except (OptionError, InvalidRequest) as error:
        assert getattr(error, "key", "") != "option.value_too_long"
    error = refusal(parse_value, name, "1" * (limit + 1))
    assert (error.key, error.params) == ("option.value_too_long", {"option": name, "length": limit + 1,
                                                                    "limit": limit})
    assert refusal(parse_generate, f"cat --{name} \"{'1' * (limit + 1)}\"").key == "option.value_too_long"


def test_settings_arguments_and_values_are_capped() -> None:
    error = refusal(parse_settings_command, "set negative " + "x" * MAX_COMMAND_CHARS)
    assert (error.key, error.params["command"], error.params["limit"]) == ("option.text_too_long", "settings",
                                                                          MAX_COMMAND_CHARS)
    assert parse_settings_command("set negative " + "x" * MAX_NEGATIVE_CHARS).value == "x" * MAX_NEGATIVE_CHARS
    assert refusal(parse_settings_command, "set negative " + "x" * (MAX_NEGATIVE_CHARS + 1)).key == \
        "option.value_too_long"
    error = refusal(parse_settings_command, "language " + "z" * (MAX_NAME_CHARS + 1))
    assert (error.key, error.params["option"]) == ("option.value_too_long", "language")


def test_group_arguments_are_capped() -> None:
    assert group_words("quota " + "images:1 " * 100) == ["quota", *["images:1"] * 100]
    error = refusal(group_words, "channels " + "<#1> " * MAX_COMMAND_CHARS)
    assert (error.key, error.params["command"]) == ("option.text_too_long", "group")


def test_a_real_request_written_out_in_full_is_under_every_cap() -> None:
    """A full prompt, a full negative and six long characters, as long as NovelAI takes them."""
    prompt = ", ".join(["1girl, red hair"] * 200)[:MAX_PROMPT_CHARS].strip(", ")
    negative = ", ".join(["lowres, bad hands"] * 200)[:MAX_PROMPT_CHARS].strip(", ")
    chars = " ".join(f'--char "{prompt[:900]}@B{i % 5 + 1}|{negative[:400]}"' for i in range(6))
    text = f"{prompt} --neg \"{negative}\" {chars} --model v4.5 --size portrait --steps 28 --seed 4294967295"
    assert len(text) < MAX_GENERATE_CHARS
    options = parse_generate(text)
    assert options.prompt == prompt and len(options.fields["characters"]) == 6
    GenerationRequest(prompt=options.prompt, **options.fields).resolved()


@pytest.mark.parametrize("field", ["model", "sampler", "noise_schedule"])
def test_a_name_too_long_to_be_one_is_refused_before_it_is_resolved(field: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        GenerationRequest(prompt="cat", steps=99, **{field: "n" * (MAX_NAME_CHARS + 1)}).resolved()
    assert [(p.field, p.code) for p in caught.value.problems] == [("steps", "steps_range"), (field, "name_too_long")]


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize(("call", "text"), [
    (parse_generate, "x" * (MAX_GENERATE_CHARS + 1)),
    (parse_generate, "cat --neg " + "x" * (MAX_NEGATIVE_CHARS + 1)),
    (parse_settings_command, "x" * (MAX_COMMAND_CHARS + 1)),
    (group_words, "x" * (MAX_COMMAND_CHARS + 1)),
])
def test_too_long_is_said_in_words_without_the_text(call: Any, text: str, lang: str) -> None:
    message = error_text(refusal(call, text), lang)
    assert "xxxx" not in message and LEFTOVER not in message and len(message) < 200
    assert ("too long" in message) if lang == "en" else ("太长" in message)


@pytest.mark.parametrize(("call", "text", "param"), [
    (parse_generate, "cat --char " + "girl@" + "1" * 3000 + ",1", "value"),
    (parse_generate, "cat --" + "y" * 3000, "option"),
    (parse_settings_command, "set " + "y" * 3000 + " 1", "name"),
    (parse_settings_command, "frobnicate " + "y" * 3000, "command"),
])
def test_long_junk_is_quoted_back_shortened(call: Any, text: str, param: str) -> None:
    error = refusal(call, text)
    assert len(error.params[param]) <= ECHO_CHARS and error.params[param].endswith("…")


# --- time: every reader is linear -------------------------------------------------------------

BOUNDED = settings(derandomize=True, database=None, deadline=None,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                          HealthCheck.large_base_example])
units = st.sampled_from(ADVERSARIAL_UNITS)
unit_runs = st.lists(units, min_size=1, max_size=4).map("".join)


@st.composite
def adversarial(draw: st.DrawFn) -> str:
    """Up to MAX_INPUT_CHARS of a few units, repeated or shuffled, between a short prefix and suffix."""
    prefix, suffix = draw(st.lists(units, max_size=3).map("".join)), draw(st.lists(units, max_size=3).map("".join))
    length = draw(st.integers(1, MAX_INPUT_CHARS))
    if draw(st.booleans()):
        body = draw(unit_runs) * length
    else:
        pieces, rng = draw(st.lists(units, min_size=1, max_size=4)), draw(st.randoms(use_true_random=False))
        body = "".join(rng.choice(pieces) for _ in range(length))
    return (prefix + body)[:MAX_INPUT_CHARS - len(suffix)] + suffix


@settings(BOUNDED, max_examples=200)
@given(adversarial())
@example(review_message()).via("the review's 4 KB Telegram message (449 s before)")
@example(review_message(MAX_INPUT_CHARS)).via("the same at 10,000 characters")
@example(review_character(4_995)).via("the review's character payload at 10,000 characters")
def test_no_input_up_to_ten_thousand_characters_takes_more_than_50_ms_anywhere(text: str) -> None:
    assert len(text) <= MAX_INPUT_CHARS
    name, seconds = slowest(text)
    assert seconds < BUDGET_SECONDS, f"{name} took {seconds * 1000:.1f} ms on {len(text)} characters: {text[:80]!r}"


@pytest.mark.parametrize("length", [4098, MAX_INPUT_CHARS])
def test_the_reviews_telegram_message_is_refused_at_once(length: int) -> None:
    """449 s before, on the message of 4098 characters; now a refusal within the budget."""
    text = review_message(length)
    assert len(text) == length
    assert cpu_seconds(parse_generate, text) < BUDGET_SECONDS
    error = refusal(parse_generate, text)
    if length == 4098:  # a position far longer than any real one: "I can't read the character …"
        assert error.key == "option.bad_character" and len(error.params["value"]) <= ECHO_CHARS
    else:  # longer than any character's text
        assert error.key == "option.value_too_long"


# --- fuzz: the whole grammar, arbitrary text ---------------------------------------------------

token_soup = st.lists(st.one_of(units, st.text(max_size=6), st.sampled_from(["--", "—", ":", "@", '"'])),
                      max_size=80).map("".join)


@settings(BOUNDED, max_examples=300)
@given(st.one_of(st.text(max_size=300), token_soup, adversarial()))
def test_the_whole_grammar_answers_any_text_with_a_result_or_a_refusal(text: str) -> None:
    """Every reader in ENTRY_POINTS on the text; ``slowest`` swallows refusals only, so any other
    exception fails here."""
    name, seconds = slowest(text)
    assert seconds < BUDGET_SECONDS, f"{name} took {seconds * 1000:.1f} ms on {len(text)} characters: {text[:80]!r}"


# --- through the commands: refused, nothing changed, in the asker's language --------------------

async def test_an_oversized_generate_is_refused_privately_and_queues_nothing(chat: ChatWorld) -> None:
    ann = chat.context()
    assert await chat.command(ann, "/generate " + "a fox, " * 3000) is None
    answer = answers(ann).only
    assert answer.private and answer.text == (
        f"Your /generate text is too long (20999 characters; I read at most {MAX_GENERATE_CHARS}). "
        "Nothing was done: shorten it and send it again.")
    assert await chat.waiting() == [] and await chat.recent_ids("telegram:1") == []


async def test_an_oversized_setting_is_refused_in_chinese_and_nothing_is_saved(chat: ChatWorld) -> None:
    ann = chat.context(language="zh-hans")
    await chat.command(ann, "/settings set steps 20")
    await chat.command(ann, "/settings set negative " + "lowres " * 575)
    assert answers(ann).last.text == \
        f"参数 negative 的值太长了（4024 个字符，最多 {MAX_NEGATIVE_CHARS} 个）。没有做任何操作。"
    await chat.command(ann, "/settings set steps " + "2" * MAX_COMMAND_CHARS)
    assert answers(ann).last.text.startswith("/settings 后面的内容太长了")
    assert await chat.saved_settings("telegram:1") == {"steps": 20}


async def test_oversized_group_and_admin_arguments_change_nothing(chat: ChatWorld) -> None:
    boss = chat.in_group("3", "Boss", admin=True)
    group = f"{PLATFORM}:{GROUP_ID}"
    before = await chat.policy.groups.get(group)
    assert await chat.command(boss, "/group quota images:1 " + "waiting:2 " * 500) == "bad_argument"
    assert answers(boss).only.private and answers(boss).only.text.startswith("Your /group text is too long")
    assert await chat.policy.groups.get(group) == before

    root = chat.context(ROOT_ID, "Root")
    assert await chat.command(root, "/admin ban " + "2" * MAX_COMMAND_CHARS) == "bad_argument"
    assert answers(root).only.text.startswith("Your /admin text is too long")
    assert await chat.policy.banned() == []


def _never(*_args: Any, **_kwargs: Any) -> Any:
    raise AssertionError("a banned person's text was parsed")


async def test_a_banned_persons_text_is_never_parsed(chat: ChatWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    await chat.policy.ban("telegram:2", "telegram:900")
    monkeypatch.setattr(generate_module, "parse_generate", _never)
    monkeypatch.setattr(settings_module, "parse_settings_command", _never)
    monkeypatch.setattr(group_module, "group_words", _never)
    monkeypatch.setattr(discord_adapter, "typed_fields", _never)
    bob = chat.in_group("2", "Bob", admin=True)
    payload = review_message()
    for line in (f"/generate {payload}", f"/settings set negative {payload}", f"/group quota {payload}", "/group"):
        await chat.command(bob, line)
    # Discord's /generate: the typed options are read only after the ban check.
    await DiscordBot._generate(cast(DiscordBot, None), bob, chat.router, "cat", {"characters": payload}, None)
    assert [(a.text, a.private) for a in answers(bob).answers] == [(BANNED, True)] * 5


async def test_discords_typed_options_are_capped_after_the_ban_check(chat: ChatWorld) -> None:
    ann = chat.context()
    await DiscordBot._generate(cast(DiscordBot, None), ann, chat.router, "cat",
                               {"characters": "girl@B3;" + "g" * 9000}, None)
    answer = answers(ann).only
    assert answer.private and answer.text.startswith("The value of char is too long (9000 characters")
    assert await chat.waiting() == []
