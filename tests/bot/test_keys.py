"""Every Redis key of the bot layer is spelled in ``bot/keys.py`` and nowhere else under ``bot/``.

Read from source with ``ast``: an f-string that glues a prefix to a key path (``f"{prefix}:bot:..."``,
``f"{self._prefix}:user:..."``) in any other module is a key that ``BotKeys``, ``docs/redis-keys.md``
and ops scripts do not know about.
"""

from __future__ import annotations

import ast
import inspect
import itertools
import re
from pathlib import Path

import pytest

from bot.keys import BotKeys

ROOT = Path(__file__).resolve().parents[2]
BOT = ROOT / "bot"
KEYS_MODULE = BOT / "keys.py"
KEYS_DOC = ROOT / "docs" / "redis-keys.md"

# A literal piece of an f-string that is a ``bot:`` path segment (":bot:", or ":bot" at its end).
_BOT_SEGMENT = re.compile(r":bot(:|$)")
# What may follow ``{...prefix}`` in an f-string: a pattern over the whole deployment (demo clean-up).
_WHOLE_PREFIX = {":*"}


def _source(node: ast.expr) -> str:
    return ast.unparse(node)


def key_spellings(code: str) -> list[str]:
    """The f-strings in ``code`` that build a Redis key by hand, unparsed."""
    found = []
    for node in ast.walk(ast.parse(code)):
        if not isinstance(node, ast.JoinedStr):
            continue
        parts = node.values
        literals = [part.value for part in parts if isinstance(part, ast.Constant) and isinstance(part.value, str)]
        glued_to_prefix = any(
            isinstance(part, ast.FormattedValue) and "prefix" in _source(part.value).lower()
            and isinstance(after, ast.Constant) and isinstance(after.value, str) and after.value.startswith(":")
            and after.value not in _WHOLE_PREFIX
            for part, after in itertools.pairwise(parts)
        )
        if glued_to_prefix or any(_BOT_SEGMENT.search(text) for text in literals):
            found.append(_source(node))
    return found


@pytest.mark.parametrize("code", [
    'f"{self.prefix}:bot:banned"',
    'f"{prefix}:bot:{platform}"',
    'f"{self._prefix}:user:{user_key}:settings"',
    'f"{settings.redis.prefix}:bot"',
    'f"{base}:bot:group:{group}"',
])
def test_the_check_sees_a_hand_spelled_key(code: str) -> None:
    assert key_spellings(code) == [ast.unparse(ast.parse(code, mode="eval").body)]


@pytest.mark.parametrize("code", [
    'f"{prefix}:*"',  # a scan over the whole deployment, not a key
    'f"{platform}:{group_id}"',  # a group key, a value inside keys
    'f"{name}: bot {what}"',  # words, not a key
    '"<prefix>:bot:<platform>"',  # a plain string (docs), not built
])
def test_the_check_leaves_other_strings_alone(code: str) -> None:
    assert key_spellings(code) == []


def test_no_module_under_bot_spells_a_key_but_bot_keys() -> None:
    offenders = {
        str(path.relative_to(BOT.parent)): spelled
        for path in sorted(BOT.rglob("*.py")) if path != KEYS_MODULE
        if (spelled := key_spellings(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}, "build these with bot.keys.BotKeys (and list them in docs/redis-keys.md)"


def _every_key(keys: BotKeys) -> dict[str, str]:
    """Each BotKeys method and property, called with placeholder arguments."""
    built = {}
    for name, member in inspect.getmembers(BotKeys):
        if name.startswith("_") or name == "prefix":
            continue
        if isinstance(member, property):
            built[name] = getattr(keys, name)
        elif inspect.isfunction(member):
            params = list(inspect.signature(member).parameters)[1:]
            built[name] = getattr(keys, name)(*(f"<{param}>" for param in params))
    return built


def test_every_bot_key_lives_under_prefix_bot() -> None:
    built = _every_key(BotKeys("naibot"))
    assert len(built) > 20, sorted(built)
    assert built.pop("base") == "naibot:bot"
    assert built.pop("legacy_user_settings") == "naibot:user:<user_key>:settings"
    assert {name: key for name, key in built.items() if not key.startswith("naibot:bot:")} == {}


def test_the_legacy_settings_key_is_the_new_one_outside_bot() -> None:
    keys = BotKeys("p")
    assert keys.user_settings("telegram:1") == "p:bot:user:telegram:1:settings"
    assert keys.legacy_user_settings("telegram:1") == "p:user:telegram:1:settings"


def test_every_bot_key_is_in_the_keys_document() -> None:
    """docs/redis-keys.md names each key by its BotKeys member (``base`` and ``platform`` are prefixes)."""
    doc = KEYS_DOC.read_text(encoding="utf-8")
    names = set(_every_key(BotKeys("p"))) - {"base", "platform"}
    assert sorted(name for name in names if f"(`{name}`)" not in doc) == []
