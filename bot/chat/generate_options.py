"""``/generate`` text into request fields, the same on every text platform.

Two syntaxes, mixable and anywhere in the text: ``--steps 28`` / ``--steps=28`` and
``steps:28``. NovelAI prompts are full of colons (``artist:wlop``, ``score:9``,
``1.2::big cat::``), so ``word:value`` is an option only when ``word`` is one of our option
names; everything else stays in the prompt verbatim. Values are checked here only for their
form (a number, on/off, a known model); ranges are ``GenerationRequest.resolved()``'s job so
the rules live in one place. A number is ASCII digits only (``ascii_int``, ``ascii_float``):
full-width or Arabic-Indic digits, ``nan``, ``inf`` and exponents are "not a number".

Errors are ``OptionError(key, **params)`` with an i18n key, so the presenter can say them in
the user's language.

Everything here reads the text once, front to back (no regular expression with nested or adjacent
quantifiers that could try a string many ways), and every length is capped before anything is
read: the whole ``/generate`` text (``MAX_GENERATE_CHARS``) and each option value (``_Option.max_chars``).
Too long is refused with ``option.text_too_long`` / ``option.value_too_long``, which never echo the
text. A value echoed in another refusal is shortened (``shorten``) so the answer stays one message.

One piece although past 400 lines: it is one grammar (the tokenizer, the option table and the
value parsers it names); split, an option's name would sit apart from the rule that reads it.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from naibot.refusal import Refusal
from novelai.errors import InvalidRequest
from novelai.models import (
    MODEL_NAMES,
    MODELS,
    SAMPLERS,
    SIZE_PRESETS,
    parse_size,
    resolve_model,
    resolve_sampler,
)
from novelai.request import MAX_CHARACTER_SPEC_CHARS, MAX_NAME_CHARS, MAX_PROMPT_CHARS, CharacterPrompt
from tasks.job import MAX_PRIORITY, MIN_PRIORITY


class OptionError(Refusal):
    """A mistake in what the user typed (``/generate``, ``/settings``, ``/group``, ``/admin``
    arguments): an i18n message key plus the values it mentions."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(f"{key}: {params}", key=key, **params)


# The caps, in characters, each checked before the text it bounds is read (security review H1).
# The whole text after /generate: room for a full prompt, a full negative and several characters
# (8 × NovelAI's prompt limit of MAX_PROMPT_CHARS), nearly four times the longest message Telegram
# delivers (4096). No real request comes near it; it only bounds what a future front end could pass.
MAX_GENERATE_CHARS = 8 * MAX_PROMPT_CHARS
# A negative prompt: twice the prompt limit, as the HTTP API allows, so ``resolved()``'s own
# MAX_PROMPT_CHARS rule (with its clearer "the negative prompt is too long") is what people meet.
MAX_NEGATIVE_CHARS = 2 * MAX_PROMPT_CHARS
# A number: a seed has at most 10 digits and a scale like 5.5 three characters, and even the exact
# decimal of any finite double fits in under 800 characters, so no number anyone means is longer.
# Up to this, a number that is merely absurd ("1" * 400 is infinite) still reads "not a number I can
# use", and int()/float() on it take microseconds.
MAX_NUMBER_CHARS = 1024
# Arguments of /group and /admin (a few name:value words, channel mentions of about 23 characters
# each, a user id) and of /settings (at most one negative prompt and a setting name): the longest
# Telegram message, which holds over 170 channel mentions or a full negative prompt.
MAX_COMMAND_CHARS = 4096
# How much of a typed value a refusal quotes back; real values are shorter, so it only shortens junk.
ECHO_CHARS = 200


def shorten(value: str, limit: int = ECHO_CHARS) -> str:
    """``value`` as a refusal quotes it: whole if short, else its start and "…"."""
    return value if len(value) <= limit else value[:limit - 1] + "…"


