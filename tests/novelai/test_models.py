"""Model, sampler and size lookups: what users type becomes what NovelAI expects."""

from __future__ import annotations

import pytest

from novelai.errors import InvalidRequest
from novelai.models import (
    MODELS,
    NOISE_SCHEDULES,
    SAMPLERS,
    SIZE_PRESETS,
    Family,
    family_of,
    parse_size,
    resolve_model,
    resolve_sampler,
    sampler_smea_flags,
)

V3 = MODELS["nai-diffusion-3"]
V45 = MODELS["nai-diffusion-4-5-full"]


def _only_problem(error: pytest.ExceptionInfo[InvalidRequest]) -> tuple[str, str]:
    [problem] = error.value.problems
    return problem.field, problem.message


@pytest.mark.parametrize(("model_id", "family"), [
    ("nai-diffusion-3", Family.V3),
    ("nai-diffusion-furry-3", Family.V3),
    ("nai-diffusion-4-curated-preview", Family.V4),
    ("nai-diffusion-4-full", Family.V4),
    ("nai-diffusion-4-5-curated", Family.V4_5),
    ("nai-diffusion-4-5-full", Family.V4_5),
    ("nai-diffusion-5-full", Family.V5),
    ("nai-diffusion-5-curated", Family.V5),
    ("nai-diffusion-5-full-medium", Family.V5),
])
def test_family_of_known_ids(model_id: str, family: Family) -> None:
    assert family_of(model_id) is family
    assert MODELS[model_id].family is family


@pytest.mark.parametrize(("model_id", "family"), [
    ("nai-diffusion-5-foo", Family.V5),
    ("nai-diffusion-6-full", Family.V5),
    ("nai-diffusion-4-7-curated", Family.V4_5),
    ("nai-diffusion-4-other", Family.V4),
])
def test_family_of_future_ids_follows_the_version_number(model_id: str, family: Family) -> None:
    assert family_of(model_id) is family


@pytest.mark.parametrize("model_id", ["stable-diffusion-xl", "nai-diffusion", "diffusion-4", ""])
def test_family_of_unknown_id_lists_the_known_models(model_id: str) -> None:
    with pytest.raises(InvalidRequest) as error:
        family_of(model_id)
    field, message = _only_problem(error)
    assert field == "model"
    assert "v4.5" in message and "v3" in message and "v5" in message


@pytest.mark.parametrize("model_id", ["nai-diffusion-2", "nai-diffusion-furry-1"])
def test_family_of_legacy_models_is_refused_with_a_reason(model_id: str) -> None:
    with pytest.raises(InvalidRequest) as error:
        family_of(model_id)
    assert "legacy" in _only_problem(error)[1]


@pytest.mark.parametrize(("name", "model_id"), [
    ("v3", "nai-diffusion-3"),
    ("furry-v3", "nai-diffusion-furry-3"),
    ("furry3", "nai-diffusion-furry-3"),
    ("v4", "nai-diffusion-4-full"),
    ("v4-full", "nai-diffusion-4-full"),
    ("v4-curated", "nai-diffusion-4-curated-preview"),
    ("v4.5", "nai-diffusion-4-5-full"),
    ("v45", "nai-diffusion-4-5-full"),
    ("v4.5-full", "nai-diffusion-4-5-full"),
    ("v4.5-curated", "nai-diffusion-4-5-curated"),
    ("v5", "nai-diffusion-5-full"),
    ("v5-curated", "nai-diffusion-5-curated"),
    ("v5-medium", "nai-diffusion-5-full-medium"),
    ("V4.5", "nai-diffusion-4-5-full"),
    (" Furry_V3 ", "nai-diffusion-furry-3"),
    ("NAI-Diffusion-4-5-Curated", "nai-diffusion-4-5-curated"),
])
def test_resolve_model_accepts_aliases_and_ids_in_any_case(name: str, model_id: str) -> None:
    assert resolve_model(name).id == model_id


def test_resolve_model_future_id_borrows_nearest_known_model() -> None:
    future = resolve_model("nai-diffusion-6-full")
    assert future.id == "nai-diffusion-6-full"
    assert future.family is Family.V5
    assert future.uses_v4_prompt
    assert future.uc_presets == MODELS["nai-diffusion-5-full"].uc_presets


