"""The NovelAI stand-in behaves as docs/novelai-api.md says NovelAI does, driven over HTTP with httpx."""

from __future__ import annotations

import asyncio
import base64
import io
import itertools
import json
import time
import zipfile
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from PIL import Image

from novelai.accesskey import derive_access_key
from novelai.cost import cost_of, request_cost
from novelai.errors import InvalidRequest
from novelai.payload import build_payload
from novelai.request import GenerationRequest
from novelai.subscription import Subscription
from sandbox.novelai import (
    OPUS_EMAIL,
    OPUS_PASSWORD,
    OPUS_TOKEN,
    PAPER_EMAIL,
    PAPER_PASSWORD,
    TABLET_EMAIL,
    NovelAISandbox,
    SandboxAccount,
    parse_account_spec,
    pricing,
    running_sandbox,
)
from sandbox.novelai.accounts import subscription_json
from sandbox.novelai.validation import MAX_AREA, max_samples, validate_generation
from tests.fixtures.novelai_requests import (
    anlas_of,
    assert_error,
    bearer,
    character,
    decode_frames,
    frames_of,
    jwt_part,
    stream_body,
    unzip_pngs,
    v3_body,
    v45_body,
)

THIRTY_DAYS = 2_592_000
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8"


# -- login and tokens ------------------------------------------------------------------------


async def test_login_with_the_derived_access_key_returns_201_and_a_30_day_jwt(
        client: httpx.AsyncClient) -> None:
    response = await client.post("/user/login", json={"key": derive_access_key(OPUS_EMAIL, OPUS_PASSWORD)})

    assert response.status_code == 201
    token = response.json()["accessToken"]
    assert token.startswith("eyJ") and token.count(".") == 2
    assert jwt_part(token, 0) == {"alg": "HS256", "typ": "JWT"}
    payload = jwt_part(token, 1)
    assert set(payload) == {"id", "exp", "iat", "nc"}
    assert payload["exp"] - payload["iat"] == THIRTY_DAYS
    assert abs(payload["iat"] - time.time()) < 5
    assert (await client.get("/user/subscription", headers=bearer(token))).status_code == 200


async def test_login_accepts_the_email_in_any_case(client: httpx.AsyncClient) -> None:
    key = derive_access_key("  Opus@Example.COM", OPUS_PASSWORD)

    assert (await client.post("/user/login", json={"key": key})).status_code == 201


async def test_login_with_a_wrong_key_is_401(client: httpx.AsyncClient) -> None:
    response = await client.post("/user/login", json={"key": derive_access_key(OPUS_EMAIL, "wrong-password")})

    assert_error(response, 401)


@pytest.mark.parametrize("content", [b"not json", b"[]", b"{}", b'{"key": "short"}', b'{"key": 7}'])
async def test_login_with_a_malformed_body_is_400(client: httpx.AsyncClient, content: bytes) -> None:
    response = await client.post("/user/login", content=content, headers={"Content-Type": "application/json"})

    assert_error(response, 400)


async def test_token_lifetime_is_configurable_for_short_lived_tokens(
        novelai_sandbox: NovelAISandbox, client: httpx.AsyncClient) -> None:
    novelai_sandbox.token_lifetime = 60
    response = await client.post("/user/login", json={"key": derive_access_key(OPUS_EMAIL, OPUS_PASSWORD)})

    payload = jwt_part(response.json()["accessToken"], 1)
    assert payload["exp"] - payload["iat"] == 60


async def test_expired_token_is_401(novelai_sandbox: NovelAISandbox, client: httpx.AsyncClient) -> None:
    expired = novelai_sandbox.issue_token(OPUS_EMAIL, lifetime=-1)

    assert_error(await client.get("/user/subscription", headers=bearer(expired)), 401)
    assert_error(await client.post("/ai/generate-image", json=v45_body(), headers=bearer(expired)), 401)


@pytest.mark.parametrize("headers", [
    {}, {"Authorization": "Bearer nonsense"}, {"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.e30.c2ln"},
    {"Authorization": "Bearer pst-unknown"}, {"Authorization": "Basic b3B1czpwYXNz"},
])
async def test_missing_or_unknown_credentials_are_401(client: httpx.AsyncClient, headers: dict) -> None:
    assert_error(await client.get("/user/subscription", headers=headers), 401)


async def test_a_token_with_a_forged_payload_is_401(novelai_sandbox: NovelAISandbox,
                                                     client: httpx.AsyncClient) -> None:
    header, _, signature = novelai_sandbox.issue_token(TABLET_EMAIL).split(".")
    claims = jwt_part(novelai_sandbox.issue_token(OPUS_EMAIL), 1)
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()

    assert_error(await client.get("/user/subscription",
                                  headers=bearer(f"{header}.{forged_payload}.{signature}")), 401)


async def test_revoking_an_account_makes_its_old_tokens_401_but_a_new_login_works(
        novelai_sandbox: NovelAISandbox, client: httpx.AsyncClient) -> None:
    old = novelai_sandbox.issue_token(OPUS_EMAIL)
    other = novelai_sandbox.issue_token(TABLET_EMAIL)

    novelai_sandbox.revoke_tokens(OPUS_EMAIL)

    assert_error(await client.get("/user/subscription", headers=bearer(old)), 401)
    assert (await client.get("/user/subscription", headers=bearer(other))).status_code == 200
    login = await client.post("/user/login", json={"key": derive_access_key(OPUS_EMAIL, OPUS_PASSWORD)})
    assert (await client.get("/user/subscription",
                             headers=bearer(login.json()["accessToken"]))).status_code == 200


