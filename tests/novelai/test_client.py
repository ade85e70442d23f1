"""The NovelAI client against the stand-in and the real Redis: auth, token cache, generation, errors."""

from __future__ import annotations

import asyncio
import logging
import time

import httpx
import pytest
import redis.asyncio as aioredis

from naibot.secrets import SecretBox
from novelai import errors
from novelai.accounts import Account
from novelai.client import NovelAIClient, Timeouts
from novelai.request import CharacterPrompt, GenerationRequest
from novelai.tokens import DAY, CachedToken, TokenCache
from sandbox.novelai import (
    OPUS_EMAIL,
    OPUS_TOKEN,
    PAPER_EMAIL,
    PAPER_PASSWORD,
    NovelAISandbox,
    SandboxAccount,
)
from tests.fixtures.novelai_client import make_client, opus
from tests.fixtures.redis import TEST_SECRET_KEY

SMALL = GenerationRequest(prompt="a cat", model="v4.5", width=512, height=512, steps=8, seed=42)


def logins(sandbox: NovelAISandbox, email: str = OPUS_EMAIL) -> int:
    return sandbox.stats.logins[email]


async def test_email_login_generates_images_and_caches_the_token(novelai_sandbox, aredis, redis_prefix) -> None:
    async with make_client(novelai_sandbox, aredis, redis_prefix) as client:
        images = await client.generate(opus(), SMALL)
        assert len(images) == 1
        assert (images[0].width, images[0].height, images[0].seed) == (512, 512, 42)
        assert images[0].png.startswith(b"\x89PNG")
        entry = await client.tokens.get("opus")
    assert entry is not None and entry.token.startswith("eyJ")
    assert entry.seconds_left() == pytest.approx(30 * DAY, abs=60)
    assert logins(novelai_sandbox) == 1
    raw = await aredis.get(f"{redis_prefix}:nai:token:opus")
    assert entry.token.encode() not in raw, "the cached token must be encrypted at rest"


async def test_cached_token_is_reused_across_processes(novelai_sandbox, aredis, redis_prefix) -> None:
    for _ in range(3):  # three "processes": fresh clients sharing only Redis
        async with make_client(novelai_sandbox, aredis, redis_prefix) as client:
            await client.subscription(opus())
    assert logins(novelai_sandbox) == 1


@pytest.mark.parametrize(("days_left", "expected_logins"), [(11, 0), (10, 1), (9, 1), (0.01, 1)])
async def test_token_is_renewed_at_ten_days_or_less(novelai_sandbox, aredis, redis_prefix,
                                                    days_left: float, expected_logins: int) -> None:
    token = novelai_sandbox.issue_token(OPUS_EMAIL, lifetime=int(days_left * DAY))
    now = time.time()
    async with make_client(novelai_sandbox, aredis, redis_prefix) as client:
        await client.tokens.put("opus", CachedToken(token, now + days_left * DAY, now, now))
        await client.generate(opus(), SMALL)
        renewed = await client.tokens.get("opus")
    assert logins(novelai_sandbox) == expected_logins
    assert renewed is not None
    assert (renewed.token == token) == (expected_logins == 0)
    assert renewed.seconds_left() > 10 * DAY


async def test_refused_token_triggers_one_relogin(novelai_sandbox, aredis, redis_prefix) -> None:
    async with make_client(novelai_sandbox, aredis, redis_prefix) as client:
        await client.generate(opus(), SMALL)
        novelai_sandbox.revoke_tokens(OPUS_EMAIL)
        images = await client.generate(opus(), SMALL)
    assert len(images) == 1
    assert logins(novelai_sandbox) == 2


async def test_second_refusal_after_relogin_is_final(novelai_sandbox, aredis, redis_prefix) -> None:
    async with make_client(novelai_sandbox, aredis, redis_prefix) as client:
        await client.subscription(opus())
        novelai_sandbox.faults.forced.extend([401, 401])
        with pytest.raises(errors.AuthError):
            await client.generate(opus(), SMALL)
    assert logins(novelai_sandbox) == 1, "the forced 401 hit the login itself: no further attempt"


