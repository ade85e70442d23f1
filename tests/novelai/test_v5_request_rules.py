"""The request rules issue 15 brought: V5's own (22 free characters, karras only, no Variety+,
transparency, the light quality preset, Medium's fixed settings) and the ones for every model (each
side at most 2048, the website's samplers per family, no schedule for schedule-less samplers)."""

from __future__ import annotations

from typing import Any

import pytest

from novelai.errors import InvalidRequest
from novelai.payload import build_payload
from novelai.request import CharacterPrompt, GenerationRequest


def _codes(**fields: Any) -> list[str]:
    fields.setdefault("prompt", "1girl")
    with pytest.raises(InvalidRequest) as error:
        GenerationRequest(**fields).resolved()
    return [problem.code for problem in error.value.problems]


def _params(**fields: Any) -> dict[str, Any]:
    fields.setdefault("prompt", "1girl")
    fields.setdefault("seed", 1)
    return build_payload(GenerationRequest(**fields).resolved())["parameters"]


@pytest.mark.parametrize(("width", "height"), [(4096, 768), (768, 4096), (2112, 1024)])
def test_a_side_over_2048_is_refused_even_when_the_area_fits(width: int, height: int) -> None:
    assert "side_range" in _codes(width=width, height=height)


def test_a_2048_side_is_accepted() -> None:
    assert GenerationRequest(prompt="1girl", width=2048, height=1536).resolved().width == 2048


@pytest.mark.parametrize("model", ["v4", "v4.5", "v5", "v5-curated"])
@pytest.mark.parametrize("sampler", ["k_dpm_2", "k_dpm_2_ancestral", "k_lms", "k_heun", "ddim_v3"])
def test_samplers_the_website_does_not_offer_on_v4_and_later_are_refused(model: str, sampler: str) -> None:
    assert _codes(model=model, sampler=sampler) == ["sampler_not_on_model"]


@pytest.mark.parametrize("sampler", ["k_dpm_2_ancestral", "k_lms", "k_heun", "ddim_v3"])
def test_schedule_less_samplers_send_no_noise_schedule(sampler: str) -> None:
    params = _params(model="v3", sampler=sampler)
    assert "noise_schedule" not in params


def test_a_schedule_given_to_a_schedule_less_sampler_is_refused() -> None:
    assert _codes(model="v3", sampler="k_lms", noise_schedule="karras") == ["sampler_without_schedule"]


@pytest.mark.parametrize("schedule", ["exponential", "polyexponential", "native"])
def test_v5_takes_only_the_karras_schedule(schedule: str) -> None:
    assert _codes(model="v5", noise_schedule=schedule) == ["schedule_not_on_model"]
    assert _params(model="v5", noise_schedule="karras")["noise_schedule"] == "karras"


def test_variety_is_refused_on_v5_and_never_sent() -> None:
    assert _codes(model="v5", variety=True) == ["variety_not_on_model"]
    assert "skip_cfg_above_sigma" not in _params(model="v5")


@pytest.mark.parametrize("model", ["v5", "v5-curated", "v5-medium"])
def test_v5_bodies_have_params_version_4_preset_ids_and_no_sm(model: str) -> None:
    params = _params(model=model)
    assert params["params_version"] == 4
    assert "sm" not in params and "sm_dyn" not in params
    assert "ucPreset" not in params and "qualityToggle" not in params
    assert (params["ucPresetId"], params["tag_hint_uc_preset"]) == ("heavy", 2)
    assert (params["qualityPresetId"], params["tag_hint_qt"]) == ("standard", 1)
    assert params["v4_prompt"]["legacy_uc"] is False


def test_v4_5_body_keeps_params_version_3_and_the_integer_presets() -> None:
    params = _params(model="v4.5")
    assert (params["params_version"], params["ucPreset"], params["qualityToggle"]) == (3, 0, True)
    assert "ucPresetId" not in params and "legacy_uc" not in params["v4_prompt"]


def test_v5_takes_22_characters_and_v4_5_six() -> None:
    seven = tuple(CharacterPrompt(prompt=f"girl {i}") for i in range(7))
    assert _codes(model="v4.5", characters=seven) == ["too_many_characters"]
    assert len(_params(model="v5", characters=seven)["characterPrompts"]) == 7
    many = tuple(CharacterPrompt(prompt=f"girl {i}") for i in range(23))
    assert _codes(model="v5", characters=many) == ["too_many_characters"]
    assert len(_params(model="v5", characters=many[:22])["characterPrompts"]) == 22


def test_v5_keeps_free_positions_and_v4_5_pulls_them_into_the_grid() -> None:
    edge = (CharacterPrompt.parse("girl@0.05,0.97"),)
    assert _params(model="v5", characters=edge)["characterPrompts"][0]["center"] == {"x": 0.05, "y": 0.97}
    assert _params(model="v4.5", characters=edge)["characterPrompts"][0]["center"] == {"x": 0.1, "y": 0.9}


def test_transparency_sends_the_background_hint_on_v5_and_is_refused_before_v5() -> None:
    params = _params(model="v5", transparent=True)
    assert (params["straight_alpha"], params["tag_hint_transparent_background"]) == (True, True)
    assert _params(model="v5")["tag_hint_transparent_background"] is False
    assert _codes(model="v4.5", transparent=True) == ["transparency_not_on_model"]
    assert "straight_alpha" not in _params(model="v4.5")


def test_v5_light_quality_preset_sends_v5s_light_tags() -> None:
    body = build_payload(GenerationRequest(prompt="1girl", model="v5", quality_preset="light", seed=1).resolved())
    assert body["input"] == "1girl, very aesthetic, amazing quality, no text"
    assert (body["parameters"]["qualityPresetId"], body["parameters"]["tag_hint_qt"]) == ("light", 3)
    assert _codes(model="v4.5", quality_preset="light") == ["light_quality_not_on_model"]


def test_v5_light_uc_preset_is_v5s_own_text() -> None:
    params = _params(model="v5", uc_preset=1)
    assert params["negative_prompt"].startswith("nsfw, lowres, bad hands, bad anatomy, artistic error, sepia")
    assert (params["ucPresetId"], params["tag_hint_uc_preset"]) == ("light", 3)


def test_v5_medium_runs_its_fixed_settings() -> None:
    params = _params(model="v5-medium")
    assert (params["steps"], params["sampler"], params["ucPresetId"]) == (14, "k_euler_ancestral", "heavy")


@pytest.mark.parametrize(("fields", "field"), [
    ({"steps": 28}, "steps"), ({"sampler": "dpm++2m"}, "sampler"), ({"uc_preset": 1}, "uc_preset"),
    ({"negative": "lowres"}, "negative"), ({"characters": (CharacterPrompt.parse("girl|bad hands"),)}, "negative"),
])
def test_v5_medium_refuses_what_it_fixes(fields: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidRequest) as error:
        GenerationRequest(prompt="1girl", model="v5-medium", **fields).resolved()
    [problem] = error.value.problems
    assert problem.field == field
    assert problem.code in ("fixed_by_model", "negative_not_on_model")
    assert "V5 Full Medium" in problem.message


def test_v5_medium_accepts_its_own_values_set_explicitly() -> None:
    req = GenerationRequest(prompt="1girl", model="v5-medium", steps=14, sampler="euler_a").resolved()
    assert (req.steps, req.sampler) == (14, "k_euler_ancestral")