async def test_persistent_token_works_directly_until_revoked(novelai_sandbox: NovelAISandbox,
                                                             client: httpx.AsyncClient) -> None:
    assert (await client.get("/user/subscription", headers=bearer(OPUS_TOKEN))).status_code == 200

    novelai_sandbox.revoke_tokens(OPUS_TOKEN)

    assert_error(await client.get("/user/subscription", headers=bearer(OPUS_TOKEN)), 401)


# -- account routes --------------------------------------------------------------------------


async def test_subscription_has_novelai_shape_and_tier_perks(novelai_sandbox: NovelAISandbox,
                                                             client: httpx.AsyncClient,
                                                             opus: dict[str, str]) -> None:
    body = (await client.get("/user/subscription", headers=opus)).json()
    tablet = (await client.get("/user/subscription",
                               headers=bearer(novelai_sandbox.issue_token(TABLET_EMAIL)))).json()

    assert set(body) >= {"tier", "active", "expiresAt", "accountType", "perks", "paymentProcessorData",
                         "trainingStepsLeft"}
    assert (body["tier"], body["active"]) == (3, True)
    assert body["perks"]["imageGeneration"] is True and body["perks"]["unlimitedImageGeneration"] is True
    assert body["trainingStepsLeft"] == {"fixedTrainingStepsLeft": 1000, "purchasedTrainingSteps": 0}
    assert tablet["tier"] == 1 and tablet["perks"]["unlimitedImageGeneration"] is False
    assert tablet["trainingStepsLeft"]["fixedTrainingStepsLeft"] == 500


async def test_user_data_bundles_subscription_and_the_rest(client: httpx.AsyncClient,
                                                           opus: dict[str, str]) -> None:
    data = (await client.get("/user/data", headers=opus)).json()
    subscription = (await client.get("/user/subscription", headers=opus)).json()

    assert set(data) == {"priority", "subscription", "keystore", "settings", "information"}
    assert data["subscription"] == subscription
    assert data["settings"] == "{}"
    assert data["information"] == (await client.get("/user/information", headers=opus)).json()


async def test_suggest_tags_completes_a_partial_tag(client: httpx.AsyncClient, opus: dict[str, str]) -> None:
    response = await client.get("/ai/generate-image/suggest-tags",
                                params={"model": "nai-diffusion-4-5-full", "prompt": "long"}, headers=opus)

    tags = response.json()["tags"]
    assert tags[0]["tag"] == "long hair", "the most used tag starting with the text comes first"
    assert all(any(word.startswith("long") for word in tag["tag"].split()) for tag in tags)
    assert all(isinstance(tag["count"], int) and 0 < tag["count"] <= 10_000 for tag in tags)


# -- generation ------------------------------------------------------------------------------


async def test_generate_returns_a_deflate_zip_with_n_pngs_of_the_requested_size(
        client: httpx.AsyncClient, opus: dict[str, str]) -> None:
    response = await client.post("/ai/generate-image", json=v45_body(width=512, height=768, n_samples=3),
                                 headers=opus)

    assert response.status_code == 200
    assert response.headers["content-type"] == "binary/octet-stream"
    assert response.content.startswith(b"PK\x03\x04")
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert archive.namelist() == ["image_0.png", "image_1.png", "image_2.png"]
        assert {info.compress_type for info in archive.infolist()} == {zipfile.ZIP_DEFLATED}
    for png in unzip_pngs(response.content):
        assert png.startswith(PNG_MAGIC)
        with Image.open(io.BytesIO(png)) as image:
            assert image.size == (512, 768)


async def test_same_request_gives_the_same_bytes_and_another_seed_does_not(
        client: httpx.AsyncClient, opus: dict[str, str]) -> None:
    first = await client.post("/ai/generate-image", json=v45_body(seed=7), headers=opus)
    again = await client.post("/ai/generate-image", json=v45_body(seed=7), headers=opus)
    other_seed = await client.post("/ai/generate-image", json=v45_body(seed=8), headers=opus)
    other_prompt = await client.post("/ai/generate-image", json=v45_body("1boy", seed=7), headers=opus)

    assert unzip_pngs(first.content) == unzip_pngs(again.content)
    assert unzip_pngs(first.content) != unzip_pngs(other_seed.content)
    assert unzip_pngs(first.content) != unzip_pngs(other_prompt.content)


async def test_pngs_carry_novelai_text_chunks_with_seed_plus_index(client: httpx.AsyncClient,
                                                                   opus: dict[str, str]) -> None:
    response = await client.post("/ai/generate-image", headers=opus,
                                 json=v45_body("2girls, classroom", seed=100, n_samples=2, width=640,
                                               height=640, steps=20, scale=4.5))

    for index, png in enumerate(unzip_pngs(response.content)):
        with Image.open(io.BytesIO(png)) as image:
            info = image.info
        assert info["Title"] == "AI generated image"
        assert info["Description"] == "2girls, classroom"
        assert info["Software"] == "NovelAI"
        assert info["Source"].startswith("NovelAI Diffusion V4.5 ")
        assert float(info["Generation time"]) > 0
        comment = json.loads(info["Comment"])
        assert comment["seed"] == 100 + index
        assert (comment["steps"], comment["width"], comment["height"]) == (20, 640, 640)
        assert (comment["scale"], comment["sampler"], comment["n_samples"]) == (4.5, "k_euler_ancestral", 2)
        assert comment["uc"] == "lowres"
        assert comment["request_type"] == "PromptGenerateRequest"
        assert comment["v4_prompt"]["caption"]["base_caption"] == "2girls, classroom"


