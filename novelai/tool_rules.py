"""What an upscale or a Director Tools request must be before it is queued or sent.

Checked on the ``ImageRef`` (the prepared image's size) and the request's fields, without the bytes:
the submit side calls these before it stores anything, the calls in ``novelai.tool_calls`` again
before sending. Every refusal is an ``InvalidRequest`` listing all its ``Problem``s, each with a
stable code and the values its sentence names.

Sources (``docs/novelai-api.md`` "Director Tools", ``/work/shared/novelai-2026.md`` §4.4, §4.6):
- Director Tools take inputs up to 3,145,728 px (NKDK), the largest size NovelAI makes.
- Upscale: the legacy shape refuses inputs above 1,048,576 px with a 400 (NKDK); the image-host shape
  prices inputs up to 3,145,728 px (IDX-PRICE's 1/2/3/4 Anlas table ends there), so that is its limit.
  Only the legacy shape makes 4× (the image host picks 2× itself: CARU), so 4× is limited to 1 MP.
- ``prompt`` and ``defry`` are sent only for colorize and emotion (CARU sends them for no other tool);
  the emotion tool's prompt is ``"<mood>;;<extra>"`` with one of the 24 moods (CARU ``Emotion``, NEKO
  ``EmotionOptions``, LLK ``Moods``). A ``;;`` in the extra text would be read as a second separator,
  so it is refused.
"""

from __future__ import annotations

from novelai.errors import InvalidRequest, Problem
from novelai.tools import EMOTION_MOODS, PROMPTED_TOOLS, UPSCALE_SCALES, ToolRequest, UpscaleRequest

MAX_TOOL_PIXELS = 3_145_728
MAX_UPSCALE_PIXELS = 3_145_728
MAX_LEGACY_UPSCALE_PIXELS = 1_048_576
EMOTION_SEPARATOR = ";;"


def _too_large(tool: str, width: int, height: int, max_pixels: int) -> Problem:
    pixels = width * height
    return Problem(
        "image", f"the image is {width}×{height} = {pixels:,} pixels, more than the {max_pixels:,} {tool} takes; "
                 f"use a smaller image",
        code="tool_image_too_large",
        params={"tool": tool, "width": width, "height": height, "pixels": pixels, "max_pixels": max_pixels})


def upscale_problems(req: UpscaleRequest) -> list[Problem]:
    """Everything wrong with an upscale request (empty when it may be sent)."""
    image = req.image
    problems: list[Problem] = []
    if req.scale not in UPSCALE_SCALES:
        problems.append(Problem("upscale", f"upscale by 2 or 4, not {req.scale}", code="upscale_scale",
                                params={"value": req.scale, "choices": UPSCALE_SCALES}))
    if image.pixels > MAX_UPSCALE_PIXELS:
        problems.append(_too_large("upscale", image.width, image.height, MAX_UPSCALE_PIXELS))
    elif req.scale == 4 and image.pixels > MAX_LEGACY_UPSCALE_PIXELS:
        problems.append(Problem(
            "upscale", f"4× upscaling takes at most {MAX_LEGACY_UPSCALE_PIXELS:,} pixels and the image is "
                     f"{image.width}×{image.height} = {image.pixels:,}; upscale it by 2 instead",
            code="upscale_4x_too_large",
            params={"width": image.width, "height": image.height, "pixels": image.pixels,
                    "max_pixels": MAX_LEGACY_UPSCALE_PIXELS}))
    return problems


def check_upscale(req: UpscaleRequest) -> UpscaleRequest:
    """The request itself when NovelAI would take it; else ``InvalidRequest`` with every problem."""
    problems = upscale_problems(req)
    if problems:
        raise InvalidRequest(problems)
    return req


def _not_for_tool(setting: str, tool: str) -> Problem:
    tools = tuple(sorted(PROMPTED_TOOLS)) if setting != "emotion" else ("emotion",)
    return Problem(setting, f"the {tool} tool takes no {setting}; the tools that do: {', '.join(tools)}",
                   code="tool_setting_not_allowed", params={"tool": tool, "setting": setting, "tools": tools})


def tool_problems(req: ToolRequest) -> list[Problem]:
    """Everything wrong with a Director Tools request (empty when it may be sent)."""
    image = req.image
    problems: list[Problem] = []
    if image.pixels > MAX_TOOL_PIXELS:
        problems.append(_too_large(req.tool, image.width, image.height, MAX_TOOL_PIXELS))
    if req.tool not in PROMPTED_TOOLS:
        if req.prompt:
            problems.append(_not_for_tool("prompt", req.tool))
        if req.defry:
            problems.append(_not_for_tool("defry", req.tool))
    if req.tool != "emotion":
        if req.emotion is not None:
            problems.append(_not_for_tool("emotion", req.tool))
        return problems
    if req.emotion is None:
        problems.append(Problem("emotion", f"the emotion tool needs a mood: one of {', '.join(EMOTION_MOODS)}",
                                code="emotion_required", params={"choices": EMOTION_MOODS}))
    elif req.emotion not in EMOTION_MOODS:
        problems.append(Problem("emotion", f"'{req.emotion}' is not a mood; use one of {', '.join(EMOTION_MOODS)}",
                                code="unknown_emotion", params={"value": req.emotion, "choices": EMOTION_MOODS}))
    if EMOTION_SEPARATOR in req.prompt:
        problems.append(Problem("prompt", f"the emotion tool's prompt may not contain '{EMOTION_SEPARATOR}'",
                                code="emotion_prompt_separator", params={"separator": EMOTION_SEPARATOR}))
    return problems


def check_tool(req: ToolRequest) -> ToolRequest:
    """The request itself when NovelAI would take it; else ``InvalidRequest`` with every problem."""
    problems = tool_problems(req)
    if problems:
        raise InvalidRequest(problems)
    return req


def emotion_prompt(req: ToolRequest) -> str:
    """The emotion tool's ``prompt`` field: ``"<mood>;;<extra>"`` (LLK's recorded request: ``"neutral;;"``)."""
    return f"{req.emotion}{EMOTION_SEPARATOR}{req.prompt}"
