"""The HTTP API's refusals of a request say what the CLI and the chat say (issue 14, finding 19): the
same validation (``GenerationRequest.resolved()``) reports every problem at once, in the same words,
in the API's own shape (400, ``{"error": ..., "problems": [{field, code, message}]}``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from novelai.errors import InvalidRequest
from novelai.models import MODEL_NAMES
from novelai.request import GenerationRequest
from tests.fixtures.deployment import Deployment
from tests.fixtures.http_e2e import ALICE_KEY, ApiWorld, auth, running_api, with_api


@pytest_asyncio.fixture
async def api(deployment: Deployment) -> AsyncIterator[ApiWorld]:
    async with running_api(with_api(deployment.settings)) as world:
        yield world


def cli_refusal(**fields: Any) -> InvalidRequest:
    """What the CLI (and the chat) refuse the same request with: the one validation they call."""
    with pytest.raises(InvalidRequest) as caught:
        GenerationRequest(prompt="a cat", **fields).resolved()
    return caught.value


async def refused(api: ApiWorld, **fields: Any) -> dict[str, Any]:
    response = await api.client.post("/generate", json={"prompt": "a cat", **fields}, headers=auth(ALICE_KEY))
    assert response.status_code == 400, response.text
    assert await api.state.services.queue.lane_depths() == {}, "nothing was queued"
    body: dict[str, Any] = response.json()
    assert set(body) == {"error", "problems"}
    return body


async def test_a_side_that_is_no_multiple_of_64_names_the_sizes_to_try(api: ApiWorld) -> None:
    body = await refused(api, width=1000, height=1000)
    assert body["problems"] == [
        {"field": "width", "code": "size_multiple",
         "message": "width must be a multiple of 64 (got 1000; try 960 or 1024)"},
        {"field": "height", "code": "size_multiple",
         "message": "height must be a multiple of 64 (got 1000; try 960 or 1024)"}]
    assert body["error"] == cli_refusal(width=1000, height=1000).describe()  # the CLI's sentence


async def test_a_huge_size_reports_the_range_and_the_pixel_budget_at_once(api: ApiWorld) -> None:
    body = await refused(api, width=99999, height=99999)
    assert [(p["field"], p["code"]) for p in body["problems"]] == [
        ("width", "side_range"), ("height", "side_range"), ("size", "area_too_large")]
    assert body["problems"][0]["message"] == "width must be between 64 and 2048 pixels (got 99999)"
    assert "99999×99999 is 9,999,800,001 pixels" in body["problems"][2]["message"]
    assert body["error"] == cli_refusal(width=99999, height=99999).describe()
    # Numbers no request means stop at the schema (a plain 400), before any sentence has to say them.
    absurd = await refused(api, width=10**30, height=10**30, seed=-(10**30))
    assert {p["field"] for p in absurd["problems"]} == {"width", "height", "seed"}


@pytest.mark.parametrize(("fields", "code"), [
    ({"steps": 0}, "steps_range"),
    ({"scale": 99}, "scale_range"),
    ({"cfg_rescale": 5}, "cfg_rescale_range"),
    ({"seed": 2**32}, "seed_range"),
    ({"n_samples": 0}, "n_samples_range"),
    ({"n_samples": 9}, "n_samples_range"),
    ({"uc_preset": -1}, "uc_preset_range"),
    ({"width": 32}, "side_range"),
])
async def test_each_range_reads_as_the_cli_and_the_chat_say_it(api: ApiWorld, fields: dict[str, Any],
                                                               code: str) -> None:
    body = await refused(api, **fields)
    expected = cli_refusal(**fields)
    assert [(p["field"], p["code"], p["message"]) for p in body["problems"]] == [
        (p.field, p.code, p.message) for p in expected.problems]
    assert code in {p["code"] for p in body["problems"]}
    assert "Input should be" not in body["error"]


async def test_the_number_of_images_is_named_in_plain_words(api: ApiWorld) -> None:
    body = await refused(api, n_samples=0)
    assert body["problems"][0]["message"] == "number of images must be between 1 and 8 (got 0)"


async def test_an_unknown_model_lists_the_one_model_list(api: ApiWorld) -> None:
    body = await refused(api, model="v9")
    assert f"use one of {', '.join(MODEL_NAMES)} " in body["problems"][0]["message"]
    schema = (await api.client.get("/openapi.json")).json()
    model = schema["components"]["schemas"]["ImageGenerateBody"]["properties"]["model"]
    assert ", ".join(MODEL_NAMES) in model["description"]
    # The bounds resolved() checks are still declared in /openapi.json, for clients and schemathesis.
    properties = schema["components"]["schemas"]["ImageGenerateBody"]["properties"]
    assert (properties["width"]["minimum"], properties["width"]["maximum"], properties["width"]["multipleOf"]) == (
        64, 2048, 64)
    assert properties["n_samples"]["maximum"] == 8
    assert properties["scale"]["anyOf"][0]["maximum"] == 10
