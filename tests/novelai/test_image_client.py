"""The client with images in, against the NovelAI stand-in: img2img and infill on the ZIP and stream paths,
vibe encodings made and used, precise references, and prices the stand-in charges from its own table.

The stand-in frames each result in a colour derived from its input's sha256 and records every input it
decoded (sandbox/novelai/image_inputs.py), so a test knows which image a result came from.
"""

from __future__ import annotations

from typing import Any

import pytest

from novelai import errors
from novelai.accounts import Account
from novelai.client import MAX_VIBE_ENCODING_BYTES, NovelAIClient
from novelai.cost import cost_of
from novelai.image_payload import vibe_keys
from novelai.inputs import ImageInputs, ReferenceInput, VibeInput
from novelai.request import GenerationRequest
from novelai.response import StreamEvent
from novelai.subscription import Subscription
from sandbox.novelai import TABLET_EMAIL, NovelAISandbox, SandboxAccount
from sandbox.novelai.image_inputs import marker_colour, result_colour
from tests.fixtures.novelai_client import make_client, opus
from tests.novelai.image_fixtures import png, png_ref

WIDTH, HEIGHT = 512, 768
PICTURE = png(WIDTH, HEIGHT, (200, 40, 40))
MASK = png(WIDTH, HEIGHT, (255, 255, 255))


def tablet(sandbox: NovelAISandbox, anlas: int = 1000) -> Account:
    """A Tablet account (no Opus free image), so every price shows in its balance."""
    sandbox.add_account(SandboxAccount(email=TABLET_EMAIL, password="tablet-pw", tier=1, anlas=anlas))
    return Account.from_password("tablet", TABLET_EMAIL, "tablet-pw")


def _request(**fields: Any) -> GenerationRequest:
    base: dict[str, Any] = {"prompt": "1girl", "width": WIDTH, "height": HEIGHT, "steps": 8, "seed": 7}
    return GenerationRequest(**(base | fields)).resolved()


def _inputs(*images: bytes) -> ImageInputs:
    return ImageInputs(images={png_ref(i, 1, 1).sha256: i for i in images})


async def _anlas(client: NovelAIClient, account: Account) -> int:
    subscription: Subscription = await client.subscription(account)
    return subscription.anlas


def _last_inputs(sandbox: NovelAISandbox) -> dict[str, Any]:
    (record,) = sandbox.inputs_seen.last(1)
    return record


async def test_an_img2img_result_comes_from_the_given_image(novelai_sandbox: NovelAISandbox) -> None:
    req = _request(image=png_ref(PICTURE, WIDTH, HEIGHT))
    async with make_client(novelai_sandbox, None, "img") as client:
        [image] = await client.generate(opus(), req, inputs=_inputs(PICTURE))
    assert result_colour(image.png) == marker_colour(png_ref(PICTURE, 1, 1).sha256)
    record = _last_inputs(novelai_sandbox)
    assert (record["action"], record["model"], record["status"]) == ("img2img", "nai-diffusion-4-5-full", 200)
    assert [i["sha256"] for i in record["inputs"]] == [png_ref(PICTURE, 1, 1).sha256]


async def test_a_streamed_img2img_reports_its_denoised_steps_and_ends_in_the_image(
        novelai_sandbox: NovelAISandbox) -> None:
    seen: list[tuple[int, int]] = []

    async def progress(event: StreamEvent, total: int) -> None:
        seen.append(((event.step_index or 0) + 1, total))

    req = _request(image=png_ref(PICTURE, WIDTH, HEIGHT), steps=23, strength=0.7)
    async with make_client(novelai_sandbox, None, "img") as client:
        [image] = await client.generate(opus(), req, inputs=_inputs(PICTURE), on_progress=progress)
    # 23 steps at 0.7 preview 16 steps (NKDK findings §2): the total the progress shows is the one reached.
    assert seen[-1] == (16, 16)
    assert {total for _, total in seen} == {16}
    assert result_colour(image.png) == marker_colour(png_ref(PICTURE, 1, 1).sha256)


@pytest.mark.parametrize(("model", "inpainting"), [("v3", "nai-diffusion-3-inpainting"),
                                                   ("v4.5", "nai-diffusion-4-5-full-inpainting"),
                                                   ("v5", "nai-diffusion-5-full-inpainting")])
