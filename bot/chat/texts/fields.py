"""A request field or setting in plain words (``field.*`` texts): shared by the job texts and the
refusals, so neither imports the other for it."""

from __future__ import annotations

from bot.chat.texts.catalog import TEXTS, t

# Setting name → the field label key that says it in words.
_SETTING_FIELDS: dict[str, str] = {"n": "n_samples", "quality": "quality_tags"}


def field_label(field: str, lang: str, number: int | None = None) -> str:
    """A request field or setting in plain words; unknown fields keep their own name."""
    field = _SETTING_FIELDS.get(field, field)
    key = f"field.{field}"
    return t(lang, key, number=number) if key in TEXTS["en"] else field
