"""The jobs that are not generations: upscale and the Director Tools (``/ai/augment-image``).

They take one input image (an ``ImageRef``) and return images, run on the account's lane like a
generation (one call at a time per NovelAI account), and are priced by their own tables
(``novelai.tool_cost``). ``kind`` tells them apart from a ``GenerationRequest`` in a job.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from novelai.inputs import ImageRef

ToolName = Literal["bg-removal", "lineart", "sketch", "colorize", "emotion", "declutter", "declutter-keep-bubbles"]
TOOL_NAMES: tuple[ToolName, ...] = (
    "bg-removal", "lineart", "sketch", "colorize", "emotion", "declutter", "declutter-keep-bubbles",
)
# Only these take a prompt and a defry level (NKDK, CARU ``constants/tools.py``).
PROMPTED_TOOLS: frozenset[str] = frozenset({"colorize", "emotion"})
MAX_DEFRY = 5
MAX_TOOL_PROMPT_CHARS = 1_000


class UpscaleRequest(BaseModel, frozen=True):
    """Make an image bigger (NovelAI picks 2× on the image host; the legacy API takes 2 or 4)."""

    kind: Literal["upscale"] = "upscale"
    image: ImageRef
    scale: int = Field(4, ge=2, le=4)


class ToolRequest(BaseModel, frozen=True):
    """One Director Tool on one image. ``prompt`` and ``defry`` only for colorize and emotion;
    ``emotion`` is one of NovelAI's moods (``novelai.tool_rules``)."""

    kind: Literal["tool"] = "tool"
    tool: ToolName
    image: ImageRef
    prompt: str = Field("", max_length=MAX_TOOL_PROMPT_CHARS)
    defry: int = Field(0, ge=0, le=MAX_DEFRY)
    emotion: str | None = Field(None, max_length=32)