async def test_persistent_token_is_used_directly_and_final_on_refusal(novelai_sandbox, aredis,
                                                                      redis_prefix) -> None:
    account = Account(name="pst", token=OPUS_TOKEN)
    async with make_client(novelai_sandbox, aredis, redis_prefix) as client:
        assert len(await client.generate(account, SMALL)) == 1
        novelai_sandbox.revoke_tokens(OPUS_TOKEN)
        with pytest.raises(errors.AuthError):
            await client.generate(account, SMALL)
    assert sum(novelai_sandbox.stats.logins.values()) == 0


async def test_wrong_password_is_an_auth_error(novelai_sandbox, aredis, redis_prefix) -> None:
    async with make_client(novelai_sandbox, aredis, redis_prefix) as client:
        with pytest.raises(errors.AuthError) as caught:
            await client.subscription(Account.from_password("x", OPUS_EMAIL, "wrong-password"))
    assert not caught.value.retryable


async def test_corrupt_cache_entry_falls_back_to_login(novelai_sandbox, aredis, redis_prefix,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    await aredis.set(f"{redis_prefix}:nai:token:opus", b"\x01" + b"garbage" * 10)
    with caplog.at_level(logging.WARNING, logger="novelai.tokens"):
        async with make_client(novelai_sandbox, aredis, redis_prefix) as client:
            assert len(await client.generate(opus(), SMALL)) == 1
    assert logins(novelai_sandbox) == 1
    assert "unreadable" in caplog.text


async def test_cache_sealed_under_another_secret_key_falls_back_to_login(novelai_sandbox, aredis,
                                                                         redis_prefix) -> None:
    other = TokenCache(aredis, SecretBox(TEST_SECRET_KEY + "-rotated"), redis_prefix)
    await other.put("opus", CachedToken("eyJ.x.y", time.time() + 20 * DAY, time.time(), time.time()))
    async with make_client(novelai_sandbox, aredis, redis_prefix) as client:
        assert len(await client.generate(opus(), SMALL)) == 1
    assert logins(novelai_sandbox) == 1


async def test_redis_down_never_blocks_generation(novelai_sandbox, redis_prefix,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    dead = aioredis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5, socket_timeout=0.5)
    with caplog.at_level(logging.WARNING, logger="novelai.tokens"):
        async with make_client(novelai_sandbox, dead, redis_prefix) as client:
            assert len(await client.generate(opus(), SMALL)) == 1
            assert len(await client.generate(opus(), SMALL)) == 1
    await dead.aclose()
    assert logins(novelai_sandbox) == 1, "the in-process copy still spares a second login"
    assert "unreachable" in caplog.text


async def test_twenty_concurrent_callers_cause_one_login(novelai_sandbox, aredis, redis_prefix) -> None:
    async with make_client(novelai_sandbox, aredis, redis_prefix) as client:
        tokens = await asyncio.gather(*(client.token_for(opus()) for _ in range(20)))
    assert len(set(tokens)) == 1
    assert logins(novelai_sandbox) == 1


async def test_concurrent_processes_share_one_login_through_redis(novelai_sandbox, aredis,
                                                                  redis_prefix) -> None:
    clients = [make_client(novelai_sandbox, aredis, redis_prefix) for _ in range(4)]
    try:
        tokens = await asyncio.gather(*(c.token_for(opus()) for c in clients for _ in range(5)))
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    assert len(set(tokens)) == 1
    assert logins(novelai_sandbox) == 1


async def test_one_generation_at_a_time_per_account_but_accounts_in_parallel(aredis, redis_prefix) -> None:
    second = SandboxAccount(email="second@example.com", password="second-password", tier=3, anlas=1000)
    sandbox = NovelAISandbox(step_latency=0.01)
    sandbox.add_account(second)
    await sandbox.start()
    try:
        async with make_client(sandbox, aredis, redis_prefix) as client:
            a, b = opus(), Account.from_password("second", second.email, second.password)
            results = await asyncio.gather(*(client.generate(acc, SMALL) for acc in (a, a, a, b, b, b)))
        assert all(len(r) == 1 for r in results)
        assert sandbox.stats.peak_concurrency[OPUS_EMAIL] == 1
        assert sandbox.stats.peak_concurrency[second.email] == 1
        assert max(sandbox.stats.peak_concurrency.values()) == 1
        assert sandbox.stats.generations[OPUS_EMAIL] == 3
    finally:
        await sandbox.stop()


async def test_a_second_process_on_a_busy_account_gets_concurrency_locked(aredis, redis_prefix) -> None:
    sandbox = NovelAISandbox(step_latency=0.05)
    await sandbox.start()
    try:
        first, second = (make_client(sandbox, aredis, redis_prefix) for _ in range(2))
        await first.token_for(opus())
        running = asyncio.create_task(first.generate(opus(), SMALL))
        while not sandbox.stats.generations_started():  # noqa: ASYNC110 - the sandbox has no event to await
            await asyncio.sleep(0.005)
        with pytest.raises(errors.ConcurrencyLocked) as caught:
            await second.generate(opus(), SMALL)
        assert caught.value.retryable and caught.value.holds_account
        assert len(await running) == 1
        await first.aclose()
        await second.aclose()
    finally:
        await sandbox.stop()


@pytest.mark.parametrize(
    ("status", "error_class", "retryable"),
    [(500, errors.ServerError, True), (503, errors.ServerError, True), (400, errors.BadRequest, False),
     (402, errors.PaymentRequired, False), (429, errors.RateLimited, True)],
)
async def test_error_statuses_map_to_typed_errors(novelai_sandbox, aredis, redis_prefix, status: int,
                                                  error_class: type, retryable: bool) -> None:
    async with make_client(novelai_sandbox, aredis, redis_prefix) as client:
        await client.token_for(opus())
        novelai_sandbox.faults.forced.append(status)
        with pytest.raises(error_class) as caught:
            await client.generate(opus(), SMALL)
    assert caught.value.retryable is retryable
    assert caught.value.status == status


async def test_paper_account_without_anlas_gets_payment_required(novelai_sandbox, aredis, redis_prefix) -> None:
    async with make_client(novelai_sandbox, aredis, redis_prefix) as client:
        with pytest.raises(errors.PaymentRequired) as caught:
            await client.generate(Account.from_password("paper", PAPER_EMAIL, PAPER_PASSWORD), SMALL)
    assert "Anlas" in caught.value.user_message


async def test_dropped_connection_is_a_network_error(novelai_sandbox, aredis, redis_prefix) -> None:
    async with make_client(novelai_sandbox, aredis, redis_prefix) as client:
        await client.token_for(opus())
        novelai_sandbox.faults.drop_rate = 1.0
        with pytest.raises(errors.NetworkError) as caught:
            await client.generate(opus(), SMALL)
    assert caught.value.retryable


async def test_slow_answer_is_a_timeout_that_holds_the_account(novelai_sandbox, aredis, redis_prefix) -> None:
    timeouts = Timeouts(generate=0.2)
    async with make_client(novelai_sandbox, aredis, redis_prefix, timeouts) as client:
        await client.token_for(opus())
        novelai_sandbox.faults.slow_seconds = 2.0
        with pytest.raises(errors.Timeout) as caught:
            await client.generate(opus(), SMALL)
    assert caught.value.retryable and caught.value.holds_account


async def test_unreachable_server_is_a_network_error(aredis, redis_prefix) -> None:
    cache = TokenCache(aredis, SecretBox(TEST_SECRET_KEY), redis_prefix)
    async with NovelAIClient(api_url="http://127.0.0.1:1", image_url="http://127.0.0.1:1",
                             token_cache=cache) as client:
        with pytest.raises(errors.NetworkError):
            await client.generate(Account(name="t", token=OPUS_TOKEN), SMALL)


async def test_streaming_reports_every_step_and_returns_the_same_images(novelai_sandbox, aredis,
                                                                        redis_prefix) -> None:
    request = GenerationRequest(prompt="two girls", model="v4.5", width=512, height=512, steps=6, seed=9,
                                n_samples=2, characters=(CharacterPrompt.parse("girl, red hair@B3"),))
    steps: list[tuple[int, int | None, int]] = []

    async def on_progress(event, total: int) -> None:
        steps.append((event.sample_index, event.step_index, total))

    async with make_client(novelai_sandbox, aredis, redis_prefix) as client:
        streamed = await client.generate(opus(), request, on_progress=on_progress)
        zipped = await client.generate(opus(), request)
    assert [img.png for img in streamed] == [img.png for img in zipped]
    assert [img.seed for img in streamed] == [9, 10]
    assert [s for s in steps if s[0] == 0] == [(0, i, 6) for i in range(6)]


async def test_streaming_renews_a_refused_token_once(novelai_sandbox, aredis, redis_prefix) -> None:
    async with make_client(novelai_sandbox, aredis, redis_prefix) as client:
        await client.token_for(opus())
        novelai_sandbox.revoke_tokens(OPUS_EMAIL)

        async def ignore(event, total: int) -> None:
            return None

        assert len(await client.generate(opus(), SMALL, on_progress=ignore)) == 1
    assert logins(novelai_sandbox) == 2


async def test_invalid_request_never_reaches_novelai(novelai_sandbox, aredis, redis_prefix) -> None:
    async with make_client(novelai_sandbox, aredis, redis_prefix) as client:
        with pytest.raises(errors.InvalidRequest):
            await client.generate(opus(), GenerationRequest(prompt="x", steps=500))
    assert sum(novelai_sandbox.stats.generations.values()) == 0


async def test_status_reports_cache_days_left_tier_and_anlas(novelai_sandbox, aredis, redis_prefix) -> None:
    async with make_client(novelai_sandbox, aredis, redis_prefix) as client:
        status = await client.status(opus())
    assert status.cached and status.error is None
    assert status.days_left == pytest.approx(30, abs=0.01)
    assert status.verified_at == pytest.approx(time.time(), abs=5)
    assert status.subscription is not None
    assert (status.subscription.tier_name, status.subscription.anlas) == ("Opus", 1000)


async def test_status_of_bad_credentials_reports_the_error(novelai_sandbox, aredis, redis_prefix) -> None:
    async with make_client(novelai_sandbox, aredis, redis_prefix) as client:
        status = await client.status(Account.from_password("bad", OPUS_EMAIL, "nope-nope"))
    assert status.subscription is None
    assert status.error and "credentials" in status.error


async def test_user_calls_fall_back_to_the_api_host_when_the_image_host_lacks_them(
    novelai_sandbox, aredis, redis_prefix
) -> None:
    async def image_host_without_user_routes(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"statusCode": 404, "message": "Not Found"})

    image_host = "http://image-host.invalid"
    forward = httpx.AsyncHTTPTransport()

    class Split(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            if request.url.host == "image-host.invalid":
                return await image_host_without_user_routes(request)
            return await forward.handle_async_request(request)

    cache = TokenCache(aredis, SecretBox(TEST_SECRET_KEY), redis_prefix)
    async with NovelAIClient(api_url=novelai_sandbox.url, image_url=image_host, token_cache=cache,
                             transport=Split()) as client:
        subscription = await client.subscription(opus())
    assert subscription.tier == 3
    assert logins(novelai_sandbox) == 1
