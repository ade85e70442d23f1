"""Wildcards: ``__name__`` expansion (properties: bounded, deterministic by seed), the typed lists'
bounds, and the lists in Redis (personal shadows group, unknown names named, nothing kept on a refusal)."""

from __future__ import annotations

import pytest
import redis.asyncio as aioredis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.chat.generate_options import OptionError
from bot.chat.prompt_library import MAX_PER_OWNER, Owner
from bot.chat.wildcards import (
    MAX_DEPTH,
    MAX_ENTRIES,
    MAX_ENTRY_CHARS,
    TOKEN,
    Wildcards,
    expand,
    parse_entries,
)
from bot.keys import BotKeys
from novelai.request import MAX_DRAWN_SEED, MAX_PROMPT_CHARS

USER, OTHER, GROUP = "telegram:1", "telegram:2", "telegram:-100"

names = st.sampled_from(["hair", "eyes", "place", "mood", "a-b", "x_1"])
# Entries that may name other lists (so nesting and cycles happen), or hold stray underscores.
entry = st.lists(st.one_of(st.text("abc ,:_", max_size=12), names.map(lambda n: f"__{n}__")),
                 min_size=1, max_size=4).map("".join).filter(lambda e: e.strip() and len(e) <= MAX_ENTRY_CHARS)
lists = st.dictionaries(names, st.lists(entry, min_size=1, max_size=8), max_size=6)
prompts = st.lists(st.one_of(st.text("xyz ,()", max_size=20), names.map(lambda n: f"__{n}__")),
                   max_size=8).map("".join)
seeds = st.integers(0, MAX_DRAWN_SEED)


def expanded_or_refusal(prompt: str, known: dict[str, list[str]], seed: int, **bounds: int) -> str | OptionError:
    try:
        return expand(prompt, known, seed, **bounds)
    except OptionError as refusal:
        return refusal


@given(prompts, lists, seeds)
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_the_same_seed_always_makes_the_same_prompt(prompt: str, known: dict[str, list[str]], seed: int) -> None:
    first = expanded_or_refusal(prompt, known, seed)
    again = expanded_or_refusal(prompt, {k: list(v) for k, v in reversed(known.items())}, seed)
    if isinstance(first, str):
        assert again == first
    else:
        assert isinstance(again, OptionError) and (again.key, again.params) == (first.key, first.params)


@given(prompts, lists, seeds, st.integers(1, 400), st.integers(0, 4))
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_an_expansion_is_bounded_and_leaves_no_wildcard_or_refuses_clearly(
        prompt: str, known: dict[str, list[str]], seed: int, max_chars: int, max_depth: int) -> None:
    result = expanded_or_refusal(prompt, known, seed, max_chars=max_chars, max_depth=max_depth)
    if isinstance(result, str):
        assert len(result) <= max_chars
        assert TOKEN.search(result) is None or TOKEN.search(prompt) is None  # every wildcard met was filled
        if TOKEN.search(prompt) is None:
            assert result == prompt
    else:
        assert result.key in ("wildcard.unknown", "wildcard.too_deep", "wildcard.too_long")
        if result.key == "wildcard.unknown":
            assert result.params["name"] not in known
        if result.key == "wildcard.too_long":
            assert result.params == {"limit": max_chars}


@given(st.lists(st.text("abcdefgh ", min_size=1, max_size=10).filter(str.strip), min_size=2, max_size=10,
                unique_by=str.strip), st.integers(0, 2**32 - 1))
def test_every_pick_is_one_of_the_entries(entries: list[str], seed: int) -> None:
    assert expand("__pick__", {"pick": entries}, seed) in entries


def test_different_seeds_spread_over_the_entries() -> None:
    entries = [f"colour{i}" for i in range(10)]
    picked = {expand("__c__", {"c": entries}, seed) for seed in range(200)}
    assert len(picked) == 10


def test_two_places_of_one_wildcard_pick_on_their_own() -> None:
    entries = [str(i) for i in range(50)]
    results = [expand("__n__ __n__", {"n": entries}, seed).split() for seed in range(50)]
    assert any(a != b for a, b in results)


def test_nested_lists_expand_down_to_the_depth_limit() -> None:
    chain = {"a": ["A __b__"], "b": ["B __c__"], "c": ["C"]}
    assert expand("x __a__", chain, 1) == "x A B C"
    deeper = {**chain, "c": ["C __d__"], "d": ["D"]}
    with pytest.raises(OptionError) as caught:
        expand("__a__", deeper, 1)
    assert (caught.value.key, caught.value.params) == ("wildcard.too_deep", {"name": "d", "limit": MAX_DEPTH})


def test_a_list_naming_itself_is_refused_not_looped() -> None:
    with pytest.raises(OptionError) as caught:
        expand("__loop__", {"loop": ["again __loop__"]}, 7)
    assert caught.value.key == "wildcard.too_deep"


def test_an_overlong_result_is_refused_with_the_prompt_limit() -> None:
    with pytest.raises(OptionError) as caught:
        expand(" ".join(["__w__"] * 20), {"w": ["x" * 200]}, 3)
    assert (caught.value.key, caught.value.params) == ("wildcard.too_long", {"limit": MAX_PROMPT_CHARS})


