"""The stand-in's img2img and infill (docs/novelai-2026.md §4.1, §4.5), over HTTP: accepted shapes, refusals,
prices, results that show which input they came from, and the control API's record of the inputs."""

from __future__ import annotations

import io
import os
import struct
from collections.abc import Callable
from typing import Any

import httpx
import msgpack
import pytest
from PIL import Image

from sandbox.novelai import NovelAISandbox
from sandbox.novelai.hostile import huge_png
from sandbox.novelai.image_inputs import MAX_BASE64_CHARS, decode_base64, marker_colour, result_colour
from sandbox.novelai.state import Refusal
from tests.sandbox.images_in import anlas, b64, body, img2img, infill, last_inputs, members, png, sha, size_of, tablet

PORTRAIT = png(512, 768)


async def test_img2img_at_the_request_size_is_accepted_and_recorded(
        novelai_sandbox: NovelAISandbox, client: httpx.AsyncClient, opus: dict[str, str]) -> None:
    answer = await client.post("/ai/generate-image", json=img2img(PORTRAIT), headers=opus)

    assert answer.status_code == 200, answer.text
    record = await last_inputs(client)
    assert (record["path"], record["action"], record["status"]) == ("/ai/generate-image", "img2img", 200)
    assert record["inputs"] == [{"field": "parameters.image", "kind": "image", "sha256": sha(PORTRAIT),
                                 "bytes": len(PORTRAIT), "width": 512, "height": 768, "mode": "RGB"}]


async def test_an_img2img_result_is_framed_in_its_inputs_colour(client: httpx.AsyncClient,
                                                                opus: dict[str, str]) -> None:
    red, blue = png(512, 768, (200, 0, 0)), png(512, 768, (0, 0, 200))
    results = []
    for image in (red, blue):
        answer = await client.post("/ai/generate-image", json=img2img(image), headers=opus)
        (result,) = members(answer.content)
        assert result_colour(result) == marker_colour(sha(image))
        assert size_of(result) == (512, 768)
        results.append(result)
    assert results[0] != results[1]


async def streamed_frames(client: httpx.AsyncClient, headers: dict[str, str], sent: dict[str, Any]
                          ) -> list[dict[str, Any]]:
    answer = await client.post("/ai/generate-image-stream", json=sent, headers=headers)
    assert answer.status_code == 200
    data, frames = answer.content, []
    while data:
        (length,) = struct.unpack(">I", data[:4])
        frames.append(msgpack.unpackb(data[4: 4 + length]))
        data = data[4 + length:]
    return frames


async def test_a_streamed_img2img_ends_in_the_framed_image(client: httpx.AsyncClient, opus: dict[str, str]) -> None:
    frames = await streamed_frames(client, opus, img2img(PORTRAIT, stream="msgpack", steps=3))
    assert frames[-1]["event_type"] == "final"
    assert result_colour(frames[-1]["image"]) == marker_colour(sha(PORTRAIT))


@pytest.mark.parametrize(("strength", "previews"), [(0.7, 16), (0.3, 6)])
async def test_a_streamed_img2img_previews_steps_times_strength(client: httpx.AsyncClient, opus: dict[str, str],
                                                                strength: float, previews: int) -> None:
    """NKDK findings §2: 23 steps at strength 0.7 stream 16 intermediate frames."""
    frames = await streamed_frames(client, opus, img2img(PORTRAIT, stream="msgpack", strength=strength))
    assert [frame["event_type"] for frame in frames] == ["intermediate"] * previews + ["final"]
    assert [frame["step_ix"] for frame in frames[:-1]] == list(range(previews))


async def test_a_body_of_several_megabytes_is_read(client: httpx.AsyncClient, opus: dict[str, str]) -> None:
    """Above aiohttp's 1 MiB default: a real 1024×1024 input does not fit in it."""
    out = io.BytesIO()
    Image.frombytes("RGB", (1024, 1024), os.urandom(1024 * 1024 * 3)).save(out, "PNG")
    image = out.getvalue()
    assert len(b64(image)) > 3 * 1024 * 1024
    answer = await client.post("/ai/generate-image", json=img2img(image, width=1024, height=1024), headers=opus)
    assert answer.status_code == 200, answer.text