async def test_an_infill_goes_to_the_inpainting_model_with_image_and_mask(
        novelai_sandbox: NovelAISandbox, model: str, inpainting: str) -> None:
    req = _request(model=model, image=png_ref(PICTURE, WIDTH, HEIGHT), mask=png_ref(MASK, WIDTH, HEIGHT))
    async with make_client(novelai_sandbox, None, "img") as client:
        [image] = await client.generate(opus(), req, inputs=_inputs(PICTURE, MASK))
    record = _last_inputs(novelai_sandbox)
    assert (record["action"], record["model"]) == ("infill", inpainting)
    assert {i["sha256"] for i in record["inputs"]} == {png_ref(PICTURE, 1, 1).sha256, png_ref(MASK, 1, 1).sha256}
    assert (image.width, image.height) == (WIDTH, HEIGHT)


async def test_a_vibe_is_encoded_then_used_and_each_is_paid_as_priced(novelai_sandbox: NovelAISandbox) -> None:
    account = tablet(novelai_sandbox)
    vibe_png = png(448, 448, (10, 200, 10))
    req = _request(vibes=(VibeInput(image=png_ref(vibe_png, 448, 448), strength=0.5, information_extracted=0.8),))
    [key] = vibe_keys(req)
    async with make_client(novelai_sandbox, None, "img") as client:
        before = await _anlas(client, account)
        encoding = await client.encode_vibe(account, vibe_png, key.information_extracted, key.model)
        after_encoding = await _anlas(client, account)
        await client.generate(account, req, inputs=ImageInputs(vibe_encodings={key: encoding}))
        after = await _anlas(client, account)
    assert before - after_encoding == 2
    assert before - after == cost_of(req, None, uncached_vibes=1)
    record = _last_inputs(novelai_sandbox)
    assert [(i["kind"], i["sha256"], i["model"]) for i in record["inputs"]] == [
        ("vibe_encoding", key.sha256, "nai-diffusion-4-5-full")]


async def test_six_encoded_vibes_cost_four_more_than_four_as_the_stand_in_charges(
        novelai_sandbox: NovelAISandbox) -> None:
    account = tablet(novelai_sandbox)
    images = [png(448, 448, (i * 40, 0, 0)) for i in range(6)]
    req = _request(vibes=tuple(VibeInput(image=png_ref(v, 448, 448)) for v in images))
    async with make_client(novelai_sandbox, None, "img") as client:
        encodings = {key: await client.encode_vibe(account, image, key.information_extracted, key.model)
                     for key, image in zip(vibe_keys(req), images, strict=True)}
        before = await _anlas(client, account)
        await client.generate(account, req, inputs=ImageInputs(vibe_encodings=encodings))
        spent = before - await _anlas(client, account)
    assert spent == cost_of(req, None) == cost_of(_request(), None) + 4


async def test_v3_vibes_are_sent_as_images_and_priced_at_least_as_charged(novelai_sandbox: NovelAISandbox) -> None:
    # §4.2 charges vibes beyond four without naming a family; the stand-in charges them on V4/V4.5 only.
    # Not known for V3, so the bot prices them (treated as paid): it may ask for more, never for less.
    account = tablet(novelai_sandbox)
    vibes = [png(448, 448, (i * 40, 0, 0)) for i in range(6)]
    req = _request(model="v3", vibes=tuple(VibeInput(image=png_ref(v, 448, 448)) for v in vibes))
    async with make_client(novelai_sandbox, None, "img") as client:
        before = await _anlas(client, account)
        await client.generate(account, req, inputs=_inputs(*vibes))
        spent = before - await _anlas(client, account)
    assert cost_of(req, None) >= spent == cost_of(_request(model="v3"), None)
    assert [i["kind"] for i in _last_inputs(novelai_sandbox)["inputs"]] == ["image"] * 6