async def test_v3_images_are_labelled_stable_diffusion_xl(client: httpx.AsyncClient,
                                                          opus: dict[str, str]) -> None:
    response = await client.post("/ai/generate-image", json=v3_body(), headers=opus)

    with Image.open(io.BytesIO(unzip_pngs(response.content)[0])) as image:
        assert image.info["Source"] == "Stable Diffusion XL C1E1DE52"


async def test_seed_zero_lets_the_server_pick_and_leaves_it_out_of_the_metadata(
        client: httpx.AsyncClient, opus: dict[str, str]) -> None:
    response = await client.post("/ai/generate-image", json=v45_body(seed=0), headers=opus)

    with Image.open(io.BytesIO(unzip_pngs(response.content)[0])) as image:
        assert "seed" not in json.loads(image.info["Comment"])


async def test_multipart_body_with_a_request_part_is_accepted(client: httpx.AsyncClient,
                                                              opus: dict[str, str]) -> None:
    files = {"request": ("blob", json.dumps(v45_body()).encode(), "application/json")}

    response = await client.post("/ai/generate-image", files=files, headers=opus)

    assert response.status_code == 200 and response.content.startswith(b"PK")


# -- streaming -------------------------------------------------------------------------------


async def test_stream_sends_a_preview_per_step_then_finals_equal_to_the_zip_pngs(
        client: httpx.AsyncClient, opus: dict[str, str]) -> None:
    body = v45_body(steps=5, n_samples=2, width=512, height=768)

    streamed = await client.post("/ai/generate-image-stream", json=stream_body(body), headers=opus)
    zipped = await client.post("/ai/generate-image", json=body, headers=opus)

    assert streamed.status_code == 200
    frames = decode_frames(streamed.content)
    intermediates = [f for f in frames if f["event_type"] == "intermediate"]
    finals = [f for f in frames if f["event_type"] == "final"]
    assert frames[-2:] == finals and len(intermediates) == 5 * 2
    assert sorted((f["samp_ix"], f["step_ix"]) for f in intermediates) == [
        (sample, step) for sample in range(2) for step in range(5)]
    assert all(f["image"].startswith(JPEG_MAGIC) and len(f["image"]) < 4096 for f in intermediates)
    sigmas = [f["sigma"] for f in intermediates if f["samp_ix"] == 0]
    assert sigmas == sorted(sigmas, reverse=True)
    assert len({f["gen_id"] for f in frames}) == 1
    assert [f["samp_ix"] for f in finals] == [0, 1]
    assert [f["image"] for f in finals] == unzip_pngs(zipped.content)


async def test_stream_as_sse_carries_base64_images(client: httpx.AsyncClient, opus: dict[str, str]) -> None:
    body = v45_body(steps=3)

    response = await client.post("/ai/generate-image-stream", json=stream_body(body, "sse"), headers=opus)
    zipped = await client.post("/ai/generate-image", json=body, headers=opus)

    assert response.headers["content-type"].startswith("text/event-stream")
    events = [json.loads(line.removeprefix("data: ")) for line in response.text.splitlines()
              if line.startswith("data: ")]
    assert [e["event_type"] for e in events] == ["intermediate"] * 3 + ["final"]
    assert base64.b64decode(events[-1]["image"]) == unzip_pngs(zipped.content)[0]


async def test_stream_errors_are_plain_json_before_any_frame(client: httpx.AsyncClient,
                                                             opus: dict[str, str]) -> None:
    too_many_steps = v45_body(steps=51)

    assert_error(await client.post("/ai/generate-image-stream", json=stream_body(too_many_steps), headers=opus),
                 400)
    assert_error(await client.post("/ai/generate-image-stream", json=v45_body(), headers=opus), 400)


# -- validation ------------------------------------------------------------------------------


def _without(path: str) -> Callable[[dict], None]:
    def mutate(body: dict) -> None:
        *parents, leaf = path.split(".")
        target = body
        for name in parents:
            target = target[name]
        del target[leaf]
    return mutate


def _set(**params: Any) -> Callable[[dict], None]:
    return lambda body: body["parameters"].update(params)


def _top(**fields: Any) -> Callable[[dict], None]:
    return lambda body: body.update(fields)


def _characters(positive: list[dict], negative: list[dict]) -> Callable[[dict], None]:
    def mutate(body: dict) -> None:
        body["parameters"]["v4_prompt"]["caption"]["char_captions"] = positive
        body["parameters"]["v4_negative_prompt"]["caption"]["char_captions"] = negative
    return mutate


INVALID = {
    "missing input": _without("input"),
    "empty input": _top(input="  "),
    "unknown model": _top(model="nai-diffusion-9"),
    "unknown action": _top(action="upscale"),
    "width not a multiple of 64": _set(width=830),
    "height not a multiple of 64": _set(height=1200),
    "height zero": _set(height=0),
    "area too large": _set(width=2048, height=2048),
    "steps zero": _set(steps=0),
    "steps above 50": _set(steps=51),
    "steps not an integer": _set(steps="28"),
    "n_samples above the area table": _set(n_samples=5),
    "native noise schedule on V4.5": _set(noise_schedule="native"),
    "char_captions of different lengths": _characters([character("a"), character("b")], [character("")]),
    "empty centers": _characters([{"char_caption": "a", "centers": []}],
                                 [{"char_caption": "", "centers": []}]),
    "seven characters on V4.5": _characters([character("a")] * 7, [character("")] * 7),
    "unknown sampler": _set(sampler="k_euler_a"),
    "scale above 10 on V4.5": _set(scale=11),
    "img2img without an image": _top(action="img2img"),
}


