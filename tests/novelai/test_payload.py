"""Request bodies: hand-written goldens per family, and the rules behind them (novelai-api.md §4)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from novelai.payload import build_payload
from novelai.request import CharacterPrompt, GenerationRequest

GOLDEN = Path(__file__).resolve().parents[1] / "golden"

# The fixed request behind each golden file. The goldens were written by hand from §4.3–§4.5.
GOLDEN_REQUESTS: dict[str, GenerationRequest] = {
    # SMEA DYN via the pseudo sampler; "nsfw" in the prompt drops it from the Heavy preset.
    "v3": GenerationRequest(prompt="1girl, nsfw, beach", negative="bad hands", model="nai-diffusion-3",
                            sampler="nai_smea_dyn", seed=1234567890),
    # Light preset; Variety+ 19 scaled to 1024×1024 = ceil(19.34) = 20.
    "furry-v3": GenerationRequest(prompt="fox, forest", model="furry-v3", width=1024, height=1024,
                                  uc_preset=1, variety=True, seed=42),
    "v4-curated": GenerationRequest(prompt="2girls, classroom", model="v4-curated", width=640, height=640,
                                    n_samples=2, seed=1407032209),
    # No quality tags, "None" preset, an unplaced character (centers 0.5, use_coords false).
    "v4-full": GenerationRequest(prompt="1girl, night city", negative="blurry", model="nai-diffusion-4-full",
                                 sampler="dpm++2m", steps=28, scale=6, noise_schedule="exponential",
                                 cfg_rescale=0.2, quality_tags=False, uc_preset=2, seed=7,
                                 characters=(CharacterPrompt.parse("girl, silver hair"),)),
    # Human Focus preset; Variety+ 58 at the reference size.
    "v4.5-curated": GenerationRequest(prompt="1boy, library, reading", model="v4.5-curated", uc_preset=2,
                                      variety=True, seed=99),
    "v4.5-full": GenerationRequest(prompt="2girls, classroom", negative="text", seed=3141592653,
                                   characters=(CharacterPrompt.parse("girl, red hair@B3|lowres"),
                                               CharacterPrompt.parse("girl, blue hair@D3"))),
    # V5 (docs/novelai-api.md "Request rules per model (issue 15)"): params_version 4, the preset ids
    # and tag hints instead of ucPreset/qualityToggle, straight_alpha, no skip_cfg_above_sigma,
    # legacy_uc inside v4_prompt. Light quality and V5's own Light UC text.
    "v5-full": GenerationRequest(prompt="1girl, hiking, mountains, sunset", negative="text", model="v5",
                                 width=1216, height=832, quality_preset="light", uc_preset=1, seed=5),
    # Human Focus (tag hint 4), standard quality (tag hint 1), dpm++2m with karras.
    "v5-curated": GenerationRequest(prompt="1boy, library, reading", model="v5-curated", sampler="dpm++2m",
                                    steps=28, scale=6, uc_preset=3, seed=99),
    # Medium: 14 steps and k_euler_ancestral filled in, Heavy UC, no negative.
    "v5-medium": GenerationRequest(prompt="1girl, cafe, window light", model="v5-medium", seed=314),
    # Seven characters (more than V4.5's six) at free positions, kept as given (0.05 is off the
    # V4 grid's 0.1–0.9), one left to the AI.
    "v5-characters": GenerationRequest(
        prompt="7girls, group photo, park", model="v5", seed=2718,
        characters=tuple(CharacterPrompt.parse(spec) for spec in (
            "girl, red hair@0.05,0.5|bad hands", "girl, blue hair@0.2,0.45", "girl, green hair@0.35,0.5",
            "girl, black hair@0.5,0.55", "girl, white hair@0.65,0.5", "girl, pink hair@0.8,0.45",
            "girl, blonde hair"))),
    # Transparent background: the tag hint on; no quality tags ("none", 0), UC "none" (0).
    "v5-transparent": GenerationRequest(prompt="1girl, standing, full body", model="v5", quality_tags=False,
                                        uc_preset=4, transparent=True, seed=8),
}


def _body(**fields: Any) -> dict[str, Any]:
    fields.setdefault("prompt", "1girl")
    fields.setdefault("seed", 1)
    return build_payload(GenerationRequest(**fields).resolved())


@pytest.mark.parametrize("name", list(GOLDEN_REQUESTS))
def test_payload_matches_golden(name: str) -> None:
    expected = json.loads((GOLDEN / f"{name}.json").read_text())
    actual = json.loads(json.dumps(build_payload(GOLDEN_REQUESTS[name].resolved())))
    assert actual == expected
    assert list(actual["parameters"]) == list(expected["parameters"])


# Goldens of other bodies, checked by their own tests: images in (test_image_payload.py) and the tools
# (test_tools_*.py).
OTHER_GOLDEN_PREFIXES = ("img2img-", "infill-", "vibe-", "reference-", "upscale-", "tool-")


def test_every_golden_file_has_a_request() -> None:
    text_to_image = {p.stem for p in GOLDEN.glob("*.json") if not p.stem.startswith(OTHER_GOLDEN_PREFIXES)}
    assert text_to_image == set(GOLDEN_REQUESTS)


def test_unresolved_request_without_seed_is_refused() -> None:
    with pytest.raises(ValueError, match="resolved"):
        build_payload(GenerationRequest(prompt="1girl"))


def test_request_with_seed_but_unresolved_defaults_is_refused() -> None:
    with pytest.raises(ValueError, match="resolved"):
        build_payload(GenerationRequest(prompt="1girl", model="v4.5", seed=5))


def test_stream_adds_msgpack_switch_and_nothing_else() -> None:
    req = GenerationRequest(prompt="1girl", seed=1).resolved()
    plain, streamed = build_payload(req), build_payload(req, stream=True)
    assert streamed["parameters"].pop("stream") == "msgpack"
    assert streamed == plain
    assert "stream" not in plain["parameters"]


def test_v4_request_without_characters_sets_use_coords_false() -> None:
    params = _body()["parameters"]
    assert params["use_coords"] is False
    assert params["v4_prompt"]["use_coords"] is False
    assert params["characterPrompts"] == []


def test_any_positioned_character_sets_use_coords_true() -> None:
    params = _body(characters=(CharacterPrompt(prompt="a"), CharacterPrompt(prompt="b", center=(0.9, 0.1))))[
        "parameters"]
    assert params["use_coords"] is True and params["v4_prompt"]["use_coords"] is True
    assert params["characterPrompts"][0]["center"] == {"x": 0.5, "y": 0.5}
    assert params["characterPrompts"][1]["center"] == {"x": 0.9, "y": 0.1}


def test_char_captions_stay_in_step_with_character_prompts() -> None:
    characters = tuple(CharacterPrompt.parse(spec) for spec in ("a@A1|x", "b", "c@E5|z"))
    params = _body(characters=characters)["parameters"]
    positive = params["v4_prompt"]["caption"]["char_captions"]
    negative = params["v4_negative_prompt"]["caption"]["char_captions"]
    assert len(positive) == len(negative) == len(params["characterPrompts"]) == 3
    for flat, pos, neg in zip(params["characterPrompts"], positive, negative, strict=True):
        assert pos == {"char_caption": flat["prompt"], "centers": [flat["center"]]}
        assert neg == {"char_caption": flat["uc"], "centers": [flat["center"]]}


def test_v4_input_and_base_caption_carry_the_same_prompt_with_quality_tags() -> None:
    body = _body(prompt="1girl, beach")
    assert body["input"] == "1girl, beach, very aesthetic, masterpiece, no text"
    assert body["parameters"]["v4_prompt"]["caption"]["base_caption"] == body["input"]
    assert body["parameters"]["v4_negative_prompt"]["caption"]["base_caption"] == (
        body["parameters"]["negative_prompt"])


def test_quality_tags_off_sends_the_prompt_unchanged() -> None:
    body = _body(prompt="1girl, beach", quality_tags=False)
    assert body["input"] == "1girl, beach"
    assert body["parameters"]["qualityToggle"] is False


def test_quality_tags_do_not_double_a_trailing_comma() -> None:
    assert _body(prompt="1girl, beach,")["input"] == "1girl, beach, very aesthetic, masterpiece, no text"


def test_uc_preset_text_comes_before_the_user_negative() -> None:
    negative = _body(negative="extra fingers", uc_preset=1)["parameters"]["negative_prompt"]
    assert negative.startswith("nsfw, lowres, artistic error")
    assert negative.endswith(", blank page, extra fingers")


def test_none_preset_on_v4_sends_only_the_user_negative() -> None:
    assert _body(model="v4", uc_preset=2, negative="blurry")["parameters"]["negative_prompt"] == "blurry"
    assert _body(model="v4", uc_preset=2)["parameters"]["negative_prompt"] == ""


def test_nsfw_prompt_removes_nsfw_from_the_preset_only() -> None:
    negative = _body(prompt="1girl, NSFW", negative="nsfw, text")["parameters"]["negative_prompt"]
    assert negative.startswith("lowres, artistic error")
    assert negative.endswith(", nsfw, text")


def test_prompt_without_nsfw_keeps_the_preset_nsfw() -> None:
    assert _body(prompt="nsfwish, 1girl")["parameters"]["negative_prompt"].startswith("nsfw, ")


def test_v3_body_has_smea_flags_and_no_v4_objects() -> None:
    params = _body(model="v3", smea=True)["parameters"]
    assert (params["sm"], params["sm_dyn"]) == (True, False)
    assert not {"v4_prompt", "v4_negative_prompt", "legacy_uc", "inpaintImg2ImgStrength"} & set(params)


def test_v4_body_has_no_smea_flags() -> None:
    assert not {"sm", "sm_dyn"} & set(_body(model="v4")["parameters"])


@pytest.mark.parametrize(("model", "present"), [("v4", False), ("v4.5", True), ("v5", True)])
def test_inpaint_strength_is_sent_from_v45_on(model: str, present: bool) -> None:
    assert ("inpaintImg2ImgStrength" in _body(model=model)["parameters"]) is present


@pytest.mark.parametrize(("model", "width", "height", "sigma"), [
    ("v3", 832, 1216, 19), ("v4", 832, 1216, 19), ("v4.5", 832, 1216, 58),
    ("v4.5", 1024, 1024, 60), ("v4.5", 640, 640, 37), ("v3", 1024, 1024, 20),
])
def test_variety_sigma_is_scaled_by_image_size(model: str, width: int, height: int, sigma: int) -> None:
    params = _body(model=model, width=width, height=height, variety=True)["parameters"]
    assert params["skip_cfg_above_sigma"] == sigma


def test_variety_off_sends_null() -> None:
    assert _body()["parameters"]["skip_cfg_above_sigma"] is None


def test_future_model_id_gets_the_v4_style_body() -> None:
    body = _body(model="nai-diffusion-6-full")
    assert body["model"] == "nai-diffusion-6-full"
    assert "v4_prompt" in body["parameters"] and "sm" not in body["parameters"]
