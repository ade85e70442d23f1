"""Bodies of requests with images (novelai.image_payload): goldens per kind and family, and the rules
behind them (/work/shared/novelai-2026.md §4.1–§4.5, docs/novelai-api.md §13).

The goldens were generated once from the requests below and then read field by field against §4; the
fields LlmKira's ``novelai-python`` SDK also builds are checked against it (``test_*_agrees_with_the_sdk``).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from novelai.image_payload import action_and_model, vibe_keys
from novelai.inputs import ImageInputs, VibeInput, VibeKey
from novelai.models import resolve_model
from novelai.payload import build_payload
from novelai.request import CharacterPrompt, GenerationRequest
from tests.novelai.image_fixtures import image_bytes, inputs_for, ref, reference, vibe

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
IMAGE_GOLDEN_PREFIXES = ("img2img-", "infill-", "vibe-", "reference-")


def _encodings(model: str, *names: str, info: float = 1.0) -> dict[VibeKey, bytes]:
    return {VibeKey(ref(n).sha256, info, model): f"encoding:{n}".encode() for n in names}


# name → (request, names of the images whose bytes the attempt has, vibe encodings)
GOLDEN_REQUESTS: dict[str, tuple[GenerationRequest, ImageInputs]] = {
    # V3: params_version 3 as the txt2img body, SMEA off, no img2img object.
    "img2img-v3": (GenerationRequest(prompt="1girl, beach", model="v3", image=ref("a"), strength=0.5, noise=0.1,
                                     seed=11), inputs_for("a")),
    # V4.5: the img2img object {strength, color_correct}; default strength 0.7 and noise 0.
    "img2img-v4.5": (GenerationRequest(prompt="1girl, beach", image=ref("a"), seed=12), inputs_for("a")),
    "img2img-v5": (GenerationRequest(prompt="1girl, beach", model="v5", image=ref("a"), strength=0.45, seed=13),
                   inputs_for("a")),
    # Infill: the inpainting id, the mask, inpaintImg2ImgStrength, the cache keys, add_original_image off.
    "infill-v3": (GenerationRequest(prompt="1girl, hat", model="v3", image=ref("a"), mask=ref("m"), seed=21,
                                    add_original_image=False), inputs_for("a", "m")),
    "infill-v4-curated": (GenerationRequest(prompt="1girl, hat", model="v4-curated", image=ref("a"), mask=ref("m"),
                                            inpaint_strength=1.0, seed=22), inputs_for("a", "m")),
    "infill-v4.5": (GenerationRequest(prompt="1girl, hat", image=ref("a"), mask=ref("m"), seed=23),
                    inputs_for("a", "m")),
    "infill-v5": (GenerationRequest(prompt="1girl, hat", model="v5", image=ref("a"), mask=ref("m"),
                                    inpaint_strength=0.6, seed=24), inputs_for("a", "m")),
    # V3 vibes: the images themselves.
    "vibe-v3": (GenerationRequest(prompt="1girl", model="v3", vibes=(vibe("v1", 0.6, 1.0), vibe("v2", 0.3, 0.5)),
                                  seed=31), inputs_for("v1", "v2")),
    # V4.5 vibes: the encodings, with a character (the v4_prompt blocks stay as txt2img).
    "vibe-v4.5": (GenerationRequest(prompt="1girl", vibes=(vibe("v1", 0.6, 1.0), vibe("v2", 0.3, 0.5)), seed=32,
                                    characters=(CharacterPrompt.parse("girl, red hair@C3"),)),
                  ImageInputs(vibe_encodings=_encodings("nai-diffusion-4-5-full", "v1")
                              | {VibeKey(ref("v2").sha256, 0.5, "nai-diffusion-4-5-full"): b"encoding:v2"})),
    # Vibes on an img2img: both sets of fields.
    "vibe-img2img-v4": (GenerationRequest(prompt="1girl", model="v4", image=ref("a"), vibes=(vibe("v1"),), seed=33),
                        ImageInputs(images=inputs_for("a").images, vibe_encodings=_encodings("nai-diffusion-4-full",
                                                                                            "v1"))),
    "reference-v4.5": (GenerationRequest(prompt="1girl, cafe", references=(reference("r1", "character", 1.0, 0.7),),
                                         seed=41), inputs_for("r1")),
    "reference-v5": (GenerationRequest(prompt="1girl, cafe", model="v5-curated", seed=42, references=(
        reference("r1", "style", 0.8, 1.0), reference("r2", "character&style", 2.5, 0.25))),
        inputs_for("r1", "r2")),
}


def _body(req: GenerationRequest, inputs: ImageInputs | None, *, stream: bool = False) -> dict[str, Any]:
    return json.loads(json.dumps(build_payload(req.resolved(), stream=stream, inputs=inputs)))


@pytest.mark.parametrize("name", list(GOLDEN_REQUESTS))
def test_image_payload_matches_golden(name: str) -> None:
    expected = json.loads((GOLDEN / f"{name}.json").read_text())
    actual = _body(*GOLDEN_REQUESTS[name])
    assert actual == expected
    assert list(actual["parameters"]) == list(expected["parameters"])


def test_every_image_golden_file_has_a_request() -> None:
    files = {p.stem for p in GOLDEN.glob("*.json") if p.stem.startswith(IMAGE_GOLDEN_PREFIXES)}
    assert files == set(GOLDEN_REQUESTS)


# --- action, model, fields --------------------------------------------------------------------------

@pytest.mark.parametrize(("fields", "action", "model"), [
    ({}, "generate", "nai-diffusion-4-5-full"),
    ({"image": ref("a")}, "img2img", "nai-diffusion-4-5-full"),
    ({"image": ref("a"), "mask": ref("m")}, "infill", "nai-diffusion-4-5-full-inpainting"),
    ({"model": "v5-curated", "image": ref("a"), "mask": ref("m")}, "infill", "nai-diffusion-5-curated-inpainting"),
    ({"model": "v5-medium", "image": ref("a"), "mask": ref("m")}, "infill",
     "nai-diffusion-5-full-medium-inpainting"),
    ({"model": "furry-v3", "image": ref("a"), "mask": ref("m")}, "infill", "nai-diffusion-furry-3-inpainting"),
])
def test_action_and_model_follow_the_inputs(fields: dict[str, Any], action: str, model: str) -> None:
    body = _body(GenerationRequest(prompt="1girl", seed=1, **fields), inputs_for("a", "m"))
    assert (body["action"], body["model"]) == (action, model)


def test_the_image_goes_out_as_plain_base64_of_its_bytes() -> None:
    params = _body(GenerationRequest(prompt="1girl", seed=1, image=ref("a")), inputs_for("a"))["parameters"]
    assert base64.b64decode(params["image"], validate=True) == image_bytes("a")
    assert not params["image"].startswith("data:")


def test_extra_noise_seed_is_the_seed() -> None:
    params = _body(GenerationRequest(prompt="1girl", seed=777, image=ref("a")), inputs_for("a"))["parameters"]
    assert params["extra_noise_seed"] == 777


@pytest.mark.parametrize(("model", "has_object"), [("v3", False), ("v4", False), ("v4.5", True), ("v5", True)])
def test_the_img2img_object_is_sent_on_v4_5_and_newer(model: str, has_object: bool) -> None:
    params = _body(GenerationRequest(prompt="1girl", model=model, seed=1, image=ref("a"), strength=0.3),
                   inputs_for("a"))["parameters"]
    assert params.get("img2img") == ({"strength": 0.3, "color_correct": True} if has_object else None)


def test_a_text_to_image_body_is_unchanged_by_empty_inputs() -> None:
    req = GenerationRequest(prompt="1girl", seed=1).resolved()
    assert build_payload(req, inputs=ImageInputs()) == build_payload(req)


def test_the_stream_switch_is_kept_with_images() -> None:
    req = GenerationRequest(prompt="1girl", seed=1, image=ref("a"))
    streamed, plain = _body(req, inputs_for("a"), stream=True), _body(req, inputs_for("a"))
    assert streamed["parameters"].pop("stream") == "msgpack"
    assert streamed == plain


@pytest.mark.parametrize(("fields", "missing"), [
    ({"image": ref("a")}, None),
    ({"image": ref("a"), "mask": ref("m")}, ("a",)),
    ({"references": (reference("r"),)}, ("a",)),
    ({"model": "v3", "vibes": (vibe("v"),)}, ("a",)),
    ({"vibes": (vibe("v"),)}, ("v",)),  # the image is there, its V4.5 encoding is not
])
def test_a_request_whose_bytes_are_missing_is_refused(fields: dict[str, Any], missing: tuple[str, ...] | None) -> None:
    inputs = None if missing is None else inputs_for(*missing)
    with pytest.raises(ValueError, match=r"inputs|loaded"):
        build_payload(GenerationRequest(prompt="1girl", seed=1, **fields).resolved(), inputs=inputs)


def test_a_hand_made_infill_on_a_model_without_inpainting_is_not_sent() -> None:
    with pytest.raises(ValueError, match="inpainting"):
        action_and_model(GenerationRequest(prompt="1girl", mask=ref("m")), resolve_model("nai-diffusion-6-full"))


# --- vibe keys -----------------------------------------------------------------------------------

def test_vibe_keys_name_image_information_and_model_each_once() -> None:
    req = GenerationRequest(prompt="1girl", seed=1, vibes=(vibe("v1", 0.5, 0.7), vibe("v2"), vibe("v1", 0.9, 0.7)),
                            model="v4-curated").resolved()
    assert vibe_keys(req) == [VibeKey(ref("v1").sha256, 0.7, "nai-diffusion-4-curated-preview"),
                              VibeKey(ref("v2").sha256, 1.0, "nai-diffusion-4-curated-preview")]


def test_v3_needs_no_vibe_encodings() -> None:
    assert vibe_keys(GenerationRequest(prompt="1girl", model="v3", seed=1, vibes=(vibe("v"),)).resolved()) == []


def test_vibes_go_out_with_the_strengths_as_given_and_normalising_off() -> None:
    params = _body(*GOLDEN_REQUESTS["vibe-v4.5"])["parameters"]
    assert params["reference_strength_multiple"] == [0.6, 0.3]
    assert params["normalize_reference_strength_multiple"] is False
    assert [base64.b64decode(e) for e in params["reference_image_multiple"]] == [b"encoding:v1", b"encoding:v2"]


def test_reference_fidelity_goes_out_as_one_minus_it() -> None:
    params = _body(*GOLDEN_REQUESTS["reference-v5"])["parameters"]
    assert params["director_reference_secondary_strength_values"] == [0.0, 0.75]
    assert params["director_reference_information_extracted"] == [1.0, 1.0]
    assert [d["caption"]["base_caption"] for d in params["director_reference_descriptions"]] == [
        "style", "character&style"]


# --- the third-party SDK as an oracle ------------------------------------------------------------

# The image fields LLK's SDK builds (novelai-python 0.7.12, ``build_img2img``/``build_infill``).
SDK_FIELDS = ("image", "mask", "strength", "noise", "extra_noise_seed", "color_correct", "add_original_image",
              "inpaintImg2ImgStrength")


def _sdk_body(kind: str, model: str, png: bytes, **kwargs: Any) -> dict[str, Any]:
    sdk = pytest.importorskip("novelai_python")
    image = base64.b64encode(png).decode()
    build = sdk.GenerateImageInfer.build_infill if kind == "infill" else sdk.GenerateImageInfer.build_img2img
    extra = {"mask": image} if kind == "infill" else {}
    model_enum = pytest.importorskip("novelai_python.sdk.ai._enum").Model(model)
    body: dict[str, Any] = build(prompt="1girl", model=model_enum, image=image, width=832, height=1216, **extra,
                                 **kwargs).model_dump(mode="json", exclude_none=True)
    return body


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize(("kind", "model", "sdk_model"), [
    ("img2img", "v3", "nai-diffusion-3"),
    ("img2img", "v4.5", "nai-diffusion-4-5-full"),
    ("infill", "v4.5", "nai-diffusion-4-5-full-inpainting"),
    ("infill", "v4-curated", "nai-diffusion-4-curated-inpainting"),
])
def test_image_fields_agree_with_the_sdk(kind: str, model: str, sdk_model: str) -> None:
    from tests.novelai.image_fixtures import png, png_ref
    data = png(832, 1216)
    image = png_ref(data, 832, 1216)
    fields: dict[str, Any] = {"mask": image, "inpaint_strength": 1.0} if kind == "infill" else {"noise": 0.1}
    ours = _body(GenerationRequest(prompt="1girl", model=model, seed=5, image=image, strength=0.5, **fields),
                 ImageInputs(images={image.sha256: data}))
    theirs = _sdk_body(kind, sdk_model, data, seed=5, strength=0.5, **({} if kind == "infill" else {"noise": 0.1}))
    assert (ours["action"], ours["model"]) == (theirs["action"], theirs["model"])
    shared = [f for f in SDK_FIELDS if f in theirs["parameters"]]
    assert {f: ours["parameters"][f] for f in shared} == {f: theirs["parameters"][f] for f in shared}


def test_the_img2img_object_of_an_infill_carries_the_mask_strength() -> None:
    params = _body(GenerationRequest(prompt="1girl", seed=1, image=ref("a"), mask=ref("m"), strength=0.4,
                                     inpaint_strength=0.55), inputs_for("a", "m"))["parameters"]
    assert (params["strength"], params["inpaintImg2ImgStrength"]) == (0.4, 0.55)
    assert params["img2img"] == {"strength": 0.55, "color_correct": True}


@pytest.mark.filterwarnings("ignore")
def test_v3_vibe_fields_agree_with_the_sdk() -> None:
    sdk = pytest.importorskip("novelai_python")
    model = pytest.importorskip("novelai_python.sdk.ai._enum").Model.NAI_DIFFUSION_3
    from tests.novelai.image_fixtures import png, png_ref
    images = [png(448, 448, (10, 20, 30)), png(448, 448, (40, 50, 60))]
    refs = [png_ref(i, 448, 448) for i in images]
    req = GenerationRequest(prompt="1girl", model="v3", seed=5, vibes=tuple(
        VibeInput(image=r, strength=s, information_extracted=x) for r, s, x in zip(refs, (0.6, 0.3), (1.0, 0.5),
                                                                                     strict=True)))
    ours = _body(req, ImageInputs(images={r.sha256: i for r, i in zip(refs, images, strict=True)}))["parameters"]
    theirs = sdk.GenerateImageInfer.build_generate(
        prompt="1girl", model=model, reference_image_multiple=[base64.b64encode(i).decode() for i in images],
        reference_strength_multiple=[0.6, 0.3], reference_information_extracted_multiple=[1.0, 0.5],
    ).model_dump(mode="json", exclude_none=True)["parameters"]
    fields = ("reference_image_multiple", "reference_strength_multiple", "reference_information_extracted_multiple")
    assert {f: ours[f] for f in fields} == {f: theirs[f] for f in fields}
