"""A third-party client, LlmKira's ``novelai-python`` SDK, works against the NovelAI stand-in.

The SDK was written against the real service, so every call here that succeeds is evidence the
sandbox speaks NovelAI's protocol rather than just our client's idea of it. The SDK talks through
curl_cffi; each request object has a private ``_endpoint`` with a public ``endpoint`` setter, which
is how it is pointed at the sandbox. Its image path needs no tokenizer download, so nothing here
reaches the internet.
"""

from __future__ import annotations

import asyncio
import io

import pytest
from novelai_python import (
    ApiCredential,
    GenerateImageInfer,
    ImageGenerateResp,
    JwtCredential,
    Login,
    LoginCredential,
    Subscription,
)
from novelai_python._exceptions import APIError, AuthError, ConcurrentGenerationError
from novelai_python.sdk.ai._enum import Model
from novelai_python.tool.image_metadata import ImageMetadata
from PIL import Image

from sandbox.novelai import (
    OPUS_EMAIL,
    OPUS_PASSWORD,
    OPUS_TOKEN,
    PAPER_EMAIL,
    TABLET_EMAIL,
    NovelAISandbox,
)


async def sdk_login(url: str, email: str, password: str) -> JwtCredential:
    login = Login.build(user_name=email, password=password)
    login.endpoint = url
    return JwtCredential(jwt_token=(await login.request()).accessToken)


def sdk_generation(url: str, model: Model, **kwargs: object) -> GenerateImageInfer:
    generation = GenerateImageInfer.build_generate(prompt="1girl, library", model=model, **kwargs)
    generation.endpoint = url
    return generation


async def test_sdk_logs_in_with_email_and_password_and_reads_the_subscription(
        novelai_sandbox: NovelAISandbox) -> None:
    credential = await sdk_login(novelai_sandbox.url, OPUS_EMAIL, OPUS_PASSWORD)
    subscription = Subscription()
    subscription.endpoint = novelai_sandbox.url

    result = await subscription.request(session=credential)

    assert credential.jwt_token.get_secret_value().startswith("eyJ")
    assert (result.tier, result.get_tier_name, result.anlas_left) == (3, "Opus", 1000)
    assert result.is_unlimited_image_generation
    assert novelai_sandbox.stats.logins[OPUS_EMAIL] == 1


async def test_sdk_login_credential_logs_in_by_itself(novelai_sandbox: NovelAISandbox,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # LoginCredential builds its own Login() with the hard-coded api.novelai.net endpoint and offers
    # no way to change it, so the private attribute's default is redirected for this test only.
    monkeypatch.setattr(Login.__private_attributes__["_endpoint"], "default", novelai_sandbox.url)
    subscription = Subscription()
    subscription.endpoint = novelai_sandbox.url

    result = await subscription.request(session=LoginCredential(username=OPUS_EMAIL, password=OPUS_PASSWORD))

    assert result.tier == 3
    assert novelai_sandbox.stats.logins[OPUS_EMAIL] == 1


async def test_sdk_login_with_a_wrong_password_gets_401(novelai_sandbox: NovelAISandbox) -> None:
    with pytest.raises(APIError) as raised:
        await sdk_login(novelai_sandbox.url, OPUS_EMAIL, "not-the-password")

    assert raised.value.code == 401


async def test_sdk_generates_a_v45_image_and_reads_our_png_metadata(novelai_sandbox: NovelAISandbox) -> None:
    credential = await sdk_login(novelai_sandbox.url, OPUS_EMAIL, OPUS_PASSWORD)
    generation = sdk_generation(novelai_sandbox.url, Model.NAI_DIFFUSION_4_5_FULL, seed=5, width=832,
                                height=1216, steps=23)

    result = await generation.request(session=credential)

    [(name, png)] = result.files
    assert name == "image_0.png"
    with Image.open(io.BytesIO(png)) as image:
        assert image.size == (832, 1216)
        metadata = ImageMetadata.load_image(image)
    assert metadata.Software == "NovelAI"
    assert metadata.used_model == Model.NAI_DIFFUSION_4_5_FULL
    assert metadata.Comment.seed == 5
    assert metadata.Comment.prompt == generation.input
    assert metadata.Comment.v4_prompt == generation.parameters.v4_prompt.model_dump(mode="json")
    assert novelai_sandbox.stats.requests[-1]["body"]["parameters"]["v4_prompt"]["caption"]["base_caption"]


async def test_sdk_generates_v3_samples_with_a_persistent_token(novelai_sandbox: NovelAISandbox) -> None:
    generation = sdk_generation(novelai_sandbox.url, Model.NAI_DIFFUSION_3, seed=40, width=512, height=768,
                                steps=28)
    generation.parameters.n_samples = 2

    result = await generation.request(session=ApiCredential(api_token=OPUS_TOKEN))

    assert [name for name, _ in result.files] == ["image_0.png", "image_1.png"]
    seeds = []
    for _, png in result.files:
        with Image.open(io.BytesIO(png)) as image:
            assert image.size == (512, 768)
            metadata = ImageMetadata.load_image(image)
        assert metadata.used_model == Model.NAI_DIFFUSION_3
        seeds.append(metadata.Comment.seed)
    assert seeds == [40, 41]


async def test_sdk_cost_estimate_matches_what_the_sandbox_charges(novelai_sandbox: NovelAISandbox) -> None:
    credential = JwtCredential(jwt_token=novelai_sandbox.issue_token(TABLET_EMAIL))
    generation = sdk_generation(novelai_sandbox.url, Model.NAI_DIFFUSION_4_5_FULL, width=832, height=1216,
                                steps=28, seed=1)
    before = novelai_sandbox.accounts[1].anlas

    await generation.request(session=credential)

    assert before - novelai_sandbox.accounts[1].anlas == generation.calculate_cost(is_opus=False) == 20


async def test_sdk_sees_402_as_an_auth_error(novelai_sandbox: NovelAISandbox) -> None:
    generation = sdk_generation(novelai_sandbox.url, Model.NAI_DIFFUSION_4_5_CURATED, seed=3)

    with pytest.raises(AuthError) as payment:
        await generation.request(session=JwtCredential(jwt_token=novelai_sandbox.issue_token(PAPER_EMAIL)))

    assert payment.value.code == 402


async def test_sdk_sees_overlapping_generations_as_a_concurrency_error(
        novelai_sandbox: NovelAISandbox) -> None:
    novelai_sandbox.step_latency = 0.02
    generation = sdk_generation(novelai_sandbox.url, Model.NAI_DIFFUSION_4_5_CURATED, seed=3, steps=10)
    credential = ApiCredential(api_token=OPUS_TOKEN)

    results = await asyncio.gather(generation.request(session=credential),
                                   generation.request(session=credential), return_exceptions=True)

    [locked] = [result for result in results if isinstance(result, ConcurrentGenerationError)]
    assert locked.message == "Concurrent generation is locked"
    assert sum(isinstance(result, ImageGenerateResp) for result in results) == 1