@pytest.mark.parametrize("mutate", INVALID.values(), ids=INVALID.keys())
async def test_invalid_generation_requests_are_400_and_cost_nothing(
        client: httpx.AsyncClient, opus: dict[str, str], mutate: Callable[[dict], None]) -> None:
    body = v45_body(steps=29)  # 29 steps is outside the free envelope: a charge would show.
    mutate(body)

    assert_error(await client.post("/ai/generate-image", json=body, headers=opus), 400)
    assert await anlas_of(client, opus) == 1000


# The real service answers a V4+ body without its structured prompt with HTTP 500, not 400 (an
# unattributed V5 client: "omitting the object makes NovelAI answer HTTP 500"; audit §5 row 6).
CRASHING_BODIES: dict[str, Callable[[dict], None]] = {
    "V4.5 without v4_prompt": _without("parameters.v4_prompt"),
    "V4.5 without v4_negative_prompt": _without("parameters.v4_negative_prompt"),
    "V4 without v4_prompt": lambda body: (_top(model="nai-diffusion-4-full")(body),
                                          _without("parameters.v4_prompt")(body)),
    "V5 without v4_prompt": lambda body: (_top(model="nai-diffusion-5-full")(body),
                                          _without("parameters.v4_prompt")(body)),
}


@pytest.mark.parametrize("mutate", list(CRASHING_BODIES.values()), ids=list(CRASHING_BODIES))
async def test_a_missing_structured_prompt_is_a_500_and_costs_nothing(
        client: httpx.AsyncClient, opus: dict[str, str], mutate: Callable[[dict], None]) -> None:
    body = v45_body(steps=29)
    mutate(body)

    assert (await client.post("/ai/generate-image", json=body, headers=opus)).status_code == 500
    assert await anlas_of(client, opus) == 1000


async def test_v3_needs_no_structured_prompt(client: httpx.AsyncClient, opus: dict[str, str]) -> None:
    assert (await client.post("/ai/generate-image", json=v3_body(noise_schedule="native"),
                              headers=opus)).status_code == 200


@pytest.mark.parametrize("body", [
    v45_body(width=512, height=704, n_samples=8),
    v45_body(width=640, height=640, n_samples=6),
    v45_body(model="nai-diffusion-5-full"),
    v45_body(v4_prompt={"caption": {"base_caption": "2girls",
                                    "char_captions": [character("a", 0.3), character("b", 0.7)]}},
             v4_negative_prompt={"caption": {"base_caption": "",
                                             "char_captions": [character("", 0.3), character("", 0.7)]}}),
], ids=["8 samples at 512x704", "6 samples at 640x640", "V5", "two characters"])
async def test_requests_at_the_limits_are_accepted(client: httpx.AsyncClient, opus: dict[str, str],
                                                   body: dict) -> None:
    response = await client.post("/ai/generate-image", json=body, headers=opus)

    assert response.status_code == 200, response.text
    assert len(unzip_pngs(response.content)) == body["parameters"]["n_samples"]


# -- concurrency -----------------------------------------------------------------------------


async def test_two_overlapping_generations_of_one_account_get_429_concurrent_generation_is_locked(
        novelai_sandbox: NovelAISandbox, client: httpx.AsyncClient, opus: dict[str, str]) -> None:
    novelai_sandbox.step_latency = 0.02
    body = v45_body(steps=10)

    first, second = await asyncio.gather(client.post("/ai/generate-image", json=body, headers=opus),
                                         client.post("/ai/generate-image", json=body, headers=opus))

    statuses = sorted([first.status_code, second.status_code])
    assert statuses == [200, 429]
    refused = first if first.status_code == 429 else second
    assert refused.json() == {"statusCode": 429, "message": "Concurrent generation is locked"}
    assert novelai_sandbox.stats.peak_concurrency[OPUS_EMAIL] == 2
    assert novelai_sandbox.stats.generations_started(OPUS_EMAIL) == 1
    assert novelai_sandbox.stats.generations[OPUS_EMAIL] == 1


async def test_the_lock_covers_both_endpoints_and_frees_when_the_generation_ends(
        novelai_sandbox: NovelAISandbox, client: httpx.AsyncClient, opus: dict[str, str]) -> None:
    novelai_sandbox.step_latency = 0.01
    async with client.stream("POST", "/ai/generate-image-stream", json=stream_body(v45_body(steps=5)),
                             headers=opus) as streaming:
        frames = frames_of(streaming)
        assert (await anext(frames))["event_type"] == "intermediate"

        locked = await client.post("/ai/generate-image", json=v45_body(steps=1), headers=opus)

        assert [frame["event_type"] async for frame in frames][-1] == "final"
    assert_error(locked, 429)
    assert (await client.post("/ai/generate-image", json=v45_body(), headers=opus)).status_code == 200