@pytest.mark.parametrize("model", ["v4.5", "v5"])
async def test_a_precise_reference_is_sent_and_priced_as_the_stand_in_charges(
        novelai_sandbox: NovelAISandbox, model: str) -> None:
    account = tablet(novelai_sandbox)
    # Letterboxed to the family's portrait bucket (novelai.images.REFERENCE_BUCKETS).
    width, height = (1024, 1536) if model == "v4.5" else (832, 1216)
    ref_png = png(width, height, (30, 30, 120))
    req = _request(model=model, references=(ReferenceInput(image=png_ref(ref_png, width, height), kind="character",
                                                           fidelity=0.5),))
    async with make_client(novelai_sandbox, None, "img") as client:
        before = await _anlas(client, account)
        await client.generate(account, req, inputs=_inputs(ref_png))
        spent = before - await _anlas(client, account)
    assert spent == cost_of(req, None)
    assert [i["sha256"] for i in _last_inputs(novelai_sandbox)["inputs"]] == [png_ref(ref_png, 1, 1).sha256]


async def test_img2img_and_infill_cost_what_the_stand_in_charges(novelai_sandbox: NovelAISandbox) -> None:
    account = tablet(novelai_sandbox)
    big, big_mask = png(832, 1216), png(832, 1216, (255, 255, 255))
    requests = [
        (_request(image=png_ref(PICTURE, WIDTH, HEIGHT), strength=0.45, steps=28), _inputs(PICTURE)),
        (_request(model="v5", image=png_ref(PICTURE, WIDTH, HEIGHT), strength=0.3, steps=28), _inputs(PICTURE)),
        (_request(image=png_ref(big, 832, 1216), mask=png_ref(big_mask, 832, 1216), width=832, height=1216,
                  inpaint_strength=0.6, steps=28), _inputs(big, big_mask)),
    ]
    async with make_client(novelai_sandbox, None, "img") as client:
        for req, inputs in requests:
            before = await _anlas(client, account)
            await client.generate(account, req, inputs=inputs)
            assert before - await _anlas(client, account) == cost_of(req, None), req.model_dump(exclude_none=True)


async def test_a_small_infill_is_priced_at_least_as_charged(novelai_sandbox: NovelAISandbox) -> None:
    # NKDK's size rule snaps to 64 without saying which way: the stand-in floors, the bot rounds up (the
    # dearer guess, treated as paid), so it may ask for a little more, never for less.
    account = tablet(novelai_sandbox)
    req = _request(image=png_ref(PICTURE, WIDTH, HEIGHT), mask=png_ref(MASK, WIDTH, HEIGHT), inpaint_strength=0.6,
                   steps=28)
    async with make_client(novelai_sandbox, None, "img") as client:
        before = await _anlas(client, account)
        await client.generate(account, req, inputs=_inputs(PICTURE, MASK))
        spent = before - await _anlas(client, account)
    assert cost_of(req, None) >= spent > 0


async def test_a_request_without_its_image_bytes_is_not_sent(novelai_sandbox: NovelAISandbox) -> None:
    async with make_client(novelai_sandbox, None, "img") as client:
        with pytest.raises(ValueError, match="loaded"):
            await client.generate(opus(), _request(image=png_ref(PICTURE, WIDTH, HEIGHT)), inputs=ImageInputs())
    assert not any(r["path"].startswith("/ai/") for r in novelai_sandbox.stats.requests)


@pytest.mark.parametrize("model", ["v3", "v5"])
async def test_encoding_a_vibe_for_a_model_that_takes_none_is_not_sent(
        novelai_sandbox: NovelAISandbox, model: str) -> None:
    async with make_client(novelai_sandbox, None, "img") as client:
        with pytest.raises(ValueError, match="no vibe encodings"):
            await client.encode_vibe(opus(), PICTURE, 1.0, model)
    assert not novelai_sandbox.stats.requests


async def test_an_encoding_past_its_bound_is_refused(novelai_sandbox: NovelAISandbox) -> None:
    novelai_sandbox.faults.hostile.append("huge_body")  # the stand-in answers encode-vibe with a huge body
    novelai_sandbox.faults.hostile_bytes = float(MAX_VIBE_ENCODING_BYTES + 1024)
    async with make_client(novelai_sandbox, None, "img") as client:
        with pytest.raises(errors.ResponseTooLarge):
            await client.encode_vibe(opus(), PICTURE, 1.0, "v4.5")


async def test_a_refused_encoding_is_an_error_with_novelais_reason(novelai_sandbox: NovelAISandbox) -> None:
    async with make_client(novelai_sandbox, None, "img") as client:
        with pytest.raises(errors.NovelAIError) as caught:
            await client.encode_vibe(opus(), b"not an image", 1.0, "v4.5")
    assert caught.value.status == 400
