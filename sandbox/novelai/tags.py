"""``GET /ai/generate-image/suggest-tags`` of the stand-in: a few Danbooru tags with plausible counts
(docs/novelai-2026.md §4.8, the English shape)."""

from __future__ import annotations

from typing import Any

SUGGESTIONS = (("1girl", 5_000_000), ("1boy", 1_500_000), ("solo", 4_800_000), ("smile", 2_900_000),
               ("long hair", 3_600_000), ("looking at viewer", 3_200_000), ("blue eyes", 1_400_000),
               ("short hair", 1_900_000), ("scenery", 250_000), ("sky", 600_000), ("cat", 200_000))


def suggest_tags(prompt: str) -> dict[str, Any]:
    """The tags starting with what was typed; an exact match is the most confident."""
    typed = prompt.strip().lower()
    return {"tags": [{"tag": tag, "count": count, "confidence": 1.0 if tag == typed else 0.8}
                     for tag, count in SUGGESTIONS if typed and tag.startswith(typed)]}