def test_wildcard_names_match_in_any_case_and_single_underscores_stay() -> None:
    assert expand("long_hair, __Hair__, ^__^", {"hair": ["red hair"]}, 1) == "long_hair, red hair, ^__^"


# -- typed entries ---------------------------------------------------------------------------

def test_entries_are_split_on_bars_trimmed_and_kept_once() -> None:
    assert parse_entries(" red  hair | blue hair ||red hair | ") == ["red hair", "blue hair"]


@given(st.text(st.sampled_from("ab |\n"), max_size=MAX_ENTRIES * (MAX_ENTRY_CHARS + 3) + 10))
@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
def test_typed_entries_are_bounded_or_refused(text: str) -> None:
    try:
        entries = parse_entries(text)
    except OptionError as refusal:
        assert refusal.key in ("wildcard.no_entries", "wildcard.entry_too_long", "wildcard.too_many_entries")
        return
    assert 1 <= len(entries) <= MAX_ENTRIES and len(set(entries)) == len(entries)
    assert all(0 < len(e) <= MAX_ENTRY_CHARS and "|" not in e and e == e.strip() for e in entries)


@pytest.mark.parametrize(("text", "key"), [
    (" | ", "wildcard.no_entries"),
    ("x" * (MAX_ENTRY_CHARS + 1), "wildcard.entry_too_long"),
    (" | ".join(f"e{i}" for i in range(MAX_ENTRIES + 1)), "wildcard.too_many_entries"),
    ("x|" * (MAX_ENTRIES * (MAX_ENTRY_CHARS + 3)), "wildcard.too_many_entries"),
])
def test_bad_entry_lists_are_refused(text: str, key: str) -> None:
    with pytest.raises(OptionError) as caught:
        parse_entries(text)
    assert caught.value.key == key


# -- in Redis ----------------------------------------------------------------------------------

@pytest.fixture
def wildcards(aredis: aioredis.Redis, redis_prefix: str) -> Wildcards:
    return Wildcards(aredis, BotKeys(redis_prefix))


async def test_lists_are_kept_per_owner_and_added_to(wildcards: Wildcards, aredis: aioredis.Redis,
                                                     redis_prefix: str) -> None:
    me = Owner("user", USER)
    assert await wildcards.add(me, "Hair", "red hair | blue hair") == ["red hair", "blue hair"]
    assert await wildcards.add(me, "hair", "blue hair | silver hair") == ["red hair", "blue hair", "silver hair"]
    assert await wildcards.add(me, "hair", "black hair", replace=True) == ["black hair"]
    assert await aredis.hkeys(f"{redis_prefix}:bot:wildcards:user:{USER}") == [b"hair"]
    assert await wildcards.all(Owner("user", OTHER)) == {}


async def test_a_persons_list_shadows_the_groups_of_the_same_name(wildcards: Wildcards) -> None:
    await wildcards.add(Owner("group", GROUP), "hair", "group hair")
    await wildcards.add(Owner("group", GROUP), "place", "group place")
    await wildcards.add(Owner("user", USER), "hair", "my hair")
    assert await wildcards.expand("__hair__ at __place__", 5, USER, GROUP) == "my hair at group place"
    assert await wildcards.expand("__hair__", 5, OTHER, GROUP) == "group hair"
    with pytest.raises(OptionError) as caught:  # outside the group only a person's own lists count
        await wildcards.expand("__place__", 5, USER, None)
    assert (caught.value.key, caught.value.params) == ("wildcard.unknown", {"name": "place"})


async def test_expansion_reads_nested_lists_and_is_deterministic(wildcards: Wildcards) -> None:
    me = Owner("user", USER)
    await wildcards.add(me, "look", "__hair__, __eyes__ | __hair__")
    await wildcards.add(me, "hair", " | ".join(f"hair{i}" for i in range(20)))
    await wildcards.add(me, "eyes", " | ".join(f"eyes{i}" for i in range(20)))
    results = {seed: await wildcards.expand("1girl, __look__", seed, USER, None) for seed in range(20)}
    assert all(r.startswith("1girl, hair") and "__" not in r for r in results.values())
    assert {seed: await wildcards.expand("1girl, __look__", seed, USER, None) for seed in range(20)} == results


async def test_a_refused_command_keeps_nothing_and_an_owner_has_at_most_fifty(wildcards: Wildcards) -> None:
    me = Owner("user", USER)
    for bad_name in ("a b", "x" * 33, "__x", "x_", "名"):
        with pytest.raises(OptionError) as caught:
            await wildcards.add(me, bad_name, "red")
        assert caught.value.key == "library.bad_name"
    with pytest.raises(OptionError):
        await wildcards.add(me, "hair", "ok | " + "x" * (MAX_ENTRY_CHARS + 1))
    assert await wildcards.all(me) == {}
    for i in range(MAX_PER_OWNER):
        await wildcards.add(me, f"w{i}", "x")
    with pytest.raises(OptionError) as caught:
        await wildcards.add(me, "one-more", "x")
    assert (caught.value.key, caught.value.params) == ("library.too_many", {"limit": MAX_PER_OWNER})
    assert await wildcards.add(me, "w0", "y") == ["x", "y"]  # an existing one may still change
    assert len(await wildcards.all(me)) == MAX_PER_OWNER