def _params(**fields: Any) -> Callable[[dict[str, Any]], None]:
    return lambda sent: sent["parameters"].update(fields)


BAD_IMG2IMG: dict[str, Callable[[dict[str, Any]], None]] = {
    "image of another size": _params(image=b64(png(512, 704))),
    "image not base64": _params(image="not base64!"),
    "image with a data: prefix": _params(image="data:image/png;base64," + b64(PORTRAIT)),
    "image a JPEG": _params(image=b64(b"\xff\xd8\xff\xe0" + bytes(64))),
    "image a truncated PNG": _params(image=b64(PORTRAIT[:60])),
    "strength 0": _params(strength=0),
    "strength 1": _params(strength=1.0),
    "noise 1": _params(noise=1.0),
    "negative extra_noise_seed": _params(extra_noise_seed=-1),
    "color_correct not a flag": _params(color_correct="yes"),
    "img2img object with strength 2": _params(img2img={"strength": 2, "color_correct": True}),
    "img2img not an object": _params(img2img=[0.7]),
}


@pytest.mark.parametrize("mutate", list(BAD_IMG2IMG.values()), ids=list(BAD_IMG2IMG))
async def test_a_bad_img2img_is_400_and_costs_nothing(novelai_sandbox: NovelAISandbox, client: httpx.AsyncClient,
                                                      mutate: Callable[[dict[str, Any]], None]) -> None:
    headers = tablet(novelai_sandbox)
    sent = img2img(PORTRAIT)
    mutate(sent)
    answer = await client.post("/ai/generate-image", json=sent, headers=headers)
    assert answer.status_code == 400, answer.text
    assert answer.json()["statusCode"] == 400
    assert await anlas(client, headers) == 500


async def test_a_refused_img2img_still_shows_what_it_carried(client: httpx.AsyncClient, opus: dict[str, str]) -> None:
    wrong = png(512, 704)
    assert (await client.post("/ai/generate-image", json=img2img(wrong), headers=opus)).status_code == 400
    record = await last_inputs(client)
    assert record["status"] == 400
    assert [(item["sha256"], item["height"]) for item in record["inputs"]] == [(sha(wrong), 704)]


@pytest.mark.parametrize(("strength", "cost"), [(0.7, 14), (0.05, 2)])
async def test_img2img_costs_the_image_price_times_strength_and_at_least_two(
        novelai_sandbox: NovelAISandbox, client: httpx.AsyncClient, strength: float, cost: int) -> None:
    """832×1216 at 28 steps is 20 Anlas; × 0.7 = 14; × 0.05 = 1, floored at 2 (NKDK §1.1)."""
    headers = tablet(novelai_sandbox)
    sent = img2img(png(832, 1216), width=832, height=1216, steps=28, strength=strength)
    assert (await client.post("/ai/generate-image", json=sent, headers=headers)).status_code == 200
    assert await anlas(client, headers) == 500 - cost


async def test_img2img_keeps_the_opus_free_image(client: httpx.AsyncClient, opus: dict[str, str]) -> None:
    sent = img2img(png(832, 1216), width=832, height=1216, steps=28)
    assert (await client.post("/ai/generate-image", json=sent, headers=opus)).status_code == 200
    assert await anlas(client, opus) == 1000


@pytest.mark.parametrize("mask_size", [(512, 768), (64, 96)], ids=["full size", "one eighth"])
async def test_infill_takes_a_mask_at_full_or_one_eighth_size(client: httpx.AsyncClient, opus: dict[str, str],
                                                              mask_size: tuple[int, int]) -> None:
    mask = png(*mask_size, (255, 255, 255), mode="L")
    answer = await client.post("/ai/generate-image", json=infill(PORTRAIT, mask), headers=opus)
    assert answer.status_code == 200, answer.text
    record = await last_inputs(client)
    assert [(item["field"], item["sha256"]) for item in record["inputs"]] == [
        ("parameters.image", sha(PORTRAIT)), ("parameters.mask", sha(mask))]
    assert result_colour(members(answer.content)[0]) == marker_colour(sha(PORTRAIT))


