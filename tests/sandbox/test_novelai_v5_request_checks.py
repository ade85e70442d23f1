"""The NovelAI stand-in checks V5 and size rules as the sources say the real service does
(docs/novelai-api.md §9.2; audit §5 rows 1, 3, 4, 6, 8): 500 for ``sm: true`` on V5 and for a
missing ``v4_prompt`` (the real service crashes rather than refuses), 400 for a side over 2048 and
for more than 22 characters on V5, and the V5 inpainting ids known."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from sandbox.novelai import OPUS_TOKEN, NovelAISandbox
from sandbox.novelai.validation import InvalidGeneration, validate_generation


def _v5_body(*, model: str = "nai-diffusion-5-full", characters: int = 0, **params: Any) -> dict[str, Any]:
    captions = [{"char_caption": f"girl {i}", "centers": [{"x": 0.5, "y": 0.5}]} for i in range(characters)]
    parameters: dict[str, Any] = {
        "params_version": 4, "width": 832, "height": 1216, "scale": 5, "sampler": "k_euler_ancestral",
        "steps": 23, "n_samples": 1, "seed": 1234, "noise_schedule": "karras", "negative_prompt": "lowres",
        "ucPresetId": "heavy", "qualityPresetId": "standard", "tag_hint_qt": 1, "tag_hint_uc_preset": 2,
        "v4_prompt": {"caption": {"base_caption": "1girl", "char_captions": captions}, "use_coords": False,
                      "use_order": True, "legacy_uc": False},
        "v4_negative_prompt": {"caption": {"base_caption": "lowres", "char_captions": captions},
                               "legacy_uc": False},
    }
    parameters.update(params)
    return {"input": "1girl", "model": model, "action": "generate", "parameters": parameters}


@pytest_asyncio.fixture
async def client(novelai_sandbox: NovelAISandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=novelai_sandbox.url,
                                 headers={"Authorization": f"Bearer {OPUS_TOKEN}"}) as http:
        yield http


async def test_sm_true_on_v5_is_a_500(client: httpx.AsyncClient) -> None:
    response = await client.post("/ai/generate-image", json=_v5_body(sm=True))
    assert response.status_code == 500


async def test_a_missing_v4_prompt_is_a_500_not_a_400(client: httpx.AsyncClient) -> None:
    body = _v5_body()
    del body["parameters"]["v4_prompt"]
    response = await client.post("/ai/generate-image", json=body)
    assert response.status_code == 500


@pytest.mark.parametrize(("width", "height"), [(4096, 768), (768, 4096), (2112, 1024)])
def test_a_side_over_2048_is_refused(width: int, height: int) -> None:
    with pytest.raises(InvalidGeneration) as error:
        validate_generation(_v5_body(width=width, height=height))
    assert error.value.status == 400


def test_a_2048_side_is_accepted() -> None:
    assert validate_generation(_v5_body(width=2048, height=1536)).width == 2048


def test_v5_takes_22_characters_and_refuses_23() -> None:
    assert validate_generation(_v5_body(characters=22)).family == "v5"
    with pytest.raises(InvalidGeneration) as error:
        validate_generation(_v5_body(characters=23))
    assert error.value.status == 400


@pytest.mark.parametrize("model", ["nai-diffusion-5-full-inpainting", "nai-diffusion-5-curated-inpainting",
                                   "nai-diffusion-5-full-medium-inpainting"])
def test_v5_inpainting_ids_are_known(model: str) -> None:
    body = _v5_body(model=model)
    body["action"] = "infill"
    body["parameters"] |= {"image": "aGVsbG8=", "mask": "aGVsbG8="}
    assert validate_generation(body).model == model


async def test_the_clients_v5_body_passes_the_stand_in(client: httpx.AsyncClient) -> None:
    from novelai.payload import build_payload
    from novelai.request import CharacterPrompt, GenerationRequest

    request = GenerationRequest(prompt="1girl", model="v5", transparent=True, seed=3,
                                characters=tuple(CharacterPrompt(prompt=f"g{i}") for i in range(22)))
    response = await client.post("/ai/generate-image", json=build_payload(request.resolved()))
    assert response.status_code == 200