def check_length(text: str, limit: int, command: str) -> None:
    """Refuse a command's text longer than ``limit`` before any of it is read."""
    if len(text) > limit:
        raise OptionError("option.text_too_long", command=command, length=len(text), limit=limit)


@dataclass(frozen=True)
class GenerateOptions:
    """What ``/generate`` asked for: the prompt, the request fields given explicitly, the priority."""

    prompt: str
    fields: dict[str, Any]
    priority: int | None = None
    # Settings of the image the command came with (strength, noise, vibe and reference settings,
    # a tool's defry and mood): ``bot.chat.commands.images`` routes them; without an image they
    # are refused (``option.needs_image``).
    image: dict[str, Any] = dataclass_field(default_factory=dict)


@dataclass(frozen=True)
class FieldProblem:
    """One validation problem, with its field reduced to a name the presenter can put into words.

    ``field`` is ``character`` (with ``number``, 1-based) for ``characters[i]``; otherwise the
    request field as ``novelai.request`` names it. ``code`` and ``params`` are the Problem's own, so
    the presenter can say it with the ``problem.<code>`` text; ``message`` is the English fallback.
    """

    field: str
    message: str
    number: int | None = None
    code: str = ""
    params: dict[str, Any] = dataclass_field(default_factory=dict, compare=False)


_SWITCH_WORDS: dict[str, bool] = {
    "on": True, "yes": True, "true": True, "1": True, "开": True, "开启": True, "是": True,
    "off": False, "no": False, "false": False, "0": False, "关": False, "关闭": False, "否": False,
}
# Any V3 model: every sampler, SMEA ones included, is valid there, so it checks a sampler's form
# without judging whether it suits the model the user will end up with.
_ANY_SAMPLER_MODEL = MODELS["nai-diffusion-3"]


def _parse_model(option: str, raw: str) -> str:
    try:
        return resolve_model(raw).id
    except InvalidRequest:
        raise OptionError("option.unknown_model", value=raw, choices=", ".join(MODEL_NAMES)) from None


def _parse_sampler(option: str, raw: str) -> str:
    """Keep the user's spelling: ``resolved()`` canonicalises it and knows the model by then."""
    try:
        resolve_sampler(raw, _ANY_SAMPLER_MODEL)
    except InvalidRequest:
        raise OptionError("option.unknown_sampler", value=raw, choices=", ".join(SAMPLERS)) from None
    return raw


def _parse_size(option: str, raw: str) -> tuple[int, int]:
    try:
        return parse_size(raw)
    except InvalidRequest:
        raise OptionError("option.bad_size", value=raw, choices=", ".join(SIZE_PRESETS)) from None


# What a number looks like in options: ASCII digits only, an optional sign, and for decimals one
# optional ASCII point. Python's int() and float() take much more ("２８" and "٢٨" are 28, "1_0" is 10,
# and float() also reads "nan", "inf" and "1e309"), so they only ever see text that matched here.
_WHOLE = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def ascii_int(text: str) -> int:
    """A whole number written with ASCII digits (sign allowed); ValueError for anything else.

    Usable as an argparse ``type=`` too.
    """
    if not _WHOLE.fullmatch(text):
        raise ValueError(f"not a whole number: {text!r}")
    return int(text)


def ascii_float(text: str) -> float:
    """A finite decimal number written with ASCII digits and an optional ASCII point; ValueError for
    anything else, "nan", "inf" and exponents included (and for digit strings too long to be finite).

    Usable as an argparse ``type=`` too.
    """
    if not _DECIMAL.fullmatch(text):
        raise ValueError(f"not a decimal number: {text!r}")
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"not a finite number: {text!r}")
    return value


def _number_parser(kind: type[int] | type[float], example: str) -> Callable[[str, str], Any]:
    """The one place option numbers are read (``/generate`` and ``/settings``, through ``parse_value``)."""
    read: Callable[[str], int | float] = ascii_int if kind is int else ascii_float

    def parse(option: str, raw: str) -> Any:
        try:
            return read(raw)
        except ValueError:
            raise OptionError("option.bad_number", option=option, value=raw, example=example) from None
    return parse