def test_resolve_model_future_curated_id_borrows_curated_conventions() -> None:
    future = resolve_model("nai-diffusion-4-5-curated-v2")
    assert future.curated
    assert future.quality_tags == MODELS["nai-diffusion-4-5-curated"].quality_tags


def test_resolve_model_unknown_name_is_a_friendly_problem() -> None:
    with pytest.raises(InvalidRequest) as error:
        resolve_model("midjourney")
    field, message = _only_problem(error)
    assert field == "model"
    assert "'midjourney'" in message and "v4.5-curated" in message


def test_resolve_model_refuses_inpainting_models_for_text_to_image() -> None:
    with pytest.raises(InvalidRequest) as error:
        resolve_model("nai-diffusion-4-5-full-inpainting")
    assert "inpainting" in _only_problem(error)[1]


@pytest.mark.parametrize("model", list(MODELS.values()), ids=list(MODELS))
def test_model_capabilities_follow_the_family(model) -> None:
    is_v3 = model.family is Family.V3
    assert model.supports_smea is is_v3
    assert model.uses_v4_prompt is not is_v3
    assert model.max_characters == (0 if is_v3 else 22 if model.family is Family.V5 else 6)
    assert model.default_sampler in SAMPLERS
    assert model.default_noise_schedule in NOISE_SCHEDULES
    assert model.uc_presets[-1][0] == "None"


@pytest.mark.parametrize(("model_id", "names"), [
    ("nai-diffusion-3", ["Heavy", "Light", "Human Focus", "None"]),
    ("nai-diffusion-4-full", ["Heavy", "Light", "None"]),
    ("nai-diffusion-4-curated-preview", ["Heavy", "Light", "None"]),
    ("nai-diffusion-4-5-curated", ["Heavy", "Light", "Human Focus", "None"]),
    ("nai-diffusion-4-5-full", ["Heavy", "Light", "Furry Focus", "Human Focus", "None"]),
])
def test_uc_presets_are_in_website_index_order(model_id: str, names: list[str]) -> None:
    assert [name for name, _ in MODELS[model_id].uc_presets] == names


def test_heavy_presets_match_the_documented_texts() -> None:
    assert MODELS["nai-diffusion-4-full"].uc_presets[0][1] == (
        "nsfw, blurry, lowres, error, film grain, scan artifacts, worst quality, bad quality, "
        "jpeg artifacts, very displeasing, chromatic aberration, multiple views, logo, too many watermarks, "
        "white blank page, blank page")
    assert MODELS["nai-diffusion-3"].uc_presets[0][1].endswith("username, scan, [abstract]")
    assert V45.uc_presets[0][1].startswith("nsfw, lowres, artistic error, film grain")


@pytest.mark.parametrize(("model_id", "tags"), [
    ("nai-diffusion-3", "best quality, amazing quality, very aesthetic, absurdres"),
    ("nai-diffusion-furry-3", "{best quality}, {amazing quality}"),
    ("nai-diffusion-4-curated-preview", "rating:general, best quality, very aesthetic, absurdres"),
    ("nai-diffusion-4-full", "no text, best quality, very aesthetic, absurdres"),
    ("nai-diffusion-4-5-curated",
     "very aesthetic, masterpiece, no text, -0.8::feet::, rating:general"),
    ("nai-diffusion-4-5-full", "very aesthetic, masterpiece, no text"),
])
def test_quality_tags_match_the_documented_texts(model_id: str, tags: str) -> None:
    assert MODELS[model_id].quality_tags == tags


@pytest.mark.parametrize("model_id", [
    "nai-diffusion-5-full", "nai-diffusion-5-curated", "nai-diffusion-5-full-medium",
])
def test_v5_models_have_v5s_own_light_uc_preset_and_v45_fulls_others(model_id: str) -> None:
    v5 = MODELS[model_id]
    assert v5.quality_tags == V45.quality_tags
    assert [name for name, _ in v5.uc_presets] == [name for name, _ in V45.uc_presets]
    assert v5.uc_presets[1][1] == ("nsfw, lowres, bad hands, bad anatomy, artistic error, sepia, white haze, "
                                   "worst quality, very displeasing, jpeg artifacts, 0::ai-generated::")
    assert [v5.uc_presets[i] for i in (0, 2, 3, 4)] == [V45.uc_presets[i] for i in (0, 2, 3, 4)]


