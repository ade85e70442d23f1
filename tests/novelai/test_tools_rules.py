"""The rules of upscale and Director Tools requests (novelai.tool_rules): one test per rule."""

from __future__ import annotations

import pytest
from novelai_python.sdk.ai.augment_image._enum import Moods

from novelai.errors import InvalidRequest
from novelai.tool_rules import check_tool, check_upscale, emotion_prompt
from novelai.tools import EMOTION_MOODS, TOOL_NAMES, ToolRequest, UpscaleRequest
from tests.novelai.tool_images import sized_ref

SQUARE = sized_ref(1024, 1024)


def codes(trigger: object) -> list[str]:
    with pytest.raises(InvalidRequest) as caught:
        assert callable(trigger)
        trigger()
    return [p.code for p in caught.value.problems]


def test_upscale_defaults_to_twice_the_size_which_both_shapes_make() -> None:
    assert UpscaleRequest(image=SQUARE).scale == 2


def test_upscale_by_three_is_refused() -> None:
    assert codes(lambda: check_upscale(UpscaleRequest(image=SQUARE, scale=3))) == ["upscale_scale"]


@pytest.mark.parametrize("scale", [2, 4])
def test_upscale_by_two_or_four_of_one_megapixel_is_accepted(scale: int) -> None:
    req = UpscaleRequest(image=SQUARE, scale=scale)
    assert check_upscale(req) is req


def test_upscale_takes_up_to_3145728_pixels() -> None:
    check_upscale(UpscaleRequest(image=sized_ref(2048, 1536)))
    with pytest.raises(InvalidRequest) as caught:
        check_upscale(UpscaleRequest(image=sized_ref(2048, 1537)))
    [problem] = caught.value.problems
    assert problem.code == "tool_image_too_large"
    assert problem.params == {"tool": "upscale", "width": 2048, "height": 1537, "pixels": 2048 * 1537,
                              "max_pixels": 3_145_728}


def test_upscale_by_four_is_refused_above_one_megapixel_where_only_the_image_host_could_take_it() -> None:
    assert codes(lambda: check_upscale(UpscaleRequest(image=sized_ref(1024, 1025), scale=4))) == [
        "upscale_4x_too_large"]
    check_upscale(UpscaleRequest(image=sized_ref(1024, 1025), scale=2))


@pytest.mark.parametrize("tool", TOOL_NAMES)
def test_every_tool_takes_up_to_3145728_pixels(tool: str) -> None:
    emotion = "happy" if tool == "emotion" else None
    check_tool(ToolRequest(tool=tool, image=sized_ref(1024, 3072), emotion=emotion))
    assert codes(lambda: check_tool(ToolRequest(tool=tool, image=sized_ref(1025, 3072), emotion=emotion))) == [
        "tool_image_too_large"]


@pytest.mark.parametrize("tool", sorted(set(TOOL_NAMES) - {"colorize", "emotion"}))
def test_prompt_and_defry_are_refused_on_tools_that_take_none(tool: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        check_tool(ToolRequest(tool=tool, image=SQUARE, prompt="red hair", defry=2))
    assert [(p.field, p.code) for p in caught.value.problems] == [
        ("prompt", "tool_setting_not_allowed"), ("defry", "tool_setting_not_allowed")]
    assert caught.value.problems[0].params == {"tool": tool, "setting": "prompt", "tools": ("colorize", "emotion")}


def test_colorize_takes_a_prompt_and_defry() -> None:
    check_tool(ToolRequest(tool="colorize", image=SQUARE, prompt="red hair", defry=5))


def test_a_mood_is_refused_on_other_tools() -> None:
    assert codes(lambda: check_tool(ToolRequest(tool="colorize", image=SQUARE, emotion="happy"))) == [
        "tool_setting_not_allowed"]


def test_emotion_needs_a_mood() -> None:
    assert codes(lambda: check_tool(ToolRequest(tool="emotion", image=SQUARE))) == ["emotion_required"]


def test_emotion_refuses_an_unknown_mood() -> None:
    with pytest.raises(InvalidRequest) as caught:
        check_tool(ToolRequest(tool="emotion", image=SQUARE, emotion="grumpy"))
    [problem] = caught.value.problems
    assert problem.code == "unknown_emotion" and problem.params["value"] == "grumpy"
    assert problem.params["choices"] == EMOTION_MOODS


def test_the_24_moods_are_those_of_the_sdks() -> None:
    # LLK 0.7.12 (installed) lists the same moods as CARU constants/tools.py and NEKO EmotionOptions.
    assert len(EMOTION_MOODS) == 24
    assert tuple(mood.value for mood in Moods) == EMOTION_MOODS


@pytest.mark.parametrize("mood", EMOTION_MOODS)
def test_every_mood_is_accepted(mood: str) -> None:
    check_tool(ToolRequest(tool="emotion", image=SQUARE, emotion=mood, prompt="tears", defry=1))


def test_emotion_prompt_may_not_contain_the_separator() -> None:
    assert codes(lambda: check_tool(ToolRequest(tool="emotion", image=SQUARE, emotion="sad", prompt="a;;b"))) == [
        "emotion_prompt_separator"]


def test_emotion_prompt_is_mood_then_separator_then_extra() -> None:
    assert emotion_prompt(ToolRequest(tool="emotion", image=SQUARE, emotion="neutral")) == "neutral;;"
    assert emotion_prompt(ToolRequest(tool="emotion", image=SQUARE, emotion="shy", prompt="blush")) == "shy;;blush"


def test_every_problem_is_listed_at_once() -> None:
    req = ToolRequest(tool="lineart", image=sized_ref(4096, 4096), prompt="x", defry=1, emotion="happy")
    assert codes(lambda: check_tool(req)) == [
        "tool_image_too_large", "tool_setting_not_allowed", "tool_setting_not_allowed", "tool_setting_not_allowed"]
