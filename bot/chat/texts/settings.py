"""What ``/settings`` and ``/help`` answer: the saved defaults in words, what was saved or reset, the help.

Values read as a person would say them (model labels, on/off, W×H, the language's own name), and each
setting is titled in words plus the name to type ("guidance scale (scale)", "步数（steps）"). Builds on the
shared pieces of ``bot.chat.texts.jobs`` (``field_label``, ``model_label``, ``excerpt``).
"""

from __future__ import annotations

from typing import Any

from bot.chat.texts.catalog import LANGUAGES, t
from bot.chat.texts.jobs import QUEUE_PROMPT_CHARS, excerpt, field_label, model_label
from novelai.models import MODEL_NAMES

# Settings saved as booleans and shown as on/off.
_SWITCH_SETTINGS = frozenset({"quality", "variety"})


def help_text(lang: str, *, bot_username: str | None = None) -> str:
    """The /help text; its model list is ``novelai.models.MODEL_NAMES``, the one every front end lists."""
    text = t(lang, "help.text", models=", ".join(MODEL_NAMES)) + t(lang, "help.images") + t(lang, "help.history")
    return f"{text}\n\n{t(lang, 'help.group_hint', bot=bot_username)}" if bot_username else text


def setting_value_text(name: str, value: Any, lang: str) -> str:
    """A saved default as a person reads it: labels for models and languages, on/off, W×H."""
    if name == "model":
        return model_label(value)
    if name == "size":
        return f"{value[0]}×{value[1]}"
    if name in _SWITCH_SETTINGS:
        return t(lang, "settings.on" if value else "settings.off")
    if name == "language":
        return t(lang, f"language.{value}") if value in LANGUAGES else str(value)
    if isinstance(value, float):
        return f"{value:g}"
    return excerpt(str(value), QUEUE_PROMPT_CHARS * 3)


def _setting_title(name: str, lang: str) -> str:
    """The setting in words plus the name to type, unless they are the same word."""
    label = field_label(name, lang)
    return label if label == name else t(lang, "settings.title", label=label, name=name)


def settings_text(lang: str, values: dict[str, Any]) -> str:
    if not values:
        return f"{t(lang, 'settings.empty')}\n{t(lang, 'settings.hint')}"
    lines = [t(lang, "settings.header")]
    lines += [t(lang, "settings.item", title=_setting_title(name, lang), value=setting_value_text(name, value, lang))
              for name, value in values.items()]
    lines.append(t(lang, "settings.hint"))
    return "\n".join(lines)


# Settings that change how the bot talks rather than what /generate asks for: they apply at once.
_APPLY_NOW = frozenset({"language"})


def settings_saved_text(lang: str, name: str, value: Any) -> str:
    """What was saved, and from when it counts: a /generate default from the next /generate, the
    language from now on (``lang`` is already the new one, so this very answer is in it)."""
    key = "settings.saved_now" if name in _APPLY_NOW else "settings.saved"
    return t(lang, key, title=_setting_title(name, lang), value=setting_value_text(name, value, lang))


def settings_reset_text(lang: str, name: str | None = None) -> str:
    if name is None:
        return t(lang, "settings.reset_all")
    return t(lang, "settings.reset_one", title=_setting_title(name, lang))