async def test_an_abandoned_stream_keeps_the_account_locked(novelai_sandbox: NovelAISandbox,
                                                            opus: dict[str, str]) -> None:
    novelai_sandbox.step_latency = 0.05
    body = stream_body(v45_body(steps=10))
    async with (httpx.AsyncClient(base_url=novelai_sandbox.url) as quitter,
                quitter.stream("POST", "/ai/generate-image-stream", json=body, headers=opus) as streaming):
        await anext(frames_of(streaming))

    async with httpx.AsyncClient(base_url=novelai_sandbox.url) as client:
        assert_error(await client.post("/ai/generate-image", json=v45_body(steps=1), headers=opus), 429)


async def test_different_accounts_generate_at_the_same_time(novelai_sandbox: NovelAISandbox,
                                                            client: httpx.AsyncClient,
                                                            opus: dict[str, str]) -> None:
    novelai_sandbox.step_latency = 0.01
    body = v45_body(steps=10)

    responses = await asyncio.gather(client.post("/ai/generate-image", json=body, headers=opus),
                                     client.post("/ai/generate-image", json=body, headers=bearer(OPUS_TOKEN)))

    assert [r.status_code for r in responses] == [200, 200]


# -- Anlas -----------------------------------------------------------------------------------


async def test_paper_trial_account_gets_402(client: httpx.AsyncClient) -> None:
    login = await client.post("/user/login", json={"key": derive_access_key(PAPER_EMAIL, PAPER_PASSWORD)})
    paper = bearer(login.json()["accessToken"])

    assert_error(await client.post("/ai/generate-image", json=v45_body(), headers=paper), 402)


async def test_an_inactive_subscription_gets_402(novelai_sandbox: NovelAISandbox, client: httpx.AsyncClient,
                                                 opus: dict[str, str]) -> None:
    novelai_sandbox.accounts[0].active = False

    assert_error(await client.post("/ai/generate-image", json=v45_body(), headers=opus), 402)


async def test_generation_spends_anlas_until_the_balance_is_too_low_then_402(
        novelai_sandbox: NovelAISandbox, client: httpx.AsyncClient) -> None:
    novelai_sandbox.add_account(SandboxAccount(email=TABLET_EMAIL, password="x", tier=1, anlas=25))
    tablet = bearer(novelai_sandbox.issue_token(TABLET_EMAIL))
    body = v45_body(width=832, height=1216, steps=28)  # 20 Anlas (docs/novelai-api.md §7 worked value)

    assert (await client.post("/ai/generate-image", json=body, headers=tablet)).status_code == 200
    assert await anlas_of(client, tablet) == 5
    assert_error(await client.post("/ai/generate-image", json=body, headers=tablet), 402)
    assert await anlas_of(client, tablet) == 5


async def test_opus_gets_one_free_image_within_1024_squared_and_28_steps(client: httpx.AsyncClient,
                                                                         opus: dict[str, str]) -> None:
    free = v45_body(width=1024, height=1024, steps=28)
    assert (await client.post("/ai/generate-image", json=free, headers=opus)).status_code == 200
    assert await anlas_of(client, opus) == 1000

    two = v45_body(width=1024, height=1024, steps=28, n_samples=2)
    assert (await client.post("/ai/generate-image", json=two, headers=opus)).status_code == 200
    assert await anlas_of(client, opus) == 980

    too_many_steps = v45_body(width=1024, height=1024, steps=29)
    assert (await client.post("/ai/generate-image", json=too_many_steps, headers=opus)).status_code == 200
    assert await anlas_of(client, opus) < 980


# -- the stand-in's own price table vs. the client's -----------------------------------------
#
# sandbox/novelai/pricing.py is written from docs/novelai-api.md §7, novelai/cost.py separately, so the two
# are independent opinions of what NovelAI charges: where they disagree, one of them has a pricing bug.

