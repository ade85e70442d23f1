"""Refuse secrets anyone could guess: the docs' example values, placeholders, and weak keys.

Why: the deployment files ship with example values (``deploy/env.example`` is copied to
``/etc/naibot/env`` "then fill in the secrets"), and a length check alone let them through, so
an install nobody edited served the status page to the admin key printed in the repository and
encrypted every stored NovelAI token under a master key printed there too. A process must not
start on such a secret; it says which variable is wrong, never its value (the value may be a
real secret that only looks weak, and terminals and journald keep what is printed).

The rules, one function per kind of secret:

- ``key_weakness``: API keys and ``NAIBOT_SECRET_KEY``, which guard everything and are checked
  offline at full speed (a Redis dump, a stolen cookie): a published example, a placeholder
  (anything starting with or containing ``change-me``), or an estimated strength under
  ``MIN_BITS`` is refused.
- ``password_weakness``: the Redis password, typed into ``redis.conf`` by hand and guessed only
  online: the published examples and placeholders are refused.

The estimate is a heuristic against the obvious, not a proof of strength: the docs say to
generate secrets (``openssl rand -base64 32``), and random output of that size passes by a wide
margin. It counts each character at the size of its alphabet (the character classes present,
capped by twice the number of distinct characters), a character that continues a run or a
sequence (``aaa``, ``abc``, ``321``) at 1 bit, a common word (``password``, ``secret``...) at
``COMMON_WORD_BITS``, a one-case letters-only chunk between separators (a word of a phrase) at
``WORD_BITS``, a separator at 1 bit, and a value that repeats one unit (``xyzxyzxyz``) as that
unit once.
"""

from __future__ import annotations

import math
import re
import string
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from naibot.settings import Settings

# Below this many bits (by the estimate below) a key is refused: out of reach of offline guessing.
MIN_BITS = 128
# A word of a phrase: people pick from the two or three thousand words they use most.
WORD_BITS = 11.0
# One of COMMON_WORDS: a guesser tries those first.
COMMON_WORD_BITS = 6.0
# What the refusal suggests instead.
GENERATE_HINT = "generate one with: openssl rand -base64 32"

# Every example secret the repository publishes, now or in earlier versions (README.md,
# settings.yaml, deploy/env.example, deploy/SCALING.md, deploy/redis.conf, docs/), lower-cased.
EXAMPLE_VALUES = frozenset({
    "change-me",
    "change-me-to-a-long-random-passphrase-of-32-or-more-characters",
    "a-long-random-key-for-the-admin",
    "a-long-random-key-for-prometheus",
    "a long random passphrase, 32+ characters",
    "the new passphrase, 32+ characters",
    "a-long-random-string-16+",
    "...16+ chars...",
    "...",
})
# A value containing one of these was never filled in. The examples all start with "change-me".
PLACEHOLDER_MARKERS = ("change-me", "changeme", "change_me", "replace-me", "fill-me", "...", "<", ">")
# Words people put in secrets they make up; masked before the estimate (4+ letters only, so a
# random string is not penalised by chance).
COMMON_WORDS = (
    "password", "passwd", "passphrase", "secret", "admin", "administrator", "root", "master", "private",
    "naibot", "novelai", "redis", "prometheus", "telegram", "discord", "token", "letmein", "welcome",
    "qwerty", "qwertz", "azerty", "asdf", "zxcv", "default", "example", "sample", "test", "testing",
    "dummy", "random", "long", "string", "chars", "characters", "change", "changeme", "keys",
    "hello", "monkey", "dragon", "shadow", "football", "baseball", "iloveyou", "trustno1", "sunshine",
    "abc123", "pass", "login", "user", "guest", "production", "staging", "local", "localhost",
)
_WORD_PATTERN = re.compile("|".join(sorted((re.escape(w) for w in COMMON_WORDS if len(w) >= 4),
                                           key=len, reverse=True)), re.IGNORECASE)
_SEPARATORS = re.compile(r"[-_ .,:;/+]+")
_WORD_MARK = "\0"


def _published(value: str) -> str | None:
    lowered = value.strip().lower()
    if lowered in EXAMPLE_VALUES:
        return "is an example value published in the naibot docs"
    if any(marker in lowered for marker in PLACEHOLDER_MARKERS):
        return "is a placeholder (contains 'change-me' or the like), not a secret"
    return None


