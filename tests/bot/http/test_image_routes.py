"""The HTTP API's jobs with images, end to end: the real app, a real worker, the NovelAI stand-in.

The stand-in frames each result in a colour derived from the SHA-256 of the input it was made from
(``marker_colour``; for tools and upscales salted with the tool) and records the inputs it decoded
(``inputs_seen``), so a test knows which uploaded image a result came from. Bad files must be refused
with a clear message and leave the queue empty.
"""

from __future__ import annotations

import base64
import io
import struct
import zlib
from collections.abc import AsyncIterator

import pytest
from PIL import Image

from sandbox.novelai.image_inputs import marker_colour, result_colour
from tests.fixtures.deployment import Deployment
from tests.fixtures.http_e2e import ALICE_KEY, BOB_KEY, ApiWorld, auth, running_api, with_api
from tests.fixtures.http_images import (
    SIZE,
    api,
    calls,
    finished,
    first_input,
    multipart,
    opus_anlas,
    png,
    result,
    status,
)

pytestmark = pytest.mark.xdist_group("workers")
__all__ = ["api"]  # the fixture, used by name


# -- img2img ------------------------------------------------------------------------------------


async def test_img2img_by_multipart_makes_its_result_from_the_uploaded_image(api: ApiWorld,
                                                                              deployment: Deployment) -> None:
    response = await api.client.post("/generate", headers=auth(ALICE_KEY), **multipart(
        {"prompt": "a cat", "width": SIZE, "height": SIZE, "strength": 0.5, "steps": 23},
        image=png((200, 40, 40))))
    assert response.status_code == 200, response.text
    job = await finished(api, deployment, response.json()["task_id"])
    ref = first_input(job)
    (record,) = deployment.sandbox.inputs_seen.last(1)
    assert (record["action"], [i["sha256"] for i in record["inputs"]]) == ("img2img", [ref.sha256])
    assert result_colour(result(deployment, job)) == marker_colour(ref.sha256)
    answer = await status(api, job.id)
    assert answer["kind"] == "generate"
    assert answer["inputs"] == [{"kind": "image", "width": SIZE, "height": SIZE}]
    assert len(answer["images"]) == 1


async def test_img2img_by_base64_in_json_makes_its_result_from_the_image(api: ApiWorld,
                                                                          deployment: Deployment) -> None:
    image = base64.b64encode(png((30, 160, 90), (640, 384))).decode()
    response = await api.client.post("/generate", headers=auth(ALICE_KEY), json={
        "prompt": "a cat", "image_b64": "data:image/png;base64," + image, "steps": 23})
    assert response.status_code == 200, response.text
    job = await finished(api, deployment, response.json()["task_id"])
    ref = first_input(job)
    assert [i["sha256"] for i in deployment.sandbox.inputs_seen.last(1)[0]["inputs"]] == [ref.sha256]
    assert result_colour(result(deployment, job)) == marker_colour(ref.sha256)
    # No size given: the image's own aspect (5:3) at about one megapixel.
    (given,) = (await status(api, job.id))["inputs"]
    assert given["kind"] == "image" and given["width"] > given["height"]


async def test_an_image_given_both_as_a_part_and_in_base64_is_refused(api: ApiWorld) -> None:
    image = png((1, 2, 3))
    response = await api.client.post("/generate", headers=auth(ALICE_KEY), **multipart(
        {"prompt": "a cat", "image_b64": base64.b64encode(image).decode()}, image=image))
    assert response.status_code == 400
    assert [p["code"] for p in response.json()["problems"]] == ["image_twice"]
    assert await api.state.services.queue.lane_depths() == {}


# -- derived jobs -------------------------------------------------------------------------------


async def test_enhance_of_a_finished_task_uses_its_result_at_one_and_a_half_times(api: ApiWorld,
                                                                                  deployment: Deployment) -> None:
    first = await api.submit(prompt="a cat", steps=23)
    source = await finished(api, deployment, first["task_id"])
    response = await api.client.post(f"/enhance/{source.id}", headers=auth(ALICE_KEY), json={"index": 0})
    assert response.status_code == 200, response.text
    job = await finished(api, deployment, response.json()["task_id"])
    ref = first_input(job)
    assert (ref.width, ref.height) == (768, 768)
    assert result_colour(result(deployment, job)) == marker_colour(ref.sha256)
    assert (await status(api, job.id))["inputs"] == [{"kind": "image", "width": 768, "height": 768}]


async def test_another_identitys_task_cannot_be_enhanced(api: ApiWorld, deployment: Deployment) -> None:
    first = await api.submit(key=BOB_KEY, prompt="a cat")
    response = await api.client.post(f"/enhance/{first['task_id']}", headers=auth(ALICE_KEY))
    assert response.status_code == 404
    assert await api.state.services.queue.lane_depths() == {"default": 1}