SIDES = range(64, MAX_AREA // 64 + 1, 64)
SMEA_FLAGS = ((False, False), (True, False), (True, True))  # what the client can send: plain, SMEA, SMEA DYN
# Sizes around every rule: the worked values, the Opus-free limit (1024², one 64 row more), the n_samples
# bands of validation, the tiny minimum and the largest area.
GRID_SIZES = ((64, 64), (256, 256), (512, 704), (512, 768), (640, 640), (832, 1216), (1024, 1024),
              (1024, 1088), (1088, 1024), (1216, 832), (1024, 1280), (1024, 1536), (1472, 1472),
              (1088, 1920), (2048, 1536), (1024, 3072))
GRID_STEPS = (1, 10, 23, 27, 28, 29, 40, 50)
# (tier, active) of the accounts the stand-in knows: Paper, Tablet, Scroll, Opus, and a lapsed Opus.
GRID_ACCOUNTS = ((0, True), (1, True), (2, True), (3, True), (3, False))


def _client_opus_free(tier: int, active: bool) -> bool:
    """The client's view of the account, read from the subscription JSON the stand-in answers."""
    account = SandboxAccount(token="pst-grid", tier=tier, active=active)
    return Subscription.from_api(subscription_json(account)).opus_free


def test_the_per_image_price_agrees_with_the_client_on_every_size_and_step_count_validation_allows() -> None:
    compared, mismatches = 0, []
    for width, height in itertools.product(SIDES, SIDES):
        if width * height > MAX_AREA:
            continue
        for steps, (sm, sm_dyn) in itertools.product(range(1, 51), SMEA_FLAGS):
            ours = pricing.per_image(width, height, steps, sm=sm, sm_dyn=sm_dyn)
            theirs = request_cost(width, height, steps, 1, smea=sm, smea_dyn=sm_dyn)
            compared += 1
            if ours != theirs:
                mismatches.append((width, height, steps, sm, sm_dyn, ours, theirs))
            assert ours <= pricing.CEILING_PER_IMAGE
    assert not mismatches, f"{len(mismatches)} of {compared} prices differ, e.g. {mismatches[:5]}"
    assert compared > 700_000  # every (width, height) pair validation allows × 50 steps × 3 SMEA settings


def test_the_request_price_agrees_with_the_client_across_samples_and_tiers() -> None:
    compared, mismatches = 0, []
    for (width, height), steps, (sm, sm_dyn), (tier, active) in itertools.product(
            GRID_SIZES, GRID_STEPS, SMEA_FLAGS, GRID_ACCOUNTS):
        opus_free = _client_opus_free(tier, active)
        for n_samples in range(1, max_samples(width * height) + 1):
            ours = pricing.price(width, height, steps, n_samples, tier=tier, active=active, sm=sm,
                                 sm_dyn=sm_dyn).total
            theirs = request_cost(width, height, steps, n_samples, smea=sm, smea_dyn=sm_dyn, opus_free=opus_free)
            compared += 1
            if ours != theirs:
                mismatches.append((width, height, steps, sm, sm_dyn, tier, active, n_samples, ours, theirs))
    assert not mismatches, f"{len(mismatches)} of {compared} prices differ, e.g. {mismatches[:5]}"
    assert compared > 7_000


@pytest.mark.parametrize(("model", "sampler"), [
    ("nai-diffusion-3", "k_euler"), ("nai-diffusion-3", "nai_smea"), ("nai-diffusion-3", "nai_smea_dyn"),
    ("nai-diffusion-4-5-full", "k_euler_ancestral"), ("nai-diffusion-4-5-full", "k_dpmpp_2m"),
])
def test_what_the_client_sends_is_charged_what_the_client_expects(model: str, sampler: str) -> None:
    """End to end: the client's request → its body → the stand-in's validation and price, vs. cost_of."""
    compared = 0
    for (width, height), steps, (tier, active) in itertools.product(
            ((640, 640), (832, 1216), (1024, 1024), (1024, 1088), (1472, 1472)), (23, 28, 29, 50),
            GRID_ACCOUNTS):
        subscription = Subscription.from_api(subscription_json(
            SandboxAccount(token="pst-grid", tier=tier, active=active)))
        for n_samples in (1, 2):
            request = GenerationRequest(prompt="1girl", model=model, sampler=sampler, width=width, height=height,
                                        steps=steps, n_samples=n_samples, seed=7)
            try:
                request = request.resolved()
            except InvalidRequest:
                continue  # e.g. two 1472² images: the client refuses, so nothing is sent
            generation = validate_generation(build_payload(request))
            charged = pricing.price(generation.width, generation.height, generation.steps, generation.n_samples,
                                    tier=tier, active=active, sm=generation.sm, sm_dyn=generation.sm_dyn)
            assert charged.total == cost_of(request, subscription), (width, height, steps, tier, active, n_samples)
            compared += 1
    assert compared > 150


@pytest.mark.parametrize(("width", "height", "steps", "n_samples", "tier", "sm", "sm_dyn", "anlas"), [
    # The worked values of docs/novelai-api.md §7, at Tablet (nothing free).
    (832, 1216, 28, 1, 1, False, False, 20),
    (832, 1216, 23, 1, 1, False, False, 17),
    (1024, 1024, 28, 1, 1, False, False, 20),
    (1024, 1536, 28, 1, 1, False, False, 30),
    (1472, 1472, 28, 1, 1, False, False, 42),
    # SMEA ×1.2 and SMEA DYN ×1.4 of the rounded base, rounded up: ceil(20·1.2) = 24, ceil(20·1.4) = 28,
    # ceil(17·1.2) = ceil(20.4) = 21, ceil(17·1.4) = ceil(23.8) = 24.
    (832, 1216, 28, 1, 1, True, False, 24),
    (832, 1216, 28, 1, 1, True, True, 28),
    (832, 1216, 23, 1, 1, True, False, 21),
    (832, 1216, 23, 1, 1, True, True, 24),
    # The 2-Anlas minimum: 64×64 at 1 step is 0.0144 before rounding, 512×512 at 28 is ceil(4.997) = 5.
    (64, 64, 1, 1, 1, False, False, 2),
    (64, 64, 1, 3, 1, True, True, 6),
    (512, 512, 28, 1, 1, False, False, 5),
    # n_samples multiplies: 4 × 8 (640×640 at 28 steps is ceil(7.807) = 8).
    (640, 640, 28, 4, 2, False, False, 32),
    # Opus: one image free within 1024² and 28 steps, the others billed; nothing free above either limit
    # (1024² at 29 steps is ceil(20.59) = 21; 1024×1088 at 28 is ceil(21.24) = 22).
    (1024, 1024, 28, 1, 3, False, False, 0),
    (1024, 1024, 28, 4, 3, False, False, 60),
    (832, 1216, 28, 2, 3, True, True, 28),
    (1024, 1024, 29, 1, 3, False, False, 21),
    (1024, 1088, 28, 1, 3, False, False, 22),
    # Paper pays like anyone below Opus.
    (1024, 1024, 28, 1, 0, False, False, 20),
    # The largest request validation allows is exactly the website's ceiling: ceil(99.78) = 100, × 1.4 = 140.
    (1024, 3072, 50, 1, 3, True, True, 140),
])
def test_the_stand_in_price_matches_values_worked_by_hand(width: int, height: int, steps: int, n_samples: int,
                                                          tier: int, sm: bool, sm_dyn: bool, anlas: int) -> None:
    assert pricing.price(width, height, steps, n_samples, tier=tier, sm=sm, sm_dyn=sm_dyn).total == anlas


def test_a_lapsed_opus_gets_nothing_free() -> None:
    assert pricing.price(1024, 1024, 28, 1, tier=3, active=False).total == 20


# -- faults ----------------------------------------------------------------------------------


async def test_forced_statuses_are_answered_once_each_in_order(novelai_sandbox: NovelAISandbox,
                                                               client: httpx.AsyncClient,
                                                               opus: dict[str, str]) -> None:
    novelai_sandbox.faults.forced = [500, 429, 401]

    statuses = [(await client.get("/user/subscription", headers=opus)).status_code for _ in range(4)]

    assert statuses == [500, 429, 401, 200]
    assert novelai_sandbox.faults.forced == []


async def test_a_forced_429_is_a_plain_rate_limit_not_the_concurrency_lock(
        novelai_sandbox: NovelAISandbox, client: httpx.AsyncClient, opus: dict[str, str]) -> None:
    novelai_sandbox.faults.forced = [429]

    message = assert_error(await client.post("/ai/generate-image", json=v45_body(), headers=opus), 429)

    assert "concurrent" not in message.lower()
    assert novelai_sandbox.stats.generations_started() == 0


async def test_error_500_rate_answers_json_500(novelai_sandbox: NovelAISandbox, client: httpx.AsyncClient,
                                               opus: dict[str, str]) -> None:
    novelai_sandbox.faults.error_500_rate = 1.0

    assert_error(await client.post("/ai/generate-image", json=v45_body(), headers=opus), 500)
    assert novelai_sandbox.stats.generations.total() == 0


async def test_error_503_rate_answers_an_html_page(novelai_sandbox: NovelAISandbox, client: httpx.AsyncClient,
                                                   opus: dict[str, str]) -> None:
    novelai_sandbox.faults.error_503_rate = 1.0

    response = await client.get("/user/subscription", headers=opus)

    assert response.status_code == 503
    assert response.headers["content-type"].startswith("text/html")


async def test_drop_rate_closes_the_connection_without_a_response(novelai_sandbox: NovelAISandbox,
                                                                  client: httpx.AsyncClient,
                                                                  opus: dict[str, str]) -> None:
    novelai_sandbox.faults.drop_rate = 1.0

    with pytest.raises(httpx.RemoteProtocolError):
        await client.post("/ai/generate-image", json=v45_body(), headers=opus)
    assert novelai_sandbox.stats.requests[-1]["status"] == 0


async def test_slow_seconds_delays_the_answer(novelai_sandbox: NovelAISandbox, client: httpx.AsyncClient,
                                              opus: dict[str, str]) -> None:
    novelai_sandbox.faults.slow_seconds = 0.2
    started = time.perf_counter()

    response = await client.get("/user/subscription", headers=opus)

    assert response.status_code == 200
    assert time.perf_counter() - started >= 0.2


async def test_fault_rates_are_reproducible_from_the_seed(opus: dict[str, str]) -> None:
    async def statuses(seed: int) -> list[int]:
        sandbox = NovelAISandbox(seed=seed)
        sandbox.faults.error_500_rate = sandbox.faults.error_503_rate = 0.3
        await sandbox.start()
        try:
            async with httpx.AsyncClient(base_url=sandbox.url) as http:
                return [(await http.get("/user/subscription", headers=bearer(OPUS_TOKEN))).status_code
                        for _ in range(30)]
        finally:
            await sandbox.stop()

    first = await statuses(7)

    assert first == await statuses(7)
    assert {200, 500, 503} == set(first)


async def test_faults_never_touch_the_control_api(novelai_sandbox: NovelAISandbox,
                                                  client: httpx.AsyncClient) -> None:
    novelai_sandbox.faults.error_500_rate = 1.0
    novelai_sandbox.faults.forced = [503]

    assert (await client.get("/_sandbox/stats")).status_code == 200
    assert novelai_sandbox.faults.forced == [503]


# -- control API and stats -------------------------------------------------------------------


async def test_control_api_sets_faults_over_http(novelai_sandbox: NovelAISandbox,
                                                 client: httpx.AsyncClient, opus: dict[str, str]) -> None:
    response = await client.post("/_sandbox/faults", json={"forced": [502], "slow_seconds": 0})

    assert response.json()["forced"] == [502]
    assert (await client.get("/user/subscription", headers=opus)).status_code == 502
    assert_error(await client.post("/_sandbox/faults", json={"error_rate": 1}), 400)


async def test_control_api_adds_an_account_that_can_log_in(client: httpx.AsyncClient) -> None:
    added = await client.post("/_sandbox/accounts", json={"spec": "new@example.com:new-password:2:300"})
    key = derive_access_key("new@example.com", "new-password")
    headers = bearer((await client.post("/user/login", json={"key": key})).json()["accessToken"])
    subscription = await client.get("/user/subscription", headers=headers)

    assert added.status_code == 201 and added.json()["key"] == "new@example.com"
    assert subscription.json()["tier"] == 2 and await anlas_of(client, headers) == 300
    assert (await client.post("/_sandbox/accounts", json={"token": "pst-new", "anlas": 5})).status_code == 201
    assert (await client.get("/user/subscription", headers=bearer("pst-new"))).status_code == 200
    assert_error(await client.post("/_sandbox/accounts", json={"nickname": "x"}), 400)


async def test_control_api_revokes_and_issues_tokens(client: httpx.AsyncClient) -> None:
    issued = (await client.post("/_sandbox/issue-token", json={"email": OPUS_EMAIL})).json()["accessToken"]
    expired = (await client.post("/_sandbox/issue-token",
                                 json={"email": OPUS_EMAIL, "lifetime": -5})).json()["accessToken"]
    assert (await client.get("/user/subscription", headers=bearer(issued))).status_code == 200
    assert_error(await client.get("/user/subscription", headers=bearer(expired)), 401)

    assert (await client.post("/_sandbox/revoke", json={"email": OPUS_EMAIL})).status_code == 200

    assert_error(await client.get("/user/subscription", headers=bearer(issued)), 401)
    assert_error(await client.post("/_sandbox/revoke", json={"email": "nobody@example.com"}), 404)


async def test_control_api_sets_step_latency(novelai_sandbox: NovelAISandbox,
                                             client: httpx.AsyncClient) -> None:
    response = await client.post("/_sandbox/config", json={"step_latency": 0.25})

    assert response.json()["step_latency"] == 0.25 and novelai_sandbox.step_latency == 0.25


async def test_stats_count_per_account_and_keep_request_bodies(client: httpx.AsyncClient,
                                                               opus: dict[str, str]) -> None:
    await client.post("/user/login", json={"key": derive_access_key(OPUS_EMAIL, OPUS_PASSWORD)})
    await client.post("/ai/generate-image", json=v45_body("stats prompt", n_samples=2, width=512, height=512),
                      headers=opus)

    stats = (await client.get("/_sandbox/stats")).json()

    opus_stats = stats["accounts"][OPUS_EMAIL]
    assert opus_stats == {"logins": 1, "started": 1, "generations": 1, "images": 2, "peak_concurrency": 1,
                          "anlas": opus_stats["anlas"]}
    assert opus_stats["anlas"] < 1000
    assert stats["totals"] == {"logins": 1, "started": 1, "generations": 1, "images": 2, "requests": 2}
    last = stats["requests"][-1]
    assert (last["path"], last["status"], last["account"]) == ("/ai/generate-image", 200, OPUS_EMAIL)
    assert last["model"] == "nai-diffusion-4-5-full" and last["body"]["input"] == "stats prompt"

    await client.post("/_sandbox/reset-stats")

    assert (await client.get("/_sandbox/stats")).json()["totals"] == {
        "logins": 0, "started": 0, "generations": 0, "images": 0, "requests": 0}


async def test_stats_keep_the_last_200_requests_and_shorten_big_strings(
        novelai_sandbox: NovelAISandbox, client: httpx.AsyncClient, opus: dict[str, str]) -> None:
    huge = v45_body(image="A" * 100_000)
    await client.post("/ai/generate-image", json=huge, headers=opus)
    for _ in range(205):
        await client.get("/user/subscription", headers=opus)

    assert len(novelai_sandbox.stats.requests) == 200
    novelai_sandbox.stats.requests.clear()
    await client.post("/ai/generate-image", json=huge, headers=opus)
    assert novelai_sandbox.stats.requests[-1]["body"]["parameters"]["image"] == "<100000 characters>"


# -- Python API ------------------------------------------------------------------------------


def test_running_sandbox_serves_sync_code_from_a_background_thread() -> None:
    with running_sandbox(step_latency=0.0) as sandbox:
        response = httpx.get(f"{sandbox.url}/user/subscription", headers=bearer(OPUS_TOKEN))

        assert response.status_code == 200
        assert sandbox.stats.requests[-1]["path"] == "/user/subscription"


def test_default_accounts_are_copied_so_spending_does_not_leak_between_sandboxes() -> None:
    first, second = NovelAISandbox(), NovelAISandbox()
    first.accounts[0].anlas = 1

    assert second.accounts[0].anlas == 1000


@pytest.mark.parametrize(("spec", "expected"), [
    ("a@example.com:pw", SandboxAccount(email="a@example.com", password="pw", tier=3, anlas=1000)),
    ("a@example.com:pw:1:50", SandboxAccount(email="a@example.com", password="pw", tier=1, anlas=50)),
    ("a@example.com:pa:ss:0", SandboxAccount(email="a@example.com", password="pa:ss", tier=0, anlas=1000)),
    ("a@example.com:1234", SandboxAccount(email="a@example.com", password="1234", tier=3, anlas=1000)),
    ("pst-abc", SandboxAccount(token="pst-abc", tier=3, anlas=1000)),
    ("pst-abc:2:10", SandboxAccount(token="pst-abc", tier=2, anlas=10)),
])
def test_parse_account_spec(spec: str, expected: SandboxAccount) -> None:
    assert parse_account_spec(spec) == expected


@pytest.mark.parametrize("spec", ["nobody", "a@example.com", "a@example.com:pw:9", "pst-abc:x"])
def test_parse_account_spec_rejects_nonsense(spec: str) -> None:
    with pytest.raises(ValueError):
        parse_account_spec(spec)
