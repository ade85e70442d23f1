"""The stand-in's ``/ai/upscale`` (both shapes, and the switch that turns the image-host one off) and Director
Tools ``/ai/augment-image`` (docs/novelai-2026.md §4.4, §4.6), over HTTP: shapes, refusals, prices, results."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import httpx
import pytest

from sandbox.novelai import NovelAISandbox
from sandbox.novelai.image_inputs import marker_colour, result_colour
from tests.sandbox.images_in import anlas, b64, body, last_inputs, members, png, sha, size_of, tablet

PORTRAIT = png(512, 768)


def image_host_upscale(image: bytes = PORTRAIT, **fields: Any) -> dict[str, Any]:
    """As the website sends it since V5 (NKDK findings §9)."""
    return {"image": b64(image), "model": "nai-diffusion-5-curated", "declared_blur_sigma": 0, **fields}


def legacy_upscale(image: bytes = PORTRAIT, width: int = 512, height: int = 768, scale: int = 2) -> dict[str, Any]:
    return {"image": b64(image), "width": width, "height": height, "scale": scale}


def augment(req_type: str, image: bytes = PORTRAIT, width: int = 512, height: int = 768,
            **fields: Any) -> dict[str, Any]:
    return {"req_type": req_type, "width": width, "height": height, "image": b64(image), **fields}


async def test_the_image_host_upscale_doubles_and_costs_one_anlas_even_on_opus(
        client: httpx.AsyncClient, opus: dict[str, str]) -> None:
    answer = await client.post("/ai/upscale", json=image_host_upscale(), headers=opus)

    assert answer.status_code == 200, answer.text
    (result,) = members(answer.content)
    assert size_of(result) == (1024, 1536)
    assert result_colour(result) == marker_colour(sha(PORTRAIT), "upscale")
    assert await anlas(client, opus) == 1000 - 1
    record = await last_inputs(client)
    assert (record["path"], record["model"], record["inputs"][0]["sha256"]) == (
        "/ai/upscale", "nai-diffusion-5-curated", sha(PORTRAIT))


@pytest.mark.parametrize("scale", [2, 4])
async def test_the_legacy_upscale_scales_by_the_factor_asked(novelai_sandbox: NovelAISandbox,
                                                             client: httpx.AsyncClient, scale: int) -> None:
    headers = tablet(novelai_sandbox)
    answer = await client.post("/ai/upscale", json=legacy_upscale(scale=scale), headers=headers)
    assert answer.status_code == 200, answer.text
    assert size_of(members(answer.content)[0]) == (512 * scale, 768 * scale)
    assert await anlas(client, headers) == 500 - 2  # 393,216 px: 2 Anlas on the legacy table


async def test_the_legacy_upscale_is_free_on_opus_up_to_409600_pixels(client: httpx.AsyncClient,
                                                                       opus: dict[str, str]) -> None:
    assert (await client.post("/ai/upscale", json=legacy_upscale(), headers=opus)).status_code == 200
    assert await anlas(client, opus) == 1000
    bigger = png(640, 768)  # 491,520 px: 3 Anlas, not free
    assert (await client.post("/ai/upscale", json=legacy_upscale(bigger, 640, 768), headers=opus)).status_code == 200
    assert await anlas(client, opus) == 1000 - 3


BAD_UPSCALES = {
    "legacy above one megapixel": legacy_upscale(png(1088, 1024), 1088, 1024),
    "legacy size not the image's": legacy_upscale(width=512, height=512),
    "legacy scale 3": legacy_upscale(scale=3),
    "image host above 3,145,728 px": image_host_upscale(png(2048, 1600)),
    "image host unknown model": image_host_upscale(model="nai-diffusion-9"),
    "not an image": image_host_upscale(b"GIF89a"),
}


@pytest.mark.parametrize("sent", list(BAD_UPSCALES.values()), ids=list(BAD_UPSCALES))
async def test_a_bad_upscale_is_400_and_costs_nothing(client: httpx.AsyncClient, opus: dict[str, str],
                                                      sent: dict[str, Any]) -> None:
    assert (await client.post("/ai/upscale", json=sent, headers=opus)).status_code == 400
    assert await anlas(client, opus) == 1000


async def test_the_image_host_shape_can_be_switched_off_for_the_clients_fallback(
        client: httpx.AsyncClient, opus: dict[str, str]) -> None:
    switched = await client.post("/_sandbox/upscale", json={"image_host": False, "status": 404})
    assert switched.json() == {"image_host": False, "refusal": 404}

    assert (await client.post("/ai/upscale", json=image_host_upscale(), headers=opus)).status_code == 404
    assert (await client.post("/ai/upscale", json=legacy_upscale(), headers=opus)).status_code == 200
    assert await anlas(client, opus) == 1000

    await client.post("/_sandbox/upscale", json={"image_host": True})
    assert (await client.post("/ai/upscale", json=image_host_upscale(), headers=opus)).status_code == 200


@pytest.mark.parametrize(("req_type", "fields"), [
    ("lineart", {}), ("sketch", {}), ("declutter", {}), ("declutter-keep-bubbles", {}),
    ("colorize", {"prompt": "red hair", "defry": 2}), ("emotion", {"prompt": "happy;;smiling", "defry": 0}),
])
async def test_a_tool_answers_one_image_framed_by_its_input_and_tool(
        client: httpx.AsyncClient, opus: dict[str, str], req_type: str, fields: dict[str, Any]) -> None:
    answer = await client.post("/ai/augment-image", json=augment(req_type, **fields), headers=opus)
    assert answer.status_code == 200, answer.text
    (result,) = members(answer.content)
    assert size_of(result) == (512, 768)
    assert result_colour(result) == marker_colour(sha(PORTRAIT), req_type)
    record = await last_inputs(client)
    assert (record["action"], record["inputs"][0]["sha256"]) == (req_type, sha(PORTRAIT))


async def test_bg_removal_answers_three_images(client: httpx.AsyncClient, opus: dict[str, str]) -> None:
    answer = await client.post("/ai/augment-image", json=augment("bg-removal"), headers=opus)
    results = members(answer.content)
    assert [result_colour(result) for result in results] == [
        marker_colour(sha(PORTRAIT), f"bg-removal:{name}") for name in ("masked", "generated", "blend")]


BAD_TOOLS = {
    "unknown req_type": augment("upscale"),
    "prompt on lineart": augment("lineart", prompt="x"),
    "defry on sketch": augment("sketch", defry=0),
    "emotion of an unknown mood": augment("emotion", prompt="furious;;"),
    "emotion without the separator": augment("emotion", prompt="happy"),
    "defry above five": augment("colorize", prompt="", defry=6),
    "size not the image's": augment("lineart", width=768, height=512),
    "above 3,145,728 px": augment("lineart", png(2048, 1600), 2048, 1600),
}


@pytest.mark.parametrize("sent", list(BAD_TOOLS.values()), ids=list(BAD_TOOLS))
async def test_a_bad_tool_call_is_400_and_costs_nothing(novelai_sandbox: NovelAISandbox, client: httpx.AsyncClient,
                                                        sent: dict[str, Any]) -> None:
    headers = tablet(novelai_sandbox)
    assert (await client.post("/ai/augment-image", json=sent, headers=headers)).status_code == 400
    assert await anlas(client, headers) == 500


@pytest.mark.parametrize(("req_type", "image", "cost"), [
    ("lineart", PORTRAIT, 0), ("lineart", png(1536, 1024), 30), ("bg-removal", PORTRAIT, 65),
])
async def test_a_tool_is_opus_free_up_to_a_megapixel_and_bg_removal_never(
        client: httpx.AsyncClient, opus: dict[str, str], req_type: str, image: bytes, cost: int) -> None:
    """Priced as a 28-step image of at least 1 MP (512×768 → 836×1254: 20); bg-removal 3 × 20 + 5 (NKDK §4)."""
    width, height = size_of(image)
    assert (await client.post("/ai/augment-image", json=augment(req_type, image, width, height),
                              headers=opus)).status_code == 200
    assert await anlas(client, opus) == 1000 - cost


async def test_a_tablet_pays_a_tool_at_one_megapixel(novelai_sandbox: NovelAISandbox,
                                                     client: httpx.AsyncClient) -> None:
    headers = tablet(novelai_sandbox)
    assert (await client.post("/ai/augment-image", json=augment("sketch"), headers=headers)).status_code == 200
    assert await anlas(client, headers) == 500 - 20


async def test_a_tool_the_balance_cannot_pay_is_402(novelai_sandbox: NovelAISandbox,
                                                    client: httpx.AsyncClient) -> None:
    headers = tablet(novelai_sandbox, anlas=19)
    assert (await client.post("/ai/augment-image", json=augment("sketch"), headers=headers)).status_code == 402
    assert await anlas(client, headers) == 19


async def test_a_tool_call_needs_a_login(client: httpx.AsyncClient) -> None:
    assert (await client.post("/ai/augment-image", json=augment("sketch"))).status_code == 401


async def test_tools_wait_for_the_accounts_generation_lock(novelai_sandbox: NovelAISandbox,
                                                           client: httpx.AsyncClient, opus: dict[str, str]) -> None:
    """One call at a time per account holds for tools too: a tool sent mid-generation is refused with 429."""
    novelai_sandbox.step_latency = 0.01
    generation = body(steps=5, stream="msgpack")
    async with client.stream("POST", "/ai/generate-image-stream", json=generation, headers=opus) as streaming:
        chunks = streaming.aiter_bytes()
        await anext(chunks)  # the first preview: the account's lock is held
        locked = [await client.post(path, json=sent, headers=opus) for path, sent in (
            ("/ai/augment-image", augment("sketch")), ("/ai/upscale", image_host_upscale()),
            ("/ai/encode-vibe", {"image": b64(PORTRAIT), "information_extracted": 1, "model": "nai-diffusion-4-full"}))]
        async for _ in chunks:
            pass
    assert [answer.status_code for answer in locked] == [429, 429, 429]
    assert await anlas(client, opus) == 1000
    assert (await client.post("/ai/augment-image", json=augment("sketch"), headers=opus)).status_code == 200


async def test_a_tool_prompt_is_bounded(client: httpx.AsyncClient, opus: dict[str, str]) -> None:
    sent = augment("colorize", prompt="red " * 600, defry=0)
    assert (await client.post("/ai/augment-image", json=sent, headers=opus)).status_code == 400


async def hostile(client: httpx.AsyncClient, mode: str, size: int = 4 * 1024 * 1024) -> None:
    answer = await client.post("/_sandbox/faults", json={"hostile": [mode], "hostile_bytes": size})
    assert answer.status_code == 200


async def test_a_hostile_zip_bomb_answers_a_tool_and_is_charged(novelai_sandbox: NovelAISandbox,
                                                                client: httpx.AsyncClient) -> None:
    headers = tablet(novelai_sandbox)
    await hostile(client, "zip_bomb")
    answer = await client.post("/ai/augment-image", json=augment("sketch"), headers=headers)
    assert answer.status_code == 200
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        assert archive.infolist()[0].file_size >= 4 * 1024 * 1024 > len(answer.content)
    assert await anlas(client, headers) == 500 - 20


async def test_a_hostile_png_replaces_an_upscales_image(client: httpx.AsyncClient, opus: dict[str, str]) -> None:
    await hostile(client, "huge_png")
    answer = await client.post("/ai/upscale", json=image_host_upscale(), headers=opus)
    (result,) = members(answer.content)
    assert result[16:24] == (100_000).to_bytes(4, "big") * 2  # the IHDR claims 100,000 × 100,000


async def test_a_hostile_answer_to_encode_vibe_is_a_huge_body(client: httpx.AsyncClient,
                                                             opus: dict[str, str]) -> None:
    await hostile(client, "zip_bomb", size=3 * 1024 * 1024)
    sent = {"image": b64(PORTRAIT), "information_extracted": 1, "model": "nai-diffusion-4-full"}
    answer = await client.post("/ai/encode-vibe", json=sent, headers=opus)
    assert answer.status_code == 200
    assert len(answer.content) >= 3 * 1024 * 1024


async def test_retry_after_answers_a_tool_and_costs_nothing(client: httpx.AsyncClient, opus: dict[str, str]) -> None:
    await hostile(client, "retry_after")
    answer = await client.post("/ai/augment-image", json=augment("lineart", png(1536, 1024), 1536, 1024),
                               headers=opus)
    assert answer.status_code == 429 and answer.headers["Retry-After"] == "1e12"
    assert await anlas(client, opus) == 1000