def _parse_switch(option: str, raw: str) -> bool:
    value = _SWITCH_WORDS.get(raw.strip().lower())
    if value is None:
        raise OptionError("option.bad_switch", option=option, value=raw)
    return value


def _parse_priority(option: str, raw: str) -> int:
    """Range-checked here: priority is a queue matter that ``resolved()`` never sees."""
    value: int = _number_parser(int, "7")(option, raw)
    if not MIN_PRIORITY <= value <= MAX_PRIORITY:
        raise OptionError("option.bad_priority", value=raw, min=MIN_PRIORITY, max=MAX_PRIORITY)
    return value


def _parse_character(option: str, raw: str) -> CharacterPrompt:
    try:
        return CharacterPrompt.parse(raw)
    except InvalidRequest:
        raise OptionError("option.bad_character", value=shorten(raw)) from None


def _parse_text(option: str, raw: str) -> str:
    return raw.strip()


# ``style:NAME`` (repeatable, or ``style:a,b``): the names, in order, travel in ``fields`` under this
# key, so every front end's options carry them alike; ``RequestBuilder`` takes them out and applies
# the styles (bot.chat.styles checks each name).
STYLES_FIELD = "styles"
MAX_STYLE_CHARS = 200


def _parse_styles(option: str, raw: str) -> tuple[str, ...]:
    return tuple(name.strip().lower() for name in re.split("[,，]", raw) if name.strip())


def _parse_lower(option: str, raw: str) -> str:
    return raw.strip().lower()


# What people call a precise reference's kinds, to NovelAI's names (novelai.inputs.ReferenceKind).
REFERENCE_KINDS: dict[str, str] = {
    "character": "character", "char": "character", "角色": "character",
    "style": "style", "风格": "style",
    "both": "character&style", "character&style": "character&style", "all": "character&style",
    "全部": "character&style",
}


def _parse_reference_kind(option: str, raw: str) -> str:
    kind = REFERENCE_KINDS.get(raw.strip().lower())
    if kind is None:
        raise OptionError("option.bad_choice", option=option, value=raw, choices="character, style, both")
    return kind


def _parse_noise(option: str, raw: str) -> tuple[str, Any]:
    """``noise:0.1`` is img2img's noise; ``noise:karras`` the noise schedule, as it was before
    images came (a number is never a schedule's name, so the two never meet)."""
    if raw[:1].isdigit() or raw[:1] in ".+-":
        return "noise", _number_parser(float, "0.1")(option, raw)
    return "noise_schedule", raw.strip()


@dataclass(frozen=True)
class _Option:
    name: str
    aliases: tuple[str, ...]
    parse: Callable[[str, str], Any]
    example: str
    # The GenerationRequest field it sets; None where it is not simply one field (size, character,
    # priority).
    field: str | None
    # The longest value read (stripped), in characters; a longer one is refused unread.
    max_chars: int
    # On/off options may stand alone ("--variety") to mean on.
    switch: bool = False
    # A setting of the command's image (``GenerateOptions.image``), not a request field.
    image: bool = False


