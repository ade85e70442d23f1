"""The jobs that are not generations: upscale and the Director Tools (``/ai/augment-image``).

They take one input image (an ``ImageRef``) and return images, run on the account's lane like a
generation (one call at a time per NovelAI account), and are priced by their own tables
(``novelai.tool_cost``). ``kind`` tells them apart from a ``GenerationRequest`` in a job.
The rules a request must pass are ``novelai.tool_rules``; the calls are ``novelai.tool_calls``.
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

# The emotion tool's 24 moods, in the website's order. CARU ``constants/tools.py`` (``Emotion``), NEKO
# ``EmotionOptions`` and LLK 0.7.12 ``augment_image/_enum.py`` (``Moods``) list the same 24 values.
EMOTION_MOODS: tuple[str, ...] = (
    "neutral", "happy", "sad", "angry", "scared", "surprised", "tired", "excited", "nervous", "thinking",
    "confused", "shy", "disgusted", "smug", "bored", "laughing", "irritated", "aroused", "embarrassed",
    "worried", "love", "determined", "hurt", "playful",
)
# bg-removal answers with three images (masked, generated, blend: CARU); every other tool with one.
BG_REMOVAL_IMAGES = 3
# The scales the legacy upscale shape takes (AED: "afaik only 2 and 4"); the image host always makes 2×.
UPSCALE_SCALES: tuple[int, ...] = (2, 4)
IMAGE_HOST_UPSCALE_SCALE = 2


class UpscaleRequest(BaseModel, frozen=True):
    """Make an image bigger: 2× (the image host, with the legacy API as fallback) or 4× (the legacy API only,
    the image host cannot make it; see ``novelai.tool_calls.upscale``)."""

    kind: Literal["upscale"] = "upscale"
    image: ImageRef
    # 2 by default: the only scale both shapes make, so the result does not depend on which one answered.
    scale: int = Field(IMAGE_HOST_UPSCALE_SCALE, ge=2, le=4)

    @property
    def expected_images(self) -> int:
        return 1


class ToolRequest(BaseModel, frozen=True):
    """One Director Tool on one image. ``prompt`` and ``defry`` only for colorize and emotion;
    ``emotion`` (one of ``EMOTION_MOODS``) only for, and required by, the emotion tool
    (``novelai.tool_rules.check_tool``)."""

    kind: Literal["tool"] = "tool"
    tool: ToolName
    image: ImageRef
    prompt: str = Field("", max_length=MAX_TOOL_PROMPT_CHARS)
    defry: int = Field(0, ge=0, le=MAX_DEFRY)
    emotion: str | None = Field(None, max_length=32)

    @property
    def expected_images(self) -> int:
        """How many images NovelAI answers with (a tool job still counts as one image for quotas)."""
        return BG_REMOVAL_IMAGES if self.tool == "bg-removal" else 1