BAD_INFILL: dict[str, Callable[[dict[str, Any]], None]] = {
    "no mask": lambda sent: sent["parameters"].pop("mask"),
    "mask of another size": _params(mask=b64(png(256, 384))),
    "mask not an image": _params(mask=b64(b"white = repaint")),
    "inpaintImg2ImgStrength 0": _params(inpaintImg2ImgStrength=0),
    "add_original_image not a flag": _params(add_original_image=1),
    "a base model": lambda sent: sent.update(model="nai-diffusion-4-5-full"),
}


@pytest.mark.parametrize("mutate", list(BAD_INFILL.values()), ids=list(BAD_INFILL))
async def test_a_bad_infill_is_400_and_costs_nothing(novelai_sandbox: NovelAISandbox, client: httpx.AsyncClient,
                                                     mutate: Callable[[dict[str, Any]], None]) -> None:
    headers = tablet(novelai_sandbox)
    sent = infill(PORTRAIT, png(64, 96, (255, 255, 255), mode="L"))
    mutate(sent)
    assert (await client.post("/ai/generate-image", json=sent, headers=headers)).status_code == 400
    assert await anlas(client, headers) == 500


@pytest.mark.parametrize(("inpaint_strength", "cost"), [(1.0, 17), (0.5, 9)])
async def test_infill_is_priced_at_one_megapixel_times_the_inpaint_strength(
        novelai_sandbox: NovelAISandbox, client: httpx.AsyncClient, inpaint_strength: float, cost: int) -> None:
    """512×768 is below 0.8 MP, so it is priced as 832×1216 (NKDK ``re``): 17 Anlas at 23 steps, × strength."""
    headers = tablet(novelai_sandbox)
    sent = infill(PORTRAIT, png(64, 96, (255, 255, 255), mode="L"), inpaintImg2ImgStrength=inpaint_strength)
    assert (await client.post("/ai/generate-image", json=sent, headers=headers)).status_code == 200
    assert await anlas(client, headers) == 500 - cost


async def test_a_txt2img_request_records_no_inputs(client: httpx.AsyncClient, opus: dict[str, str]) -> None:
    assert (await client.post("/ai/generate-image", json=body(), headers=opus)).status_code == 200
    assert (await client.get("/_sandbox/inputs")).json() == {"requests": []}


async def test_reset_stats_empties_the_inputs_log(client: httpx.AsyncClient, opus: dict[str, str]) -> None:
    assert (await client.post("/ai/generate-image", json=img2img(PORTRAIT), headers=opus)).status_code == 200
    assert (await client.post("/_sandbox/reset-stats")).status_code == 200
    assert (await client.get("/_sandbox/inputs")).json() == {"requests": []}


async def test_an_image_whose_header_claims_too_many_pixels_is_400_before_decoding(
        client: httpx.AsyncClient, opus: dict[str, str]) -> None:
    sent = img2img(huge_png())
    answer = await client.post("/ai/generate-image", json=sent, headers=opus)
    assert answer.status_code == 400
    assert "100000x100000" in answer.json()["message"]


def test_a_base64_field_above_the_byte_bound_is_refused_unread() -> None:
    with pytest.raises(Refusal) as refused:
        decode_base64("A" * (MAX_BASE64_CHARS + 4), "parameters.image")
    assert refused.value.status == 413


async def test_a_data_url_is_refused_as_such(client: httpx.AsyncClient, opus: dict[str, str]) -> None:
    """The website sends bare base64 (§4.1: "no data: prefix"); the message names the mistake."""
    sent = img2img(PORTRAIT)
    sent["parameters"]["image"] = "data:image/png;base64," + b64(PORTRAIT)
    answer = await client.post("/ai/generate-image", json=sent, headers=opus)
    assert answer.status_code == 400
    assert "data: prefix" in answer.json()["message"]