_NUMBER, _NAME = MAX_NUMBER_CHARS, MAX_NAME_CHARS
_OPTIONS: tuple[_Option, ...] = (
    _Option("model", ("m",), _parse_model, "v4.5", "model", _NAME),
    _Option("sampler", ("s",), _parse_sampler, "euler_a", "sampler", _NAME),
    _Option("size", ("res", "resolution"), _parse_size, "portrait", None, _NAME),
    _Option("steps", (), _number_parser(int, "28"), "28", "steps", _NUMBER),
    _Option("scale", ("cfg", "guidance"), _number_parser(float, "5.5"), "5.5", "scale", _NUMBER),
    _Option("n", ("count", "images"), _number_parser(int, "2"), "2", "n_samples", _NUMBER),
    _Option("seed", (), _number_parser(int, "12345"), "12345", "seed", _NUMBER),
    _Option("negative", ("neg", "uc"), _parse_text, "\"lowres, blurry\"", "negative", MAX_NEGATIVE_CHARS),
    _Option("character", ("char",), _parse_character, "\"girl, red hair@B3\"", None, MAX_CHARACTER_SPEC_CHARS),
    _Option("priority", ("prio",), _parse_priority, "7", None, _NUMBER),
    _Option("quality", (), _parse_switch, "on", "quality_tags", _NAME, switch=True),
    _Option("variety", (), _parse_switch, "on", "variety", _NAME, switch=True),
    # V5: a transparent background; the light quality tags (novelai/model_rules.py checks the model).
    _Option("transparent", ("alpha",), _parse_switch, "on", "transparent", _NAME, switch=True),
    _Option("qpreset", ("quality_preset",), _parse_lower, "light", "quality_preset", _NAME),
    _Option("preset", ("ucpreset",), _number_parser(int, "0"), "0", "uc_preset", _NUMBER),
    _Option("rescale", ("cfg_rescale",), _number_parser(float, "0.2"), "0.2", "cfg_rescale", _NUMBER),
    _Option("schedule", (), _parse_text, "karras", "noise_schedule", _NAME),
    _Option("style", ("styles",), _parse_styles, "anime", None, MAX_STYLE_CHARS),
    # With an image (bot.chat.commands.images says what each means for each command).
    _Option("strength", ("str",), _number_parser(float, "0.6"), "0.6", None, _NUMBER, image=True),
    _Option("noise", (), _parse_noise, "0.1", None, _NUMBER),
    _Option("info", ("information",), _number_parser(float, "1"), "1", None, _NUMBER, image=True),
    _Option("fidelity", (), _number_parser(float, "1"), "1", None, _NUMBER, image=True),
    _Option("kind", (), _parse_reference_kind, "style", None, _NAME, image=True),
    _Option("defry", (), _number_parser(int, "0"), "0", None, _NUMBER, image=True),
    _Option("emotion", ("mood",), _parse_lower, "happy", None, _NAME, image=True),
    _Option("factor", (), _number_parser(float, "1.5"), "1.5", None, _NUMBER, image=True),
)
_BY_NAME: dict[str, _Option] = {name: o for o in _OPTIONS for name in (o.name, *o.aliases)}

OPTION_NAMES: tuple[str, ...] = tuple(o.name for o in _OPTIONS)


def find_option(name: str) -> str | None:
    """The canonical option name for a name or alias (any case), or None."""
    option = _BY_NAME.get(name.strip().lower())
    return option.name if option else None


def suggest(name: str, known: list[str] | tuple[str, ...]) -> str | None:
    """The closest known name to a typo, if any is close enough to be a fair guess."""
    matches = difflib.get_close_matches(name.lower(), known, n=1, cutoff=0.6)
    return matches[0] if matches else None


def _unknown_option(typed: str) -> OptionError:
    suggestion = suggest(typed, list(_BY_NAME)) if len(typed) <= MAX_NAME_CHARS else None
    if suggestion:
        return OptionError("option.unknown_suggest", option=f"--{typed}", suggestion=f"--{suggestion}")
    return OptionError("option.unknown", option=shorten(f"--{typed}"), choices=", ".join(OPTION_NAMES))


def parse_value(name: str, raw: str) -> tuple[str, Any]:
    """(canonical name, typed value) of one option; OptionError for an unknown name or a bad value.

    ``name`` is used as typed in messages, since that is the spelling the user will look for.
    """
    option = _BY_NAME.get(name.strip().lower())
    if option is None:
        raise _unknown_option(name.strip())
    value = raw.strip()
    if not value:
        raise OptionError("option.missing_value", option=name, example=option.example)
    if len(value) > option.max_chars:
        raise OptionError("option.value_too_long", option=name, length=len(value), limit=option.max_chars)
    return option.name, option.parse(name, value)