def _unit(value: str) -> str:
    """The shortest unit ``value`` repeats (``value`` itself if it does not repeat)."""
    for size in range(1, len(value) // 2 + 1):
        if len(value) % size == 0 and value[:size] * (len(value) // size) == value:
            return value[:size]
    return value


def _alphabet(chars: str) -> int:
    size = 0
    for klass in (string.ascii_lowercase, string.ascii_uppercase, string.digits):
        if any(c in klass for c in chars):
            size += len(klass)
    if any(not c.isascii() or not c.isalnum() for c in chars):
        size += 33
    return max(2, min(size, 2 * len(set(chars))))


def _continues(first: str, second: str, third: str) -> bool:
    """``third`` continues a run (``aaa``) or a sequence (``abc``, ``321``) of the two before it."""
    if _WORD_MARK in (first, second):
        return False
    step = ord(second) - ord(first)
    return step in (-1, 0, 1) and ord(third) - ord(second) == step


def _chunk_bits(chunk: str, per_char: float) -> float:
    """Bits of one run of characters between separators, words already masked."""
    if 3 <= len(chunk) <= 12 and chunk.isalpha() and (chunk.islower() or chunk.istitle() or chunk.isupper()):
        return WORD_BITS  # a word of a phrase (random letters mix case)
    bits = 0.0
    for i, char in enumerate(chunk):
        if char == _WORD_MARK:
            bits += COMMON_WORD_BITS
        elif i >= 2 and _continues(chunk[i - 2], chunk[i - 1], char):
            bits += 1.0
        else:
            bits += per_char
    return bits


def estimated_bits(value: str) -> float:
    """How many bits of guessing ``value`` is worth, roughly (see the module docstring)."""
    masked = _WORD_PATTERN.sub(_WORD_MARK, _unit(value))
    chunks = [c for c in _SEPARATORS.split(masked) if c]
    plain = "".join(chunks).replace(_WORD_MARK, "")
    per_char = math.log2(_alphabet(plain)) if plain else 0.0
    separators = len(masked) - sum(len(c) for c in chunks)
    return sum(_chunk_bits(chunk, per_char) for chunk in chunks) + separators


def key_weakness(value: str) -> str | None:
    """Why this API key or secret key must be refused (never quoting it), or None if it is fine."""
    if (reason := _published(value)) is not None:
        return reason
    bits = estimated_bits(value)
    if bits < MIN_BITS:
        return f"is too easy to guess (about {bits:.0f} bits by naibot's estimate, {MIN_BITS} needed); {GENERATE_HINT}"
    return None


def password_weakness(value: str) -> str | None:
    """Why this Redis password must be refused (never quoting it), or None if it is fine."""
    return _published(value)


@dataclass(frozen=True)
class WeakSecret:
    """One secret a process must not run on: the variable that holds it and why (never the value)."""

    variable: str
    reason: str

    def __str__(self) -> str:
        return f"{self.variable} {self.reason}"


def redis_password(url: str) -> str | None:
    """The password in a Redis URL (``redis://:pw@host`` or ``unix:///path?password=pw``), if any."""
    parts = urlsplit(url)
    if parts.password:
        return unquote(parts.password)  # as Redis receives it: change%2Dme is change-me
    return next(iter(parse_qs(parts.query).get("password", [])), None)


def weak_secrets(settings: Settings, *, api_keys: bool = False, secret_key: bool = False,
                 redis: bool = True) -> list[WeakSecret]:
    """The weak secrets among those a process uses, named by the variable an operator sets.

    Each process asks for what it uses: the HTTP API its keys, whatever opens stored accounts the
    secret key, everything the Redis password. ``naibot settings check`` asks for all of them.
    """
    found: list[WeakSecret] = []
    password = redis_password(settings.redis.url) if redis else None
    if password and (reason := password_weakness(password)):
        found.append(WeakSecret("REDIS_URL (its password)", reason))
    key = settings.security.secret_key
    if secret_key and key is not None and (reason := key_weakness(key.get_secret_value())):
        found.append(WeakSecret("NAIBOT_SECRET_KEY", reason))
    for index, api_key in enumerate(settings.api.keys if api_keys else []):
        if reason := key_weakness(api_key.key.get_secret_value()):
            found.append(WeakSecret(f"NAIBOT_API__KEYS[{index}] (identity {api_key.identity})", reason))
    return found
