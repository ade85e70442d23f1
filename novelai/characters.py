"""One V4+ character (its prompt, negative and position) and the prompt texts' cleaning.

Apart from ``request.py`` because characters have their own grammar (the chat syntax
``PROMPT@POSITION|NEGATIVE``, grid cells, coordinates) and their own bounds; the request model
only checks how many there may be and where, per model.

Prompt texts (prompt, negative, each character's prompt and negative) are cleaned when a request
is built, so every front end (chat, HTTP API, CLI) and every job read back from the queue gets it:
control characters (C0 but tab and newline, DEL, C1) and the bidi embedding/override/isolate
controls (U+202A–U+202E, U+2066–U+2069) are taken out. They mean nothing to NovelAI's tokenizer,
a NUL can break whatever logs or stores the text, and the bidi ones only serve to make an echoed
prompt read differently from what it is. The controls that are whitespace (VT, FF, FS–US, NEL)
become a space so they do not glue two words; CR and CRLF become a newline. Tab and newline stay:
``docs/novelai-api.md`` sets no rule against them, people do write prompts on several lines, and
the tokenizers read them as plain whitespace.
Left alone: zero-width joiners (emoji sequences need them) and the LRM/RLM marks (legitimate in
right-to-left text, and they reorder nothing around them).

Typed text is bounded before it is read (security review H1): a position (``MAX_POSITION_CHARS``),
a character in the chat syntax (``MAX_CHARACTER_SPEC_CHARS``) and a model, sampler or noise schedule
name (``MAX_NAME_CHARS``) longer than any real one is refused unread, and positions are read by
small forward-only scanners, so no text costs more than time in proportion to its length.
"""

from __future__ import annotations

from pydantic import BaseModel, field_validator

from novelai.errors import InvalidRequest, Problem

# Our own cap, in characters: V4+ reads about 512 T5 tokens (§4.4), so longer text is wasted and
# usually a paste accident.
MAX_PROMPT_CHARS = 2000

# Character centers: the website's 5×5 grid (§4.4) has cell centers 0.1 … 0.9.
GRID_COORDS = (0.1, 0.3, 0.5, 0.7, 0.9)
GRID_COLUMNS = "ABCDE"
MIN_CENTER, MAX_CENTER = GRID_COORDS[0], GRID_COORDS[-1]
AUTO_POSITION = "auto"

# Positions are read by the small scanners below, not by regular expressions: every step moves
# forward, so reading costs time in proportion to the text, whatever it holds. (The regular
# expression they replace, ``[-+]?[0-9]*\.?[0-9]+`` twice, could split a run of digits in n ways
# per number and took O(n³) to fail: 449 s for one 4 KB message; security review H1.)
#
# Coordinates are ASCII digits only (float() would read "０.３" too). What counts as a position
# suffix after "@" (``looks_like_position``) takes any decimal digit on purpose: a position typed
# with other digits is still recognised as one, and refused as a bad position instead of silently
# staying in the prompt.
_GRID_LETTERS = "ABCDEabcde"
_GRID_DIGITS = "12345"
_ASCII_DIGITS = frozenset("0123456789")
_SEPARATORS = ",;"
# The letters a position suffix may start with ("Z9" is a position, refused as off the grid): the
# ASCII letters, and the four others the earlier case-insensitive ``[A-Za-z]`` also took (İ ı ſ and
# the Kelvin sign fold to i, s and k), so such a suffix is refused as before, not kept in the prompt.
_CELL_LIKE_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\u0130\u0131\u017f\u212a")
# A position is a cell ("C3"), "auto" or two numbers ("(0.25, 0.75)"): a few characters. 64 leaves
# room for spaces, parentheses and long decimals, and is what no one types by accident.
MAX_POSITION_CHARS = 64
# One character in the chat syntax PROMPT@POSITION|NEGATIVE: two prompts, each with room for what
# ``resolved()`` strips before its own MAX_PROMPT_CHARS rule (with the clearer message) applies,
# and a position. The HTTP API's string form has the same bound.
MAX_CHARACTER_SPEC_CHARS = 4 * MAX_PROMPT_CHARS + MAX_POSITION_CHARS


def _skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i].isspace():
        i += 1
    return i


def _skip_digits(text: str, i: int) -> int:
    while i < len(text) and text[i] in _ASCII_DIGITS:
        i += 1
    return i


def _number_end(text: str, i: int) -> int:
    """Where the number starting at ``i`` ends (-1 if none starts there): an optional sign, then
    ASCII digits with an optional point and more digits, or a point and digits ("0.5", "+.5", "3";
    not "1." nor "."). Greedy, and no other split could succeed: a number is always followed by a
    space, a separator, ")" or the end, none of which is a digit or a point."""
    if i < len(text) and text[i] in "+-":
        i += 1
    digits = _skip_digits(text, i)
    if digits < len(text) - 1 and text[digits] == "." and text[digits + 1] in _ASCII_DIGITS:
        return _skip_digits(text, digits + 1)
    return digits if digits > i else -1


def _coordinates(spec: str) -> tuple[str, str] | None:
    """The two numbers of "x,y" ("x;y", "(x, y)"; spaces around either number), or None."""
    i = _skip_space(spec, 1 if spec.startswith("(") else 0)
    end_x = _number_end(spec, i)
    if end_x < 0:
        return None
    sep = _skip_space(spec, end_x)
    if sep >= len(spec) or spec[sep] not in _SEPARATORS:
        return None
    start_y = _skip_space(spec, sep + 1)
    end_y = _number_end(spec, start_y)
    if end_y < 0:
        return None
    end = _skip_space(spec, end_y)
    if spec.startswith(")", end):
        end += 1
    return (spec[i:end_x], spec[start_y:end_y]) if end == len(spec) else None


