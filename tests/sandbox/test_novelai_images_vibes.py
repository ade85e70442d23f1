"""The stand-in's vibe transfer, ``/ai/encode-vibe`` and precise references (docs/novelai-2026.md §4.2, §4.3),
over HTTP: the encoding round trip, what each family takes and refuses, and what each costs."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from sandbox.novelai import NovelAISandbox, vibes
from sandbox.novelai.image_inputs import marker_colour, result_colour
from tests.sandbox.images_in import anlas, b64, body, infill, last_inputs, members, png, sha, tablet

STYLE = png(600, 400, (250, 200, 10))


async def encode(client: httpx.AsyncClient, headers: dict[str, str], image: bytes = STYLE,
                 model: str = "nai-diffusion-4-5-full", information: float = 0.8) -> bytes:
    answer = await client.post("/ai/encode-vibe", headers=headers,
                               json={"image": b64(image), "information_extracted": information, "model": model})
    assert answer.status_code == 200, answer.text
    return answer.content


def with_vibes(encodings: list[bytes], model: str = "nai-diffusion-4-5-full", **params: Any) -> dict[str, Any]:
    return body(model, reference_image_multiple=[b64(item) for item in encodings],
                reference_strength_multiple=[0.6] * len(encodings), **params)


def reference_fields(images: list[bytes], kind: str = "character") -> dict[str, Any]:
    """``director_reference_*`` as NKDK/CARU send them."""
    return {
        "director_reference_images": [b64(image) for image in images],
        "director_reference_descriptions": [{"caption": {"base_caption": kind, "char_captions": []},
                                             "legacy_uc": False}] * len(images),
        "director_reference_information_extracted": [1.0] * len(images),
        "director_reference_strength_values": [1.0] * len(images),
        "director_reference_secondary_strength_values": [0.0] * len(images),
    }


async def test_encode_vibe_answers_opaque_bytes_that_only_the_stand_in_reads_back(
        client: httpx.AsyncClient, opus: dict[str, str]) -> None:
    encoding = await encode(client, opus)

    assert not encoding.startswith(b"\x89PNG") and STYLE not in encoding
    read = vibes.read(encoding)
    assert read is not None
    assert (read.image_sha256, read.information_extracted, read.model) == (sha(STYLE), 0.8, "nai-diffusion-4-5-full")
    assert vibes.read(encoding[:-1] + bytes([encoding[-1] ^ 1])) is None


async def test_encode_vibe_costs_two_anlas_even_on_opus(client: httpx.AsyncClient, opus: dict[str, str]) -> None:
    await encode(client, opus)
    assert await anlas(client, opus) == 1000 - 2
    assert (await last_inputs(client))["inputs"][0]["sha256"] == sha(STYLE)


@pytest.mark.parametrize("fields", [
    {"model": "nai-diffusion-3"}, {"model": "nai-diffusion-5-full"}, {"model": "nai-diffusion-4-5-full-inpainting"},
    {"information_extracted": 1.5}, {"informationExtracted": 0.5}, {"image": b64(b"not an image")},
], ids=["v3", "v5", "inpainting model", "information above 1", "camelCase key", "not an image"])
async def test_encode_vibe_refuses_what_novelai_refuses_and_costs_nothing(
        client: httpx.AsyncClient, opus: dict[str, str], fields: dict[str, Any]) -> None:
    sent = {"image": b64(STYLE), "information_extracted": 1.0, "model": "nai-diffusion-4-5-full", **fields}
    assert (await client.post("/ai/encode-vibe", json=sent, headers=opus)).status_code == 400
    assert await anlas(client, opus) == 1000


async def test_a_v4_5_generation_takes_the_encoding_and_its_result_shows_the_vibe_image(
        client: httpx.AsyncClient, opus: dict[str, str]) -> None:
    encoding = await encode(client, opus)
    answer = await client.post("/ai/generate-image", json=with_vibes([encoding]), headers=opus)

    assert answer.status_code == 200, answer.text
    assert result_colour(members(answer.content)[0]) == marker_colour(sha(STYLE))
    (seen,) = (await last_inputs(client))["inputs"]
    assert (seen["kind"], seen["sha256"], seen["model"]) == ("vibe_encoding", sha(STYLE), "nai-diffusion-4-5-full")


async def test_an_inpainting_model_takes_its_base_models_encoding(client: httpx.AsyncClient,
                                                                  opus: dict[str, str]) -> None:
    encoding = await encode(client, opus)
    sent = infill(png(512, 768), png(64, 96, (255, 255, 255), mode="L"),
                  reference_image_multiple=[b64(encoding)], reference_strength_multiple=[0.6])
    assert (await client.post("/ai/generate-image", json=sent, headers=opus)).status_code == 200


@pytest.mark.parametrize("vibe", ["raw image", "other model", "tampered"])
async def test_a_vibe_that_is_not_this_models_encoding_is_a_500_and_costs_nothing(
        client: httpx.AsyncClient, opus: dict[str, str], vibe: str) -> None:
    """MOO: a raw image as a V4+ vibe is an opaque 500."""
    encoding = await encode(client, opus, model="nai-diffusion-4-full")
    sent = {"raw image": STYLE, "other model": encoding, "tampered": encoding[:-3] + b"xyz"}[vibe]
    answer = await client.post("/ai/generate-image", json=with_vibes([sent]), headers=opus)
    assert answer.status_code == 500
    assert await anlas(client, opus) == 1000 - 2


async def test_v3_takes_raw_vibe_images(client: httpx.AsyncClient, opus: dict[str, str]) -> None:
    answer = await client.post("/ai/generate-image", json=with_vibes([STYLE], "nai-diffusion-3"), headers=opus)
    assert answer.status_code == 200, answer.text
    assert (await last_inputs(client))["inputs"][0]["kind"] == "image"
    encoding = await encode(client, opus)
    assert (await client.post("/ai/generate-image", json=with_vibes([encoding], "nai-diffusion-3"),
                              headers=opus)).status_code == 400


async def test_vibes_on_v5_are_a_500(client: httpx.AsyncClient, opus: dict[str, str]) -> None:
    """NKDK's live probe (2026-09-24): V5 with a V4.5 encoding answers 500."""
    encoding = await encode(client, opus)
    assert (await client.post("/ai/generate-image", json=with_vibes([encoding], "nai-diffusion-5-full"),
                              headers=opus)).status_code == 500


