"""The HTTP API (``naibot api``): the seed's endpoints on the real queue, keys, errors, cache, images.

Each test runs the real app (lifespan included) against its own Redis prefix and NovelAI stand-in;
jobs stay queued unless a test starts a worker (those are in the ``workers`` xdist group).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from naibot.settings import Settings
from tasks.job import JobState
from tests.fixtures.deployment import Deployment, wait_until_finished
from tests.fixtures.http_e2e import ADMIN_KEY, ALICE_KEY, BOB_KEY, ApiWorld, auth, running_api, with_api

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


@pytest_asyncio.fixture
async def api(deployment: Deployment) -> AsyncIterator[ApiWorld]:
    async with running_api(with_api(deployment.settings)) as world:
        yield world


def count_redis_commands(world: ApiWorld, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every command the API process sends on its Redis client, as it sends it (no server-wide noise)."""
    sent: list[str] = []
    redis = world.state.services.redis
    execute = redis.execute_command

    async def counting(*args: Any, **options: Any) -> Any:
        sent.append(str(args[0]))
        return await execute(*args, **options)

    monkeypatch.setattr(redis, "execute_command", counting)
    return sent


# -- keys ------------------------------------------------------------------------------------

ENDPOINTS = [("POST", "/generate"), ("GET", "/task_status/abc"), ("GET", "/queue_status"),
             ("POST", "/cancel_task/abc")]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
@pytest.mark.parametrize("headers", [{}, auth("not-a-key-at-all-0123456789"), {"Authorization": ALICE_KEY}],
                         ids=["no-key", "unknown-key", "not-bearer"])