@pytest.mark.parametrize(("name", "sampler"), [
    ("euler", "k_euler"),
    ("k_euler", "k_euler"),
    ("euler_a", "k_euler_ancestral"),
    ("k_euler_a", "k_euler_ancestral"),
    ("Euler Ancestral", "k_euler_ancestral"),
    ("dpm++2m", "k_dpmpp_2m"),
    ("DPM++ 2M", "k_dpmpp_2m"),
    ("dpm++2s_a", "k_dpmpp_2s_ancestral"),
    ("dpm++sde", "k_dpmpp_sde"),
    ("dpm++2m_sde", "k_dpmpp_2m_sde"),
    ("k_dpm_2", "k_dpm_2"),
    ("ddim", "ddim_v3"),
    ("ddim_v3", "ddim_v3"),
])
def test_resolve_sampler_aliases(name: str, sampler: str) -> None:
    assert resolve_sampler(name, V3) == sampler


@pytest.mark.parametrize(("name", "flags"), [
    ("nai_smea", (True, False)), ("nai_smea_dyn", (True, True)), ("smea", (True, False)),
    ("k_euler_ancestral", (False, False)), ("nonsense", (False, False)),
])
def test_smea_samplers_become_euler_ancestral_plus_flags_on_v3(name: str, flags: tuple[bool, bool]) -> None:
    assert sampler_smea_flags(name) == flags
    if flags[0]:
        assert resolve_sampler(name, V3) == "k_euler_ancestral"


def test_smea_sampler_on_v4_is_refused() -> None:
    with pytest.raises(InvalidRequest) as error:
        resolve_sampler("nai_smea", V45)
    field, message = _only_problem(error)
    assert field == "sampler" and "V3" in message


@pytest.mark.parametrize("name", ["plms", "k_dpm_fast", "turbo"])
def test_unknown_or_broken_sampler_is_refused_with_the_choices(name: str) -> None:
    with pytest.raises(InvalidRequest) as error:
        resolve_sampler(name, V45)
    field, message = _only_problem(error)
    assert field == "sampler"
    assert f"'{name}'" in message and "k_euler_ancestral" in message


@pytest.mark.parametrize(("text", "size"), [
    ("portrait", (832, 1216)),
    ("landscape", (1216, 832)),
    ("square", (1024, 1024)),
    ("small-portrait", (512, 768)),
    ("small-landscape", (768, 512)),
    ("small-square", (640, 640)),
    ("large-portrait", (1024, 1536)),
    ("large-landscape", (1536, 1024)),
    ("large-square", (1472, 1472)),
    ("wallpaper", (1088, 1920)),
    ("wallpaper-landscape", (1920, 1088)),
    ("Small Portrait", (512, 768)),
    ("portrait_large", (1024, 1536)),
    ("832x1216", (832, 1216)),
    ("832X1216", (832, 1216)),
    ("1024*1024", (1024, 1024)),
    ("1216×832", (1216, 832)),
    (" 640 x 640 ", (640, 640)),
])
def test_parse_size_accepts_presets_and_width_by_height(text: str, size: tuple[int, int]) -> None:
    assert parse_size(text) == size


def test_every_size_preset_is_a_valid_novelai_size() -> None:
    for width, height in SIZE_PRESETS.values():
        assert width % 64 == 0 and height % 64 == 0


@pytest.mark.parametrize("text", ["huge", "832", "832x", "x1216", "832x-64", "8.5x11", ""])
def test_parse_size_refuses_garbage_and_shows_how_to_write_it(text: str) -> None:
    with pytest.raises(InvalidRequest) as error:
        parse_size(text)
    field, message = _only_problem(error)
    assert field == "size"
    assert "832x1216" in message and "portrait" in message