async def test_more_than_ten_vibes_are_400(client: httpx.AsyncClient, opus: dict[str, str]) -> None:
    encoding = await encode(client, opus)
    assert (await client.post("/ai/generate-image", json=with_vibes([encoding] * 10), headers=opus)).status_code == 200
    assert (await client.post("/ai/generate-image", json=with_vibes([encoding] * 11), headers=opus)).status_code == 400


async def test_one_strength_per_vibe_is_required(client: httpx.AsyncClient, opus: dict[str, str]) -> None:
    encoding = await encode(client, opus)
    sent = with_vibes([encoding, encoding])
    sent["parameters"]["reference_strength_multiple"] = [0.6]
    assert (await client.post("/ai/generate-image", json=sent, headers=opus)).status_code == 400


@pytest.mark.parametrize(("count", "cost"), [(4, 0), (6, 4)])
async def test_vibes_beyond_four_cost_two_each_even_on_opus(client: httpx.AsyncClient, opus: dict[str, str],
                                                           count: int, cost: int) -> None:
    encoding = await encode(client, opus)
    answer = await client.post("/ai/generate-image", json=with_vibes([encoding] * count), headers=opus)
    assert answer.status_code == 200
    assert await anlas(client, opus) == 1000 - 2 - cost


async def test_vibes_cost_nothing_with_a_mask(client: httpx.AsyncClient, opus: dict[str, str]) -> None:
    encoding = await encode(client, opus)
    sent = infill(png(512, 768), png(64, 96, (255, 255, 255), mode="L"),
                  reference_image_multiple=[b64(encoding)] * 6, reference_strength_multiple=[0.6] * 6)
    assert (await client.post("/ai/generate-image", json=sent, headers=opus)).status_code == 200
    assert await anlas(client, opus) == 1000 - 2


@pytest.mark.parametrize(("model", "size"), [
    ("nai-diffusion-4-5-full", (1024, 1536)), ("nai-diffusion-4-5-curated", (1536, 1024)),
    ("nai-diffusion-4-5-full", (1472, 1472)), ("nai-diffusion-5-full", (832, 1216)),
    ("nai-diffusion-5-curated", (1024, 1024)),
])
async def test_a_reference_letterboxed_to_its_familys_bucket_is_accepted(
        client: httpx.AsyncClient, opus: dict[str, str], model: str, size: tuple[int, int]) -> None:
    reference = png(*size, (0, 0, 0))
    answer = await client.post("/ai/generate-image", json=body(model, **reference_fields([reference])), headers=opus)
    assert answer.status_code == 200, answer.text
    assert result_colour(members(answer.content)[0]) == marker_colour(sha(reference))