def request_fields(name: str, value: Any) -> dict[str, Any]:
    """The GenerationRequest fields one canonical option sets: size sets two; character and priority,
    which ``parse_generate`` collects itself, set none."""
    if name == "size":
        width, height = value
        return {"width": width, "height": height}
    field = _BY_NAME[name].field
    return {field: value} if field else {}


# --- the scanner --------------------------------------------------------------------------

# Opening quote → the characters that may close it. Phones turn " into “ ” on their own, and
# Chinese keyboards type “ ” and ‘ ’, so either family closes the other.
_QUOTES: dict[str, str] = {'"': '"”“', "'": "'’", "“": "”\"", "‘": "’'", "「": "」", "『": "』"}
_COMMAS = ",，"
# "--name", "--name=value" or "—name" (phones turn "--" into an em dash).
_LONG_OPTION = re.compile(r"(?:--|—)(\w[^\s=:：]*)([=:：]?)")
# "name:value" (also the full-width colon of Chinese keyboards); only known names count.
_KEY_OPTION = re.compile(r"([A-Za-z_]+)[:：]")


@dataclass
class _Found:
    typed: str
    option: _Option
    # Whether "=" or ":" followed the name: then a value is required (no stand-alone switch).
    attached: bool


class _Scanner:
    """Walks the text once, handing out prompt words and option values in order."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    def skip_space(self) -> None:
        while not self.at_end() and self.text[self.pos].isspace():
            self.pos += 1

    def option_here(self) -> _Found | None:
        """The option starting at the cursor, consumed up to its value; None for a prompt word."""
        long = _LONG_OPTION.match(self.text, self.pos)
        if long:
            option = _BY_NAME.get(long[1].lower())
            if option is None:
                raise _unknown_option(long[1])
            self.pos = long.end()
            return _Found(long[1], option, attached=bool(long[2]))
        key = _KEY_OPTION.match(self.text, self.pos)
        if key and key[1].lower() in _BY_NAME:
            self.pos = key.end()
            return _Found(key[1], _BY_NAME[key[1].lower()], attached=True)
        return None

    def word(self) -> str:
        start = self.pos
        while not self.at_end() and not self.text[self.pos].isspace():
            self.pos += 1
        return self.text[start:self.pos]

    def value(self, found: _Found) -> str | None:
        """The option's value, or None for a stand-alone on/off switch ("--variety a cat")."""
        glued = found.attached and not self.at_end() and not self.text[self.pos].isspace()
        if not glued:
            # "--steps 28", and "steps: 28" as phone keyboards type it after a colon.
            if self._option_follows():
                self._missing(found)
                return None
            self.skip_space()
            if self.at_end():
                self._missing(found)
                return None
        if self.text[self.pos] in _QUOTES:
            return self._quoted(found.typed)
        if found.option.switch and not found.attached:
            return self._switch_word()
        return self._unquoted()

    def _option_follows(self) -> bool:
        """Whether an option (not a value) comes next, so "--steps --n 2" reports a missing value."""
        saved = self.pos
        self.skip_space()
        try:
            return not self.at_end() and self.option_here() is not None
        except OptionError:
            return True
        finally:
            self.pos = saved

    def _quoted(self, typed: str) -> str:
        opening = self.text[self.pos]
        start = self.pos + 1
        end = next((i for i in range(start, len(self.text)) if self.text[i] in _QUOTES[opening]), None)
        if end is None:
            raise OptionError("option.unterminated_quote", option=typed, quote=opening)
        self.pos = end + 1
        self._skip_separator_comma()
        return self.text[start:end]

    def _unquoted(self) -> str:
        word = self.word()
        # "a cat, steps:28, night": the comma separated the option from the prompt, it is not a value.
        return word.rstrip(_COMMAS)

    def _skip_separator_comma(self) -> None:
        if not self.at_end() and self.text[self.pos] in _COMMAS:
            self.pos += 1

    def _switch_word(self) -> str | None:
        saved = self.pos
        word = self._unquoted()
        if word.lower() in _SWITCH_WORDS:
            return word
        self.pos = saved
        return None

    def _missing(self, found: _Found) -> None:
        if found.option.switch and not found.attached:
            return None
        raise OptionError("option.missing_value", option=found.typed, example=found.option.example)