def looks_like_position(text: str) -> bool:
    """Whether ``text`` (what follows the last "@" of a character) is meant as a position: a letter
    and digits ("C3", "Z9"), "auto", or two runs of digits, points, signs and spaces around one
    "," or ";", in optional parentheses. Anything else (the "@_@" tag) stays part of the prompt."""
    spec = text.strip()
    if spec.lower() == AUTO_POSITION:
        return True
    if len(spec) >= 2 and spec[0] in _CELL_LIKE_LETTERS and spec[1:].isdecimal():
        return True
    body = spec[1:] if spec.startswith("(") else spec
    body = body[:-1] if body.endswith(")") else body
    separators = [i for i, char in enumerate(body) if char in _SEPARATORS]
    if len(separators) != 1:
        return False
    left, right = body[:separators[0]], body[separators[0] + 1:]
    return bool(left and right) and all(char in "+-." or char.isdecimal() or char.isspace()
                                        for char in left + right)


def _too_long(field: str, label: str, length: int, limit: int, *, code: str) -> InvalidRequest:
    return InvalidRequest(Problem(field, f"the {label} is too long ({length} characters, the limit is {limit})",
                                  code=code, params={"length": length, "limit": limit}))


# What clean_prompt_text takes out of a prompt (None) or turns into a space / newline.
_UNSENDABLE: dict[int, str | None] = {
    code: (" " if chr(code).isspace() else None)
    for code in (*range(0x00, 0x20), *range(0x7F, 0xA0), *range(0x202A, 0x202F), *range(0x2066, 0x206A))
    if chr(code) not in "\t\n"
}
_UNSENDABLE[ord("\r")] = "\n"


def clean_prompt_text(text: str) -> str:
    """A prompt text without the characters that are never sent (see the module docstring)."""
    return text.replace("\r\n", "\n").translate(_UNSENDABLE)


POSITION_HELP = ("use a grid cell A1–E5 (letter = x from left, digit = y from top; C3 = center) "
                 "or x,y between 0 and 1")


def clamp_center(x: float, y: float) -> tuple[float, float]:
    """Pull coordinates inside 0.1–0.9: NovelAI reportedly answers 500 outside it (§4.4) and the
    website's grid never goes further out, so the edge cell is what such a position means anyway."""
    return min(max(x, MIN_CENTER), MAX_CENTER), min(max(y, MIN_CENTER), MAX_CENTER)


def center_in_image(center: tuple[float, float]) -> bool:
    return all(0.0 <= value <= 1.0 for value in center)


def parse_position(text: str, *, clamp: bool = True) -> tuple[float, float]:
    """A grid cell ("C3") or "x,y" in 0..1 as a center; coordinates are clamped to 0.1–0.9 unless
    ``clamp`` is False (a character keeps what was typed until its model is known: V5 places
    characters anywhere, V4/V4.5 only inside the grid, and ``resolved()`` clamps for those).

    Grid: letter A–E sets x, digit 1–5 sets y (AED/LLK convention, §4.4), so C3 = (0.5, 0.5).
    Raw coordinates outside 0..1 are refused rather than clamped: they are a typo, not an edge.
    """
    spec = text.strip()
    if len(spec) > MAX_POSITION_CHARS:
        raise _too_long("position", "position", len(spec), MAX_POSITION_CHARS, code="position_too_long")
    if len(spec) == 2 and spec[0] in _GRID_LETTERS and spec[1] in _GRID_DIGITS:
        return GRID_COORDS[GRID_COLUMNS.index(spec[0].upper())], GRID_COORDS[int(spec[1]) - 1]
    pair = _coordinates(spec)
    if pair is None:
        raise InvalidRequest(Problem("position", f"'{text}' is not a position; {POSITION_HELP}",
                                     code="bad_position", params={"value": text}))
    center = float(pair[0]), float(pair[1])
    if not center_in_image(center):
        raise InvalidRequest(Problem("position", f"position {spec} is outside the image; {POSITION_HELP}",
                                     code="position_outside", params={"value": spec}))
    return clamp_center(*center) if clamp else center


class CharacterPrompt(BaseModel, frozen=True):
    """One V4+ character: its own prompt, its own undesired content, and where it stands.

    ``center`` None lets the AI place the character.
    """

    prompt: str
    negative: str = ""
    center: tuple[float, float] | None = None

    @field_validator("prompt", "negative")
    @classmethod
    def _sendable(cls, text: str) -> str:
        return clean_prompt_text(text)

    @classmethod
    def parse(cls, spec: str) -> CharacterPrompt:
        """Parse the chat syntax ``PROMPT[@POSITION][|NEGATIVE]``.

        Examples: ``girl, red hair@B3``, ``girl@0.3,0.7``, ``girl`` (the AI places her),
        ``girl, red hair@B3|lowres, bad hands``. POSITION is a grid cell A1–E5, ``x,y`` in 0..1,
        or ``auto``. Only the text after the *last* ``@`` that looks like a position is taken as
        one, so tags such as ``@_@`` stay in the prompt; the negative may contain anything.
        A spec longer than MAX_CHARACTER_SPEC_CHARS is refused before it is read.
        """
        if len(spec) > MAX_CHARACTER_SPEC_CHARS:
            raise _too_long("characters", "character text", len(spec), MAX_CHARACTER_SPEC_CHARS,
                            code="character_text_too_long")
        body, _, negative = spec.partition("|")
        prompt, center = body, None
        head, at, tail = body.rpartition("@")
        if at and looks_like_position(tail):
            prompt = head
            center = None if tail.strip().lower() == AUTO_POSITION else parse_position(tail, clamp=False)
        return cls(prompt=prompt.strip(), negative=negative.strip(), center=center)
