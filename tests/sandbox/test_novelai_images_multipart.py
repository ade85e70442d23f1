"""Images as multipart parts, as the website sends them (NKDK findings §2, §7): the JSON names each image's
part; base64 in a multipart body's image field is refused as NovelAI refuses it."""

from __future__ import annotations

import json
from typing import Any

import httpx

from sandbox.novelai.image_inputs import marker_colour, result_colour
from tests.sandbox.images_in import img2img, infill, last_inputs, members, png, sha

PORTRAIT = png(512, 768)
MASK = png(64, 96, (255, 255, 255), mode="L")


def multipart(sent: dict[str, Any], **images: bytes) -> dict[str, tuple[str, bytes, str]]:
    files = {"request": ("blob", json.dumps(sent).encode(), "application/json")}
    files.update({name: ("blob", data, "image/png") for name, data in images.items()})
    return files


async def test_an_infill_with_its_image_and_mask_as_parts_is_accepted(client: httpx.AsyncClient,
                                                                      opus: dict[str, str]) -> None:
    sent = infill(PORTRAIT, MASK)
    sent["parameters"] |= {"image": "image", "mask": "mask"}
    answer = await client.post("/ai/generate-image", files=multipart(sent, image=PORTRAIT, mask=MASK), headers=opus)

    assert answer.status_code == 200, answer.text
    assert result_colour(members(answer.content)[0]) == marker_colour(sha(PORTRAIT))
    assert [item["sha256"] for item in (await last_inputs(client))["inputs"]] == [sha(PORTRAIT), sha(MASK)]


async def test_base64_in_a_multipart_image_field_is_400(client: httpx.AsyncClient, opus: dict[str, str]) -> None:
    answer = await client.post("/ai/generate-image", files=multipart(img2img(PORTRAIT)), headers=opus)
    assert answer.status_code == 400
    assert "references unknown form part" in answer.json()["message"]


async def test_a_tool_takes_its_image_as_a_part(client: httpx.AsyncClient, opus: dict[str, str]) -> None:
    sent = {"req_type": "sketch", "width": 512, "height": 768, "image": "image", "use_new_shared_trial": True}
    answer = await client.post("/ai/augment-image", files=multipart(sent, image=PORTRAIT), headers=opus)
    assert answer.status_code == 200, answer.text
    assert result_colour(members(answer.content)[0]) == marker_colour(sha(PORTRAIT), "sketch")


async def test_vibes_as_parts_are_read_from_their_parts(client: httpx.AsyncClient, opus: dict[str, str]) -> None:
    sent = img2img(PORTRAIT, "nai-diffusion-3", reference_image_multiple=["ref_multiple_0"],
                   reference_strength_multiple=[0.6])
    sent["parameters"]["image"] = "image"
    style = png(448, 448, (9, 9, 9))
    answer = await client.post("/ai/generate-image", files=multipart(sent, image=PORTRAIT, ref_multiple_0=style),
                               headers=opus)
    assert answer.status_code == 200, answer.text
    assert (await last_inputs(client))["inputs"][1]["sha256"] == sha(style)
