"""How ``/info`` reads out the settings NovelAI recorded in an image.

Values come from a file a person sent, so every one is cut to a bounded length (``excerpt``) and the
whole answer stays inside one chat message (Telegram: 4096 characters) however long the prompts are.
"""

from __future__ import annotations

from bot.chat.texts.catalog import t
from bot.chat.texts.fields import field_label
from bot.chat.texts.jobs import excerpt, model_label
from novelai.metadata import NovelAIMetadata

# The longest prompt and negative quoted, in characters; a character's prompt, and how many are listed.
PROMPT_CHARS, NEGATIVE_CHARS, CHARACTER_CHARS, MAX_CHARACTERS = 1500, 600, 200, 6


def info_text(meta: NovelAIMetadata, lang: str) -> str:
    """The recorded prompt, negative, model, size, steps, scale, sampler, seed and characters."""
    lines = [t(lang, "info.header"), t(lang, "info.prompt", prompt=excerpt(meta.prompt, PROMPT_CHARS) or "—")]
    if meta.negative:
        lines.append(t(lang, "info.negative", negative=excerpt(meta.negative, NEGATIVE_CHARS)))
    width, height = meta.size
    values: list[tuple[str, object]] = []
    if meta.model:
        values.append(("model", model_label(meta.model)))
    values.append(("size", f"{width}×{height}"))
    for name, value in (("steps", meta.steps), ("scale", meta.scale), ("sampler", meta.sampler),
                        ("seed", meta.seed)):
        if value is not None:
            values.append((name, excerpt(str(value), 60)))
    lines += [t(lang, "info.line", name=field_label(name, lang), value=value) for name, value in values]
    for number, character in enumerate(meta.characters[:MAX_CHARACTERS], 1):
        lines.append(t(lang, "info.character", number=number, prompt=excerpt(character.prompt, CHARACTER_CHARS)))
    return "\n".join(lines)