async def test_upscale_of_a_finished_task_doubles_its_image(deployment: Deployment) -> None:
    deployment.overrides["NAIBOT_QUEUE__MAX_ANLAS_PER_JOB"] = "1"  # the image host's upscale is never free
    async with running_api(with_api(deployment.settings)) as api:
        first = await api.submit(prompt="a cat", steps=23)
        source = await finished(api, deployment, first["task_id"])
        response = await api.client.post("/upscale", headers=auth(ALICE_KEY), json={"task_id": source.id})
        assert response.status_code == 200, response.text
        job = await finished(api, deployment, response.json()["task_id"])
        assert [(image.width, image.height) for image in job.images] == [(2 * SIZE, 2 * SIZE)]
        answer = await status(api, job.id)
        assert answer["kind"] == "upscale"
        assert answer["inputs"] == [{"kind": "image", "width": SIZE, "height": SIZE}]
        assert result_colour(result(deployment, job)) == marker_colour(first_input(job).sha256, "upscale")


async def test_a_tool_runs_on_the_uploaded_file(api: ApiWorld, deployment: Deployment) -> None:
    response = await api.client.post("/tools/lineart", headers=auth(ALICE_KEY),
                                     **multipart({}, image=png((240, 200, 10))))
    assert response.status_code == 200, response.text
    job = await finished(api, deployment, response.json()["task_id"])
    assert result_colour(result(deployment, job)) == marker_colour(first_input(job).sha256, "lineart")
    assert (await status(api, job.id))["kind"] == "tool"
    assert [r["status"] for r in calls(deployment, "/ai/augment-image")] == [200]


async def test_an_unknown_tool_is_refused(api: ApiWorld) -> None:
    response = await api.client.post("/tools/paint", headers=auth(ALICE_KEY), **multipart({}, image=png((1, 1, 1))))
    assert response.status_code == 400
    assert await api.state.services.queue.lane_depths() == {}


# -- vibes ----------------------------------------------------------------------------------------


async def test_the_same_vibe_twice_is_encoded_and_paid_once(deployment: Deployment) -> None:
    deployment.overrides["NAIBOT_QUEUE__MAX_ANLAS_PER_JOB"] = "2"  # one encoding
    vibe = base64.b64encode(png((10, 200, 10), (448, 448))).decode()
    async with running_api(with_api(deployment.settings)) as api:
        for _ in range(2):
            response = await api.client.post("/generate", headers=auth(ALICE_KEY), json={
                "prompt": "a cat", "model": "v4.5", "width": SIZE, "height": SIZE, "steps": 23,
                "vibes": [{"image_b64": vibe, "information_extracted": 0.8, "strength": 0.5}]})
            assert response.status_code == 200, response.text
            job = await finished(api, deployment, response.json()["task_id"])
            assert (await status(api, job.id))["inputs"] == [{"kind": "vibe", "width": 448, "height": 448}]
            assert opus_anlas(deployment) == 1000 - 2  # the encoding, paid by the first job only
    assert len(calls(deployment, "/ai/encode-vibe")) == 1
    records = deployment.sandbox.inputs_seen.last(2)
    assert [[i["kind"] for i in record["inputs"]] for record in records] == [["vibe_encoding"]] * 2


async def test_multipart_vibe_parts_take_the_listed_settings_in_order_and_the_rest_defaults(
        deployment: Deployment) -> None:
    deployment.overrides["NAIBOT_QUEUE__MAX_ANLAS_PER_JOB"] = "10"  # two encodings
    async with running_api(with_api(deployment.settings)) as api:
        response = await api.client.post("/generate", headers=auth(ALICE_KEY), **multipart(
            {"prompt": "a cat", "model": "v4.5", "width": SIZE, "height": SIZE, "vibes": [{"strength": 0.3}]},
            vibe=[png((1, 2, 3), (448, 448)), png((4, 5, 6), (448, 448))]))
        assert response.status_code == 200, response.text
        job = await api.state.services.queue.get(response.json()["task_id"])
        assert job is not None and job.generation is not None
        assert [vibe.strength for vibe in job.generation.vibes] == [0.3, 0.6]


async def test_a_listed_vibe_without_an_image_is_refused_by_its_index(api: ApiWorld) -> None:
    response = await api.client.post("/generate", headers=auth(ALICE_KEY), **multipart(
        {"prompt": "a cat", "model": "v4.5", "vibes": [{}, {}]}, vibe=png((1, 2, 3), (448, 448))))
    assert response.status_code == 400
    assert [(p["field"], p["code"]) for p in response.json()["problems"]] == [("vibes.1", "image_missing")]
    assert await api.state.services.queue.lane_depths() == {}


# -- bad files -------------------------------------------------------------------------------------


