"""How a text is looked up: ``t(lang, key, **params)``, the supported languages, and which one a person gets.

The words themselves live in one table per language (``en.py``, ``zh.py``); this module only assembles
them into ``TEXTS`` and picks from them, so adding a language is a new table plus one line here. English
stands in for any text another language lacks, so a missing translation reads in English, never as a
blank message.
"""

from __future__ import annotations

from typing import Any

from bot.chat.texts import en, zh

LANGUAGES: tuple[str, ...] = ("en", "zh")
DEFAULT_LANGUAGE = "en"

TEXTS: dict[str, dict[str, str]] = {"en": en.TEXTS, "zh": zh.TEXTS}
_EN = TEXTS["en"]

# What people type for a language in /settings, lower-cased. Traditional Chinese codes map to
# zh as well: Simplified is closer for those readers than English.
_LANGUAGE_NAMES: dict[str, str] = {
    "en": "en", "english": "en", "en-us": "en", "en-gb": "en", "英文": "en", "英语": "en",
    "zh": "zh", "chinese": "zh", "中文": "zh", "简体中文": "zh", "简体": "zh", "汉语": "zh", "zh-cn": "zh",
    "zh-hans": "zh", "zh-sg": "zh", "zh-hant": "zh", "zh-tw": "zh", "zh-hk": "zh", "cn": "zh",
}


def t(lang: str, key: str, **params: Any) -> str:
    """The text for ``key`` in ``lang``, formatted; English stands in for anything missing.

    A key English lacks is a programming error (KeyError), never a blank message in a chat.
    """
    template = TEXTS.get(lang, _EN).get(key)
    if template is None:
        template = _EN[key]
    return template.format(**params)


def normalise_language(value: str) -> str | None:
    """The supported language a user or platform code means (``zh-TW`` → zh), or None."""
    code = value.strip().lower().replace("_", "-")
    if code in _LANGUAGE_NAMES:
        return _LANGUAGE_NAMES[code]
    primary = code.split("-", 1)[0]
    return primary if primary in LANGUAGES else None


def pick_language(saved: str | None, platform_code: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    """The user's saved choice first, then what their app reports, then the chat's default."""
    for candidate in (saved, platform_code):
        language = normalise_language(candidate) if candidate else None
        if language is not None:
            return language
    return default if default in LANGUAGES else DEFAULT_LANGUAGE
