"""The rules of requests with images (novelai.image_rules via GenerationRequest.resolved()), §4.1–§4.5."""

from __future__ import annotations

from typing import Any

import pytest

from novelai.errors import InvalidRequest
from novelai.image_rules import INPAINTING_MODELS, inpainting_model
from novelai.inputs import MAX_REFERENCES, MAX_VIBES
from novelai.models import MODELS, resolve_model
from novelai.request import GenerationRequest
from tests.novelai.image_fixtures import ref, reference, vibe


def _codes(**fields: Any) -> dict[str, str]:
    """Resolve a request that must fail; {code: field} of its problems."""
    fields.setdefault("prompt", "1girl")
    with pytest.raises(InvalidRequest) as error:
        GenerationRequest(**fields).resolved()
    return {p.code: p.field for p in error.value.problems}


def _resolved(**fields: Any) -> GenerationRequest:
    fields.setdefault("prompt", "1girl")
    return GenerationRequest(**fields).resolved()


# --- what passes, and the defaults it gets ---------------------------------------------------------

def test_img2img_gets_the_website_strength_and_noise() -> None:
    req = _resolved(image=ref("a"))
    assert (req.strength, req.noise, req.inpaint_strength) == (0.7, 0.0, None)


def test_infill_gets_the_website_mask_strength() -> None:
    req = _resolved(image=ref("a"), mask=ref("m"))
    assert (req.strength, req.noise, req.inpaint_strength) == (0.7, 0.0, 0.85)


def test_text_to_image_keeps_no_image_settings() -> None:
    req = _resolved()
    assert (req.strength, req.noise, req.inpaint_strength) == (None, None, None)


def test_resolving_an_image_request_twice_changes_nothing() -> None:
    req = _resolved(image=ref("a"), mask=ref("m"), strength=0.4, vibes=(vibe("v"),))
    assert req.resolved() == req


@pytest.mark.parametrize("model", ["v3", "v4", "v4.5", "v4-curated"])
def test_vibes_are_taken_on_v3_v4_and_v4_5(model: str) -> None:
    assert _resolved(model=model, vibes=tuple(vibe(f"v{i}") for i in range(MAX_VIBES))).vibes


@pytest.mark.parametrize("model", ["v4.5", "v4.5-curated", "v5", "v5-curated"])
def test_references_are_taken_on_v4_5_and_v5_full_and_curated(model: str) -> None:
    assert _resolved(model=model, references=(reference("r"),)).references


@pytest.mark.parametrize("model", sorted(INPAINTING_MODELS))
def test_every_known_model_can_inpaint(model: str) -> None:
    assert _resolved(model=model, image=ref("a"), mask=ref("m")).mask is not None


def test_every_model_in_the_catalogue_has_an_inpainting_id() -> None:
    assert set(MODELS) == set(INPAINTING_MODELS)


def test_v4_curated_inpaints_with_the_id_without_preview() -> None:
    assert inpainting_model(resolve_model("v4-curated")) == "nai-diffusion-4-curated-inpainting"


# --- refusals ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("fields", "code", "field"), [
    ({"strength": 0.0}, "strength_range", "strength"),
    ({"strength": 1.0}, "strength_range", "strength"),
    ({"noise": 1.0}, "noise_range", "noise"),
    ({"noise": -0.1}, "noise_range", "noise"),
])
def test_image_settings_out_of_range_are_refused(fields: dict[str, Any], code: str, field: str) -> None:
    assert _codes(image=ref("a"), **fields)[code] == field


def test_inpaint_strength_out_of_range_is_refused() -> None:
    assert _codes(image=ref("a"), mask=ref("m"), inpaint_strength=1.5)["inpaint_strength_range"] == "inpaint_strength"


def test_a_mask_without_an_image_is_refused() -> None:
    assert _codes(mask=ref("m"))["mask_without_image"] == "mask"


@pytest.mark.parametrize("field", ["strength", "noise"])
def test_image_settings_without_an_image_are_refused(field: str) -> None:
    assert _codes(**{field: 0.5})["setting_without_image"] == field


def test_inpaint_strength_without_a_mask_is_refused() -> None:
    assert "inpaint_strength_without_mask" in _codes(image=ref("a"), inpaint_strength=0.5)


@pytest.mark.parametrize("field", ["image", "mask"])
def test_an_input_not_at_the_request_size_is_refused(field: str) -> None:
    images = {"image": ref("a"), "mask": ref("m"), field: ref(field, 1024, 1024)}
    assert _codes(**images)["image_size_mismatch"] == field


def test_vibes_with_references_are_refused() -> None:
    assert _codes(vibes=(vibe("v"),), references=(reference("r"),))["vibes_with_references"] == "vibes"


@pytest.mark.parametrize("model", ["v5", "v5-curated", "v5-medium"])
def test_vibes_on_v5_are_refused(model: str) -> None:
    assert _codes(model=model, vibes=(vibe("v"),))["vibes_not_on_model"] == "vibes"


@pytest.mark.parametrize("model", ["v3", "furry-v3", "v4", "v4-curated", "v5-medium"])
def test_references_on_v3_v4_and_v5_medium_are_refused(model: str) -> None:
    assert _codes(model=model, references=(reference("r"),))["references_not_on_model"] == "references"


def test_more_than_ten_vibes_are_refused() -> None:
    assert "too_many_vibes" in _codes(vibes=tuple(vibe(f"v{i}") for i in range(MAX_VIBES + 1)))


def test_more_references_than_the_limit_are_refused() -> None:
    assert "too_many_references" in _codes(references=tuple(reference(f"r{i}") for i in range(MAX_REFERENCES + 1)))


def test_infill_on_a_model_without_an_inpainting_model_is_refused() -> None:
    # A future id we drive like V5 has no known inpainting model: guessing its id would cost a 400.
    assert _codes(model="nai-diffusion-6-full", image=ref("a"), mask=ref("m"))["infill_not_on_model"] == "mask"


def test_infill_with_ddim_is_refused() -> None:
    assert "sampler_not_for_infill" in _codes(model="v3", sampler="ddim_v3", image=ref("a"), mask=ref("m"))


def test_references_with_a_mask_are_refused() -> None:
    assert "references_with_mask" in _codes(image=ref("a"), mask=ref("m"), references=(reference("r"),))


def test_smea_with_an_image_is_refused() -> None:
    assert "smea_with_image" in _codes(model="v3", sampler="nai_smea", image=ref("a"))


def test_every_image_problem_is_reported_at_once() -> None:
    codes = _codes(model="v5", strength=2.0, mask=ref("m", 64, 64), vibes=(vibe("v"),), references=(reference("r"),))
    assert {"strength_range", "mask_without_image", "setting_without_image", "image_size_mismatch",
            "vibes_not_on_model"} <= set(codes)