def bomb() -> bytes:
    """A valid PNG header claiming 100,000 x 100,000 pixels, with a few bytes of (compressed) data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + \
        chunk(b"IEND", b"")


def gif() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (1, 2, 3)).save(out, "GIF")
    return out.getvalue()


BAD_FILES = {
    "truncated": (png((9, 9, 9))[:200], 400, "image_corrupt"),
    "bomb": (bomb(), 400, "image_too_many_pixels"),
    "gif": (gif(), 415, "image_format"),
    "text named .png": (b"hello, this is not an image\n" * 10, 415, "image_not_an_image"),
}


@pytest.mark.parametrize("as_base64", [False, True], ids=["multipart", "base64"])
@pytest.mark.parametrize("name", list(BAD_FILES))
async def test_a_bad_file_is_refused_with_a_clear_message_and_nothing_queued(api: ApiWorld, name: str,
                                                                             as_base64: bool) -> None:
    data, status_code, code = BAD_FILES[name]
    params = {"prompt": "a cat"}
    if as_base64:
        response = await api.client.post("/generate", headers=auth(ALICE_KEY),
                                         json=params | {"image_b64": base64.b64encode(data).decode()})
    else:
        response = await api.client.post("/generate", headers=auth(ALICE_KEY), **multipart(params, image=data))
    assert response.status_code == status_code, response.text
    body = response.json()
    assert [p["code"] for p in body["problems"]] == [code]
    assert body["error"] and "image" in body["error"]
    assert await api.state.services.queue.lane_depths() == {}


async def test_a_50_mb_upload_is_refused_413_before_it_is_read_whole(api: ApiWorld) -> None:
    sent = 0
    chunk = b"\0" * 65536

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        boundary = b"--x0x0x"
        yield (boundary + b'\r\nContent-Disposition: form-data; name="params"\r\n\r\n{"prompt": "a cat"}\r\n' +
               boundary + b'\r\nContent-Disposition: form-data; name="image"; filename="big.png"\r\n'
               b"Content-Type: image/png\r\n\r\n\x89PNG\r\n\x1a\n")
        for _ in range(50 * 1024 * 1024 // len(chunk)):
            sent += len(chunk)
            yield chunk
        yield b"\r\n" + boundary + b"--\r\n"

    response = await api.client.post("/generate", content=body(), headers={
        **auth(ALICE_KEY), "Content-Type": "multipart/form-data; boundary=x0x0x"})
    assert response.status_code == 413, response.text
    assert [p["code"] for p in response.json()["problems"]] == ["part_too_large"]
    limit = api.state.settings.images.max_input_bytes
    assert sent < limit + 2 * len(chunk)  # the bound and a chunk, never 50 MB
    assert await api.state.services.queue.lane_depths() == {}


async def test_a_base64_image_over_the_bound_is_refused_413_before_it_is_decoded(api: ApiWorld) -> None:
    limit = api.state.settings.images.max_input_bytes
    response = await api.client.post("/generate", headers=auth(ALICE_KEY), json={
        "prompt": "a cat", "mask_b64": "A" * (4 * (limit // 3 + 2))})
    assert response.status_code == 413
    assert [(p["field"], p["code"]) for p in response.json()["problems"]] == [("mask_b64", "image_too_large")]


async def test_a_body_over_the_image_paths_cap_is_413_from_its_declared_length(api: ApiWorld) -> None:
    response = await api.client.post("/upscale", headers={**auth(ALICE_KEY), "Content-Type": "application/json"},
                                     content=b"{" + b" " * (50 * 1024 * 1024) + b"}")
    assert response.status_code == 413
    assert "too large" in response.json()["error"]


async def test_a_body_neither_json_nor_multipart_is_415(api: ApiWorld) -> None:
    response = await api.client.post("/generate", headers={**auth(ALICE_KEY), "Content-Type": "text/plain"},
                                     content=b"a cat")
    assert response.status_code == 415
    assert response.json()["problems"][0]["code"] == "content_type"


async def test_an_unknown_form_part_is_refused_by_name(api: ApiWorld) -> None:
    response = await api.client.post("/generate", headers=auth(ALICE_KEY),
                                     **multipart({"prompt": "a cat"}, picture=png((1, 2, 3))))
    assert response.status_code == 400
    assert response.json()["problems"][0]["code"] == "part_unknown"
    assert "picture" in response.json()["error"]


async def test_params_that_break_the_schema_name_their_field_in_the_params_part(api: ApiWorld) -> None:
    response = await api.client.post("/generate", headers=auth(ALICE_KEY),
                                     **multipart({"prompt": "a cat", "strength": "lots"}, image=png((1, 2, 3))))
    assert response.status_code == 400
    assert [p["field"] for p in response.json()["problems"]] == ["params.strength"]


async def test_the_description_covers_the_multipart_bodies(api: ApiWorld) -> None:
    paths = (await api.client.get("/openapi.json")).json()["paths"]
    for path in ("/generate", "/enhance", "/variations", "/upscale", "/tools/{tool_name}"):
        content = paths[path]["post"]["requestBody"]["content"]
        assert {"application/json", "multipart/form-data"} <= set(content), path
    assert set(paths["/generate"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
               ["properties"]) == {"params", "image", "mask", "vibe", "reference"}
    assert "413" in paths["/generate"]["post"]["responses"]

