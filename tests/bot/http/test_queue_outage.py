"""The HTTP API with its Redis stopped under it (a private redis-server, killed while the API
runs): every endpoint that needs the queue answers 503 with Retry-After, never a 500; /healthz says
so in its documented shape, /metrics still scrapes, the status page still loads."""

from __future__ import annotations

import pytest

from tests.fixtures.deployment import Deployment
from tests.fixtures.http_e2e import ADMIN_KEY, ALICE_KEY, auth, running_api, with_api
from tests.fixtures.redis import PrivateRedis

UNAVAILABLE = "the queue is unavailable right now, please try again in a minute"


@pytest.mark.parametrize("key", [ALICE_KEY, ADMIN_KEY], ids=["user-key", "admin-key"])
async def test_every_queue_endpoint_is_503_with_retry_after_when_redis_stops(
        deployment: Deployment, private_redis: PrivateRedis, key: str) -> None:
    deployment.overrides["REDIS_URL"] = private_redis.url
    async with running_api(with_api(deployment.settings, status_cache_seconds=0)) as api:
        submitted = await api.submit(key)  # the API and Redis were fine a moment ago
        task = submitted["task_id"]
        private_redis.stop()
        endpoints = [("POST", "/generate"), ("GET", f"/task_status/{task}"), ("GET", "/queue_status"),
                     ("POST", f"/cancel_task/{task}")]
        if key == ADMIN_KEY:
            endpoints.append(("GET", "/admin/state"))
        for method, path in endpoints:
            response = await api.client.request(method, path, json={"prompt": "a cat"}, headers=auth(key))
            assert response.status_code == 503, (path, response.status_code, response.text)
            assert response.headers["Retry-After"] == "30", path
            assert response.json()["error"] == UNAVAILABLE, path


async def test_health_metrics_and_the_status_page_keep_their_documented_answers_when_redis_stops(
        deployment: Deployment, private_redis: PrivateRedis) -> None:
    deployment.overrides["REDIS_URL"] = private_redis.url
    async with running_api(with_api(deployment.settings)) as api:
        private_redis.stop()
        health = await api.client.get("/healthz")
        assert health.status_code == 503
        assert health.json() == {"status": "unavailable", "redis": "error", "workers": 0, "stream_lag": {},
                                 "chat_processes": {}}
        metrics = await api.client.get("/metrics", headers=auth(ADMIN_KEY))
        assert metrics.status_code == 200 and "naibot_redis_up 0.0" in metrics.text
        page = await api.client.get("/")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