@pytest.mark.parametrize(("model", "size"), [
    ("nai-diffusion-4-5-full", (832, 1216)), ("nai-diffusion-5-full", (1024, 1536)),
])
async def test_a_reference_off_its_familys_buckets_is_400(client: httpx.AsyncClient, opus: dict[str, str],
                                                          model: str, size: tuple[int, int]) -> None:
    sent = body(model, **reference_fields([png(*size)]))
    assert (await client.post("/ai/generate-image", json=sent, headers=opus)).status_code == 400


@pytest.mark.parametrize("model", ["nai-diffusion-3", "nai-diffusion-4-full", "nai-diffusion-5-full-medium"])
async def test_references_are_refused_on_v3_v4_and_v5_medium(client: httpx.AsyncClient, opus: dict[str, str],
                                                             model: str) -> None:
    sent = body(model, **reference_fields([png(1024, 1536)]))
    assert (await client.post("/ai/generate-image", json=sent, headers=opus)).status_code == 400
    assert await anlas(client, opus) == 1000


async def test_a_reference_of_an_unknown_kind_is_400(client: httpx.AsyncClient, opus: dict[str, str]) -> None:
    sent = body(**reference_fields([png(1024, 1536)], kind="outfit"))
    assert (await client.post("/ai/generate-image", json=sent, headers=opus)).status_code == 400


async def test_vibes_with_references_are_400(client: httpx.AsyncClient, opus: dict[str, str]) -> None:
    encoding = await encode(client, opus)
    sent = with_vibes([encoding], **reference_fields([png(1024, 1536)]))
    assert (await client.post("/ai/generate-image", json=sent, headers=opus)).status_code == 400
    assert await anlas(client, opus) == 1000 - 2


async def test_a_reference_costs_five_per_image_and_takes_the_opus_free_image_away(
        client: httpx.AsyncClient, opus: dict[str, str]) -> None:
    """832×1216 at 23 steps is 17 per image: 2 images + 5 × 1 reference × 2 images = 44 (NKDK §2, §3.2)."""
    sent = body(width=832, height=1216, n_samples=2, **reference_fields([png(1024, 1536)]))
    assert (await client.post("/ai/generate-image", json=sent, headers=opus)).status_code == 200
    assert await anlas(client, opus) == 1000 - 44


async def test_a_tablet_pays_a_reference_on_top_of_the_image(novelai_sandbox: NovelAISandbox,
                                                             client: httpx.AsyncClient) -> None:
    headers = tablet(novelai_sandbox)
    sent = body(width=832, height=1216, **reference_fields([png(1024, 1536), png(1536, 1024)]))
    assert (await client.post("/ai/generate-image", json=sent, headers=headers)).status_code == 200
    assert await anlas(client, headers) == 500 - 17 - 10


@pytest.mark.parametrize("params", [
    {"reference_information_extracted_multiple": [1.0, 1.0]}, {"reference_strength_multiple": [1.5]},
], ids=["one information value too many", "strength above 1"])
async def test_vibe_lists_must_match_and_stay_in_range(client: httpx.AsyncClient, opus: dict[str, str],
                                                       params: dict[str, Any]) -> None:
    encoding = await encode(client, opus)
    sent = with_vibes([encoding])
    sent["parameters"].update(params)
    assert (await client.post("/ai/generate-image", json=sent, headers=opus)).status_code == 400


async def test_one_reference_strength_per_reference_is_required(client: httpx.AsyncClient,
                                                                opus: dict[str, str]) -> None:
    fields = reference_fields([png(1024, 1536)])
    fields["director_reference_strength_values"] = [1.0, 1.0]
    assert (await client.post("/ai/generate-image", json=body(**fields), headers=opus)).status_code == 400


@pytest.mark.parametrize(("model", "size", "status"), [
    ("nai-diffusion-5-full", (832, 1216), 200), ("nai-diffusion-4-5-full", (1024, 1536), 400),
])
async def test_a_reference_strength_above_one_is_for_v5_only(client: httpx.AsyncClient, opus: dict[str, str],
                                                             model: str, size: tuple[int, int], status: int) -> None:
    """LLK-9: V5 references take a strength up to 5; V4.5's slider stops at 1."""
    fields = reference_fields([png(*size)])
    fields["director_reference_strength_values"] = [4.5]
    assert (await client.post("/ai/generate-image", json=body(model, **fields), headers=opus)).status_code == status


@pytest.mark.parametrize("name", ["director_reference_secondary_strength_values",
                                  "director_reference_information_extracted"])
async def test_reference_fidelity_and_information_stay_within_0_and_1(client: httpx.AsyncClient,
                                                                      opus: dict[str, str], name: str) -> None:
    fields = reference_fields([png(1024, 1536)])
    fields[name] = [1.5]
    assert (await client.post("/ai/generate-image", json=body(**fields), headers=opus)).status_code == 400
