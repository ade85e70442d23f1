"""Character positions are read in linear time, and read exactly as before (security review H1).

The regular expressions they replace backtracked cubically (``girl@111…,111… 1``: 2.6 s at 805
characters, 449 s inside a 4 KB Telegram message). They stay here as the oracle: on short inputs,
where they are quick, the scanners must accept, refuse and capture exactly what they did.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from novelai.errors import InvalidRequest
from novelai.request import (
    AUTO_POSITION,
    MAX_CHARACTER_SPEC_CHARS,
    MAX_POSITION_CHARS,
    CharacterPrompt,
    _coordinates,
    looks_like_position,
    parse_position,
)
from tests.fixtures.grammar import BUDGET_SECONDS, cpu_seconds, review_character

# The expressions before the fix, verbatim.
OLD_GRID_CELL = re.compile(r"^([A-Ea-e])([1-5])$")
OLD_COORDINATES = re.compile(r"^\(?\s*([-+]?[0-9]*\.?[0-9]+)\s*[,;]\s*([-+]?[0-9]*\.?[0-9]+)\s*\)?$")
OLD_POSITION_LIKE = re.compile(rf"^(?:[A-Za-z]\d+|\(?[-+\d.\s]+[,;][-+\d.\s]+\)?|{AUTO_POSITION})$", re.IGNORECASE)

# Pieces positions are made of, and the near misses: other digits and spaces, letters that fold
# to ASCII ones (İ ı ſ K), lone points and signs, doubled separators.
PIECES = ("", "(", ")", " ", "  ", "\t", "\n", "\u3000", "\xa0", "-", "+", ".", "0", "1", "12", ".5", "0.3", "1.",
          ",", ";", ",,", "\u0661", "\uff11", "a", "A", "C", "c", "3", "E5", "F", "z", "\u0130", "\u0131", "\u017f",
          "\u212a", "auto", "AUTO", "aut", "@", "|", "_", "x")
DERANDOMIZED = settings(derandomize=True, database=None, deadline=None,
                        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
short_positions = st.one_of(
    st.lists(st.sampled_from(PIECES), max_size=10).map("".join),
    st.text(alphabet=st.sampled_from("0123456789.,;+-() \tAaCcEeZz@_\u0661\u212a"), max_size=16),
)


def old_parse_position(text: str) -> tuple[float, float] | str:
    """What parse_position answered before: a center, or the problem code."""
    spec = text.strip()
    cell = OLD_GRID_CELL.match(spec)
    if cell:
        return (0.1, 0.3, 0.5, 0.7, 0.9)["ABCDE".index(cell[1].upper())], (0.1, 0.3, 0.5, 0.7, 0.9)[int(cell[2]) - 1]
    pair = OLD_COORDINATES.match(spec)
    if pair is None:
        return "bad_position"
    x, y = float(pair[1]), float(pair[2])
    if not (0 <= x <= 1 and 0 <= y <= 1):
        return "position_outside"
    return min(max(x, 0.1), 0.9), min(max(y, 0.1), 0.9)


def new_parse_position(text: str) -> tuple[float, float] | str:
    try:
        return parse_position(text)
    except InvalidRequest as error:
        return error.problems[0].code


@DERANDOMIZED
@given(short_positions)
def test_position_suffixes_are_recognised_exactly_as_before(text: str) -> None:
    assert looks_like_position(text) == bool(OLD_POSITION_LIKE.match(text.strip()))


@DERANDOMIZED
@given(short_positions)
def test_coordinates_are_read_exactly_as_before(text: str) -> None:
    spec = text.strip()
    old = OLD_COORDINATES.match(spec)
    assert _coordinates(spec) == (old.groups() if old else None)
    assert new_parse_position(text) == old_parse_position(text)


@DERANDOMIZED
@given(st.lists(st.sampled_from(PIECES), max_size=8).map("".join), st.lists(st.sampled_from(PIECES), max_size=8)
       .map("".join))
def test_character_specs_split_exactly_as_before(head: str, tail: str) -> None:
    spec = f"girl{head}@{tail}|low"
    body = spec.partition("|")[0]
    old_head, _, old_tail = body.rpartition("@")
    position_like = bool(OLD_POSITION_LIKE.match(old_tail.strip()))
    old_center = (None if old_tail.strip().lower() == AUTO_POSITION else old_parse_position(old_tail)) \
        if position_like else None
    try:
        parsed = CharacterPrompt.parse(spec)
    except InvalidRequest as error:
        assert isinstance(old_center, str) and [p.code for p in error.problems] == [old_center]
        return
    assert not isinstance(old_center, str)
    assert (parsed.prompt, parsed.center) == ((old_head if position_like else body).strip(), old_center)


@pytest.mark.parametrize("spec", ["C3", "c3", "0.3,0.7", "(0.3, 0.7)", "0.3;0.7", " .5 , +0.5 ", "1,0", "auto",
                                  "0." + "3" * 29 + ",0." + "7" * 30])
def test_real_positions_still_read(spec: str) -> None:
    assert len(spec.strip()) <= MAX_POSITION_CHARS
    assert looks_like_position(spec)
    if spec != "auto":
        assert new_parse_position(spec) == old_parse_position(spec)


@pytest.mark.parametrize("n", [400, 2_000, 4_995])
def test_the_reviews_payload_is_refused_at_once(n: int) -> None:
    """2.6 s at n = 400 before, and cubic beyond; now refused (a position longer than any real one)."""
    payload = review_character(n)
    assert cpu_seconds(CharacterPrompt.parse, payload) < BUDGET_SECONDS
    with pytest.raises(InvalidRequest) as caught:
        CharacterPrompt.parse(payload)
    too_long = "character_text_too_long" if len(payload) > MAX_CHARACTER_SPEC_CHARS else "position_too_long"
    assert [p.code for p in caught.value.problems] == [too_long]


def test_a_position_within_the_cap_that_once_backtracked_is_quick() -> None:
    """Just under the cap the old expression still tried every split of both digit runs."""
    payload = "1" * 30 + "," + "1" * 30 + " 1"
    assert len(payload) <= MAX_POSITION_CHARS
    for read in (parse_position, looks_like_position, lambda text: CharacterPrompt.parse(f"girl@{text}")):
        assert cpu_seconds(read, payload) < BUDGET_SECONDS / 10
    assert new_parse_position(payload) == "bad_position"


def test_caps_are_checked_before_reading() -> None:
    with pytest.raises(InvalidRequest) as caught:
        parse_position(" " + "C" * (MAX_POSITION_CHARS + 1) + " ")
    assert caught.value.problems[0].params == {"length": MAX_POSITION_CHARS + 1, "limit": MAX_POSITION_CHARS}
    assert CharacterPrompt.parse("g" * MAX_CHARACTER_SPEC_CHARS).prompt == "g" * MAX_CHARACTER_SPEC_CHARS
    with pytest.raises(InvalidRequest) as caught:
        CharacterPrompt.parse("g" * (MAX_CHARACTER_SPEC_CHARS + 1))
    assert [(p.field, p.code) for p in caught.value.problems] == [("characters", "character_text_too_long")]


@settings(DERANDOMIZED, max_examples=150)
@given(st.sampled_from("1.,;-+ ()@aC\u0661"), st.sampled_from("1.,;-+ ()@aC\u0661"), st.integers(1, 10_000),
       st.sampled_from(["", " 1", "x", ")", "@", ",1"]))
def test_positions_take_linear_time_on_repeated_characters(left: str, right: str, n: int, tail: str) -> None:
    half = (left * n)[:5_000 - 3], (right * n)[:5_000 - 3]
    text = f"{half[0]},{half[1]}{tail}"
    for read in (parse_position, looks_like_position, CharacterPrompt.parse,
                 lambda text: CharacterPrompt.parse(f"girl@{text}")):
        assert cpu_seconds(read, text) < BUDGET_SECONDS