def _join_prompt(chunks: list[list[str]]) -> str:
    """The prompt words with single spaces; a comma left dangling where an option was cut goes too."""
    parts: list[str] = []
    for chunk in (" ".join(words) for words in chunks if words):
        if parts and parts[-1].endswith(tuple(_COMMAS)) and chunk.startswith(tuple(_COMMAS)):
            chunk = chunk[1:].lstrip()
        if chunk:
            parts.append(chunk)
    return _unwrap_quotes(" ".join(parts).strip(" " + _COMMAS))


def _unwrap_quotes(prompt: str) -> str:
    """A prompt typed entirely in quotes means the text inside them."""
    if len(prompt) >= 2 and prompt[0] in _QUOTES and prompt[-1] in _QUOTES[prompt[0]]:
        inner = prompt[1:-1]
        if not any(q in inner for q in (prompt[0], *_QUOTES[prompt[0]])):
            return inner.strip()
    return prompt


def parse_generate(text: str, *, prompt_required: bool = True) -> GenerateOptions:
    """Split what follows ``/generate`` into the prompt and the options given explicitly.

    A repeated option keeps its last value, except ``char``, which adds one character each time.
    A text longer than MAX_GENERATE_CHARS is refused before any of it is read. Commands on an
    image (``/enhance``, ``/upscale``, …) pass ``prompt_required=False``.
    """
    check_length(text, MAX_GENERATE_CHARS, "generate")
    scanner = _Scanner(text)
    chunks: list[list[str]] = [[]]
    fields: dict[str, Any] = {}
    characters: list[CharacterPrompt] = []
    priority: int | None = None
    image: dict[str, Any] = {}
    styles: list[str] = []
    while True:
        scanner.skip_space()
        if scanner.at_end():
            break
        found = scanner.option_here()
        if found is None:
            chunks[-1].append(scanner.word())
            continue
        raw = scanner.value(found)
        parsed: tuple[str, Any] = parse_value(found.typed, raw) if raw is not None else (found.option.name, True)
        name, value = parsed
        if name == "character":
            characters.append(value)
        elif name == "style":
            styles.extend(value)
        elif name == "priority":
            priority = value
        elif name == "noise":
            field_name, setting = value
            (image if field_name == "noise" else fields)[field_name] = setting
        elif _BY_NAME[name].image:
            image[name] = value
        else:
            fields.update(request_fields(name, value))
        chunks.append([])
    prompt = _join_prompt(chunks)
    if not prompt and prompt_required:
        raise OptionError("option.missing_prompt")
    if characters:
        fields["characters"] = tuple(characters)
    if styles:
        fields[STYLES_FIELD] = tuple(styles)
    return GenerateOptions(prompt=prompt, fields=fields, priority=priority, image=image)


def request_problems(error: InvalidRequest) -> list[FieldProblem]:
    """The problems of a refused request, with ``characters[i]`` turned into "character i+1"."""
    problems = []
    for problem in error.problems:
        match = re.fullmatch(r"characters\[(\d+)\]", problem.field)
        if match:
            problems.append(FieldProblem("character", problem.message, int(match[1]) + 1, code=problem.code,
                                         params=dict(problem.params)))
        else:
            problems.append(FieldProblem(problem.field, problem.message, code=problem.code,
                                         params=dict(problem.params)))
    return problems