async def test_every_endpoint_but_images_answers_401_without_a_valid_key(api: ApiWorld, method: str, path: str,
                                                                          headers: dict[str, str]) -> None:
    response = await api.client.request(method, path, json={"prompt": "a cat"}, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == "missing or unknown API key"
    assert response.headers["www-authenticate"] == "Bearer"


async def test_bad_json_without_a_key_is_401_not_a_schema_hint(api: ApiWorld) -> None:
    response = await api.client.post("/generate", content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 401


# -- POST /generate ----------------------------------------------------------------------------


async def test_generate_answers_task_id_position_total_and_eta(api: ApiWorld) -> None:
    first = await api.submit()
    second = await api.submit(BOB_KEY)
    assert set(first) == {"task_id", "state", "position", "total", "eta_seconds", "priority"}
    assert (first["state"], first["position"], first["total"]) == ("queued", 1, 1)
    assert (second["position"], second["total"]) == (2, 2)
    assert first["eta_seconds"] is None, "no generation has been timed yet"
    job = await api.state.services.queue.get(first["task_id"])
    assert job is not None
    assert (job.requester.platform, job.requester.user_id, job.account) == ("api", "alice", "default")


async def test_generate_eta_comes_from_measured_generation_times(api: ApiWorld) -> None:
    queue = api.state.services.queue
    await queue.redis.hset(queue.keys.durations, "all", "4.0")
    await api.submit()
    second = await api.submit(BOB_KEY)
    assert second["eta_seconds"] == pytest.approx(4.0, abs=0.2)


async def test_generate_maps_the_seeds_fields_onto_the_request(api: ApiWorld) -> None:
    answer = await api.submit(prompt="two friends", negative_prompt="lowres", model="v4.5", sampler="k_euler",
                              steps=12, scale=6.5, width=832, height=1216, n_samples=1, seed=42,
                              characters=["girl, red hair@B3|bad hands",
                                          {"prompt": "boy", "center": {"x": 0.7, "y": 0.5}},
                                          {"prompt": "cat", "position": "C5"}, {"prompt": "dog"}])
    job = await api.state.services.queue.get(answer["task_id"])
    assert job is not None
    request = job.request
    assert (request.prompt, request.negative, request.model, request.sampler) == (
        "two friends", "lowres", "nai-diffusion-4-5-full", "k_euler")
    assert (request.steps, request.scale, request.width, request.height, request.seed) == (12, 6.5, 832, 1216, 42)
    assert [(c.prompt, c.negative, c.center) for c in request.characters] == [
        ("girl, red hair", "bad hands", (0.3, 0.5)), ("boy", "", (0.7, 0.5)), ("cat", "", (0.5, 0.9)),
        ("dog", "", None)]


async def test_generate_schema_errors_are_400_naming_the_field(api: ApiWorld) -> None:
    response = await api.client.post("/generate", json={"prompt": "a cat", "steps": 500, "width": 500},
                                     headers=auth(ALICE_KEY))
    assert response.status_code == 400
    body = response.json()
    assert {p["field"] for p in body["problems"]} == {"steps", "width"}
    assert "steps" in body["error"] and "50" in body["error"]


@pytest.mark.parametrize("content", [b"{not json", b"[1, 2]", b'"prompt"', b""], ids=["broken", "list", "string",
                                                                                      "empty"])
async def test_generate_bad_json_is_400_with_a_message(api: ApiWorld, content: bytes) -> None:
    response = await api.client.post("/generate", content=content,
                                     headers={**auth(ALICE_KEY), "Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"].startswith("invalid request: ")


async def test_generate_unknown_fields_are_refused_not_ignored(api: ApiWorld) -> None:
    response = await api.client.post("/generate", json={"prompt": "a cat", "negative": "typo"},
                                     headers=auth(ALICE_KEY))
    assert response.status_code == 400
    assert response.json()["problems"][0]["field"] == "negative"


async def test_generate_invalid_requests_are_400_with_every_problem(api: ApiWorld) -> None:
    response = await api.client.post("/generate", json={"prompt": " ", "model": "v3", "characters": ["girl@Z9"]},
                                     headers=auth(ALICE_KEY))
    assert response.status_code == 400
    body = response.json()
    assert {p["code"] for p in body["problems"]} == {"bad_position"}, "a position is read before the rest"
    response = await api.client.post("/generate", json={"prompt": " ", "model": "v3", "characters": ["girl"]},
                                     headers=auth(ALICE_KEY))
    assert {p["code"] for p in response.json()["problems"]} == {"empty_prompt", "characters_v4_only"}
    assert await api.state.services.queue.lane_depths() == {}


async def test_generate_character_with_center_and_position_is_400(api: ApiWorld) -> None:
    response = await api.client.post("/generate", json={"prompt": "x", "characters": [
        {"prompt": "girl", "center": {"x": 0.5, "y": 0.5}, "position": "C3"}]}, headers=auth(ALICE_KEY))
    assert response.status_code == 400
    assert response.json()["problems"][0]["code"] == "character_two_places"


async def test_generate_priority_above_the_keys_limit_is_400_stating_the_limit(api: ApiWorld) -> None:
    response = await api.client.post("/generate", json={"prompt": "a cat", "priority": 4}, headers=auth(BOB_KEY))
    assert response.status_code == 400
    assert "limit of 3" in response.json()["error"]
    assert (await api.submit(BOB_KEY, priority=3))["priority"] == 3


async def test_generate_default_priority_is_capped_to_the_keys_limit(api: ApiWorld) -> None:
    assert (await api.submit(ALICE_KEY))["priority"] == api.state.settings.bot.default_priority == 5
    assert (await api.submit(BOB_KEY))["priority"] == 3


async def test_generate_priority_orders_the_lane(api: ApiWorld) -> None:
    low = await api.submit(BOB_KEY, priority=0)
    high = await api.submit(ADMIN_KEY, priority=9)
    assert high["position"] == 1
    status = (await api.client.get(f"/task_status/{low['task_id']}", headers=auth(BOB_KEY))).json()
    assert status["position"] == 2


async def test_generate_too_many_waiting_is_429(deployment: Deployment) -> None:
    deployment.overrides["NAIBOT_QUEUE__MAX_WAITING_PER_USER"] = "2"
    async with running_api(with_api(deployment.settings)) as api:
        await api.submit()
        await api.submit()
        response = await api.client.post("/generate", json={"prompt": "a cat"}, headers=auth(ALICE_KEY))
        assert response.status_code == 429
        assert "limit is 2" in response.json()["error"]


async def test_generate_for_an_unknown_account_is_400(deployment: Deployment) -> None:
    settings = with_api(deployment.settings)
    keys = [settings.api.keys[0].model_copy(update={"account": "nobody"})]
    settings = settings.model_copy(update={"api": settings.api.model_copy(update={"keys": keys})})
    async with running_api(settings) as api:
        response = await api.client.post("/generate", json={"prompt": "a cat"}, headers=auth(ALICE_KEY))
    assert response.status_code == 400
    assert "no NovelAI account named 'nobody'" in response.json()["error"]


async def test_generate_beyond_the_anlas_allowance_is_400(api: ApiWorld) -> None:
    response = await api.client.post("/generate", json={"prompt": "a cat", "width": 1024, "height": 1536,
                                                        "n_samples": 2}, headers=auth(ALICE_KEY))
    assert response.status_code == 400
    assert "Anlas" in response.json()["error"]


async def test_redis_unreachable_is_503(deployment: Deployment) -> None:
    deployment.overrides["REDIS_URL"] = "redis://127.0.0.1:1/0"
    async with running_api(with_api(deployment.settings)) as api:
        for method, path in ENDPOINTS:
            response = await api.client.request(method, path, json={"prompt": "a cat"}, headers=auth(ALICE_KEY))
            assert response.status_code == 503, (path, response.text)
            assert "unavailable" in response.json()["error"]


# -- GET /task_status ------------------------------------------------------------------------


async def test_task_status_shows_state_position_total_and_no_images_yet(api: ApiWorld) -> None:
    await api.submit(BOB_KEY, priority=3)
    mine = await api.submit(priority=3)
    response = await api.client.get(f"/task_status/{mine['task_id']}", headers=auth(ALICE_KEY))
    assert response.status_code == 200
    body = response.json()
    assert (body["state"], body["position"], body["total"], body["images"], body["error"]) == (
        "queued", 2, 2, [], None)


async def test_task_status_of_another_identitys_task_is_404_but_admin_sees_it(api: ApiWorld) -> None:
    task = (await api.submit())["task_id"]
    response = await api.client.get(f"/task_status/{task}", headers=auth(BOB_KEY))
    assert response.status_code == 404
    unknown = await api.client.get("/task_status/doesnotexist", headers=auth(BOB_KEY))
    assert response.json() == unknown.json(), "not yours and unknown look the same"
    assert (await api.client.get(f"/task_status/{task}", headers=auth(ADMIN_KEY))).status_code == 200


async def test_task_status_of_a_chat_users_job_is_404_for_api_keys(api: ApiWorld) -> None:
    from novelai.request import GenerationRequest
    from tasks.job import Requester

    job = await api.state.services.submitter.submit(GenerationRequest(prompt="x", width=512, height=512),
                                                    Requester(platform="telegram", user_id="alice"),
                                                    account="default")
    assert (await api.client.get(f"/task_status/{job.id}", headers=auth(ALICE_KEY))).status_code == 404
    assert (await api.client.get(f"/task_status/{job.id}", headers=auth(ADMIN_KEY))).status_code == 200


async def test_task_status_shows_a_failure_with_its_message(api: ApiWorld) -> None:
    from tasks.job import JobError

    task = (await api.submit())["task_id"]
    queue = api.state.services.queue
    job = await queue.get(task)
    assert job is not None
    await queue.redis.hset(queue.keys.job(task), mapping={"state": "failed", "error": JobError(
        kind="auth", message="the NovelAI login was refused").model_dump_json()})
    body = (await api.client.get(f"/task_status/{task}", headers=auth(ALICE_KEY))).json()
    assert body["state"] == "failed"
    assert body["error"] == {"kind": "auth", "message": "the NovelAI login was refused"}


async def test_task_status_too_long_id_is_400(api: ApiWorld) -> None:
    response = await api.client.get(f"/task_status/{'x' * 65}", headers=auth(ALICE_KEY))
    assert response.status_code == 400


# -- the status cache -------------------------------------------------------------------------


async def test_status_cache_1000_concurrent_pollers_cost_one_redis_read(api: ApiWorld,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    task = (await api.submit())["task_id"]
    sent = count_redis_commands(api, monkeypatch)
    responses = await asyncio.gather(*[api.client.get(f"/task_status/{task}", headers=auth(ALICE_KEY))
                                       for _ in range(1000)])
    assert {r.status_code for r in responses} == {200}
    assert {r.json()["position"] for r in responses} == {1}
    # One status read: the job (one script) and its ETA (durations; the lane's running_since
    # only when a generation time is known).
    assert 1 <= len(sent) <= 3, sent
    assert api.state.status_cache.tasks.fetches == 1


async def test_status_cache_off_reads_redis_on_every_poll(deployment: Deployment,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    async with running_api(with_api(deployment.settings, status_cache_seconds=0)) as api:
        task = (await api.submit())["task_id"]
        sent = count_redis_commands(api, monkeypatch)
        await asyncio.gather(*[api.client.get(f"/task_status/{task}", headers=auth(ALICE_KEY)) for _ in range(100)])
        assert len(sent) >= 200, "the job and its ETA, for each of the 100 polls"


async def test_status_cache_still_checks_the_identity_on_cached_entries(api: ApiWorld,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    task = (await api.submit())["task_id"]
    assert (await api.client.get(f"/task_status/{task}", headers=auth(ALICE_KEY))).status_code == 200
    sent = count_redis_commands(api, monkeypatch)
    assert (await api.client.get(f"/task_status/{task}", headers=auth(BOB_KEY))).status_code == 404
    assert sent == [], "answered from the cache, and still refused"


async def test_status_cache_expires_after_its_time(deployment: Deployment) -> None:
    async with running_api(with_api(deployment.settings, status_cache_seconds=0.2)) as api:
        first = await api.submit(BOB_KEY, priority=3)
        second = await api.submit(priority=3)
        get = api.client.get(f"/task_status/{second['task_id']}", headers=auth(ALICE_KEY))
        assert (await get).json()["position"] == 2
        await api.state.services.queue.cancel(first["task_id"], _admin())  # behind the API's back
        assert (await api.client.get(f"/task_status/{second['task_id']}",
                                     headers=auth(ALICE_KEY))).json()["position"] == 2, "cached"
        await asyncio.sleep(0.25)  # the cache's own clock: nothing to await but time
        assert (await api.client.get(f"/task_status/{second['task_id']}",
                                     headers=auth(ALICE_KEY))).json()["position"] == 1


async def test_cancel_through_the_api_is_seen_at_once_despite_the_cache(api: ApiWorld) -> None:
    task = (await api.submit())["task_id"]
    assert (await api.client.get(f"/task_status/{task}", headers=auth(ALICE_KEY))).json()["state"] == "queued"
    assert (await api.client.post(f"/cancel_task/{task}", headers=auth(ALICE_KEY))).status_code == 200
    assert (await api.client.get(f"/task_status/{task}", headers=auth(ALICE_KEY))).json()["state"] == "canceled"


def _admin() -> Any:
    from tasks.queue import Caller

    return Caller(user_key="test:admin", deployment_admin=True)


# -- GET /queue_status -----------------------------------------------------------------------


async def test_queue_status_counts_waiting_running_lanes_and_average(api: ApiWorld) -> None:
    empty = (await api.client.get("/queue_status", headers=auth(BOB_KEY))).json()
    assert empty == {"waiting": 0, "running": 0, "lanes": {}, "average_seconds": None}
    await api.submit()
    await api.submit(BOB_KEY)
    queue = api.state.services.queue
    await queue.redis.hset(queue.keys.durations, "all", "3.25")
    await queue.redis.zadd(queue.keys.running, {"somejob": 1})
    body = (await api.client.get("/queue_status", headers=auth(BOB_KEY))).json()
    assert body == {"waiting": 2, "running": 1, "lanes": {"default": 2}, "average_seconds": 3.25}


# -- POST /cancel_task -----------------------------------------------------------------------


async def test_cancel_own_waiting_task(api: ApiWorld) -> None:
    task = (await api.submit())["task_id"]
    response = await api.client.post(f"/cancel_task/{task}", headers=auth(ALICE_KEY))
    assert response.status_code == 200
    assert response.json() == {"task_id": task, "state": "canceled", "message": f"canceled {task}"}
    assert await api.state.services.queue.lane_depths() == {}


async def test_cancel_another_identitys_task_is_404_and_leaves_it(api: ApiWorld) -> None:
    task = (await api.submit())["task_id"]
    response = await api.client.post(f"/cancel_task/{task}", headers=auth(BOB_KEY))
    assert response.status_code == 404
    job = await api.state.services.queue.get(task)
    assert job is not None and job.state is JobState.QUEUED


async def test_cancel_by_an_admin_key_works_on_anyones_task(api: ApiWorld) -> None:
    task = (await api.submit())["task_id"]
    assert (await api.client.post(f"/cancel_task/{task}", headers=auth(ADMIN_KEY))).status_code == 200


async def test_cancel_unknown_task_is_404(api: ApiWorld) -> None:
    assert (await api.client.post("/cancel_task/doesnotexist", headers=auth(ALICE_KEY))).status_code == 404


async def test_cancel_an_ended_task_is_409(api: ApiWorld) -> None:
    task = (await api.submit())["task_id"]
    await api.client.post(f"/cancel_task/{task}", headers=auth(ALICE_KEY))
    response = await api.client.post(f"/cancel_task/{task}", headers=auth(ALICE_KEY))
    assert response.status_code == 409
    assert response.json()["error"] == f"task {task} has already ended (canceled)"


async def test_cancel_a_running_task_is_409(api: ApiWorld) -> None:
    task = (await api.submit())["task_id"]
    queue = api.state.services.queue
    assert await queue.acquire_lane("default", "test-worker")  # what a worker does as it starts the job
    assert (await queue.pop("default", "test-worker")).job_id == task
    response = await api.client.post(f"/cancel_task/{task}", headers=auth(ALICE_KEY))
    assert response.status_code == 409
    assert "already running" in response.json()["error"]


# -- GET /static/images ------------------------------------------------------------------------


def _store_image(settings: Settings, key: str, data: bytes = PNG) -> Path:
    path = settings.storage.dir / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


async def test_static_image_is_served_without_a_key_with_type_and_caching_headers(api: ApiWorld) -> None:
    _store_image(api.state.settings, "2026/01/02/abcdefghij/0.png")
    response = await api.client.get("/static/images/2026/01/02/abcdefghij/0.png")
    assert response.status_code == 200
    assert response.content == PNG
    assert response.headers["content-type"] == "image/png"
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["x-content-type-options"] == "nosniff"
    etag = response.headers["etag"]
    again = await api.client.get("/static/images/2026/01/02/abcdefghij/0.png", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag


async def test_static_image_content_type_follows_the_extension(api: ApiWorld) -> None:
    _store_image(api.state.settings, "x/photo.jpg", b"\xff\xd8\xff")
    response = await api.client.get("/static/images/x/photo.jpg")
    assert response.headers["content-type"] == "image/jpeg"


async def test_static_unknown_image_is_404(api: ApiWorld) -> None:
    assert (await api.client.get("/static/images/2026/01/02/nothing/0.png")).status_code == 404
    _store_image(api.state.settings, "2026/01/02/dir/0.png")
    assert (await api.client.get("/static/images/2026/01/02/dir")).status_code == 404, "a folder is not an image"


async def _raw_get(client: httpx.AsyncClient, raw_path: bytes) -> httpx.Response:
    """GET a path exactly as written: httpx would otherwise remove dot segments before sending."""
    request = client.build_request("GET", "/static/images/x")
    request.url = request.url.copy_with(raw_path=raw_path)
    return await client.send(request)


@pytest.mark.parametrize("raw_path", [
    b"/static/images/../secret.txt",
    b"/static/images/2026/../../secret.txt",
    b"/static/images/%2e%2e/secret.txt",
    b"/static/images/%2E%2E/%2e%2e/secret.txt",
    b"/static/images/%252e%252e/secret.txt",
    b"/static/images/..%2fsecret.txt",
    b"/static/images//etc/passwd",
    b"/static/images/%2fetc%2fpasswd",
    b"/static/images/..%5csecret.txt",
    b"/static/images/a%00.png",
], ids=lambda raw: raw.decode().removeprefix("/static/images/"))
async def test_static_refuses_path_traversal(api: ApiWorld, raw_path: bytes) -> None:
    secret = api.state.settings.storage.dir.parent / "secret.txt"
    secret.write_text("secret")
    response = await _raw_get(api.client, raw_path)
    assert response.status_code == 404
    assert b"secret" not in response.content.replace(b"secret.txt", b"")


async def test_static_refuses_a_symlink_out_of_the_store(api: ApiWorld) -> None:
    outside = api.state.settings.storage.dir.parent / "outside.png"
    outside.write_bytes(PNG)
    link = api.state.settings.storage.dir / "2026" / "link.png"
    link.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(outside, link)
    assert (await api.client.get("/static/images/2026/link.png")).status_code == 404


async def test_static_is_404_when_images_are_not_stored_locally(deployment: Deployment) -> None:
    deployment.overrides.update({"STORAGE_BACKEND": "minio", "MINIO_ENDPOINT": "127.0.0.1:1"})
    async with running_api(with_api(deployment.settings)) as api:
        response = await api.client.get("/static/images/2026/01/02/abcdefghij/0.png")
    assert response.status_code == 404
    assert "not local" in response.json()["error"]


# -- the whole way ----------------------------------------------------------------------------


@pytest.mark.xdist_group("workers")
async def test_a_job_completes_through_the_api_and_its_image_is_served(deployment: Deployment) -> None:
    await deployment.start_worker()
    async with running_api(with_api(deployment.settings)) as api:
        task = (await api.submit(prompt="a cat in a hat", seed=7, steps=8))["task_id"]
        finished = await wait_until_finished(api.state.services, [task])
        assert finished[task].state is JobState.DONE
        body = (await api.client.get(f"/task_status/{task}", headers=auth(ALICE_KEY))).json()
        assert (body["state"], body["position"], body["eta_seconds"], body["error"]) == ("done", None, None, None)
        (image,) = body["images"]
        assert (image["seed"], image["width"], image["height"]) == (7, 512, 512)
        # Relative without api.public_url: never built from the Host header (a client's choice).
        assert image["url"].startswith("/static/images/") and image["url"].endswith(f"/{task}/0.png")
        served = await api.client.get(image["url"])
        assert served.status_code == 200 and served.headers["content-type"] == "image/png"
        assert served.content.startswith(b"\x89PNG")
        average = (await api.client.get("/queue_status", headers=auth(ALICE_KEY))).json()["average_seconds"]
        assert average is not None and average >= 0


@pytest.mark.xdist_group("workers")
async def test_image_urls_use_the_public_base_url_when_set(deployment: Deployment) -> None:
    deployment.overrides["NAIBOT_STORAGE__PUBLIC_BASE_URL"] = "https://img.example.org/"
    await deployment.start_worker()
    async with running_api(with_api(deployment.settings)) as api:
        task = (await api.submit(steps=8))["task_id"]
        await wait_until_finished(api.state.services, [task])
        (image,) = (await api.client.get(f"/task_status/{task}", headers=auth(ALICE_KEY))).json()["images"]
        assert image["url"].startswith("https://img.example.org/static/images/")


# -- the description ------------------------------------------------------------------------


async def test_openapi_declares_the_endpoints_and_their_refusals(api: ApiWorld) -> None:
    schema = (await api.client.get("/openapi.json")).json()
    paths = schema["paths"]
    for path in ("/generate", "/task_status/{task_id}", "/queue_status", "/cancel_task/{task_id}",
                 "/static/images/{key}"):
        assert path in paths, sorted(paths)
    assert set(paths["/generate"]["post"]["responses"]) == {"200", "400", "401", "413", "415", "429", "503"}
    assert set(paths["/cancel_task/{task_id}"]["post"]["responses"]) == {"200", "400", "401", "404", "409", "503"}
    assert "422" not in str(paths), "schema errors are answered 400, and described so"
    body = schema["components"]["schemas"]["ImageGenerateBody"]
    assert body["properties"]["steps"]["anyOf"][0]["maximum"] == 50
    assert body["additionalProperties"] is False


async def test_static_image_answers_head_without_a_body(api: ApiWorld) -> None:
    _store_image(api.state.settings, "2026/01/02/abcdefghij/0.png")
    response = await api.client.head("/static/images/2026/01/02/abcdefghij/0.png")
    assert response.status_code == 200 and response.content == b""
    assert response.headers["content-length"] == str(len(PNG))


async def test_queue_status_is_cached_but_fresh_after_this_processs_own_submits(api: ApiWorld,
                                                                               monkeypatch: pytest.MonkeyPatch
                                                                               ) -> None:
    assert (await api.client.get("/queue_status", headers=auth(ALICE_KEY))).json()["waiting"] == 0
    await api.submit()
    sent = count_redis_commands(api, monkeypatch)
    answers = await asyncio.gather(*[api.client.get("/queue_status", headers=auth(ALICE_KEY)) for _ in range(200)])
    assert {a.json()["waiting"] for a in answers} == {1}
    assert len(sent) <= 3, sent
