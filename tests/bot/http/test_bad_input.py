"""Hostile input through the HTTP API (the fuzz of issue 12): numbers only in ASCII and finite,
prompts queued without control or bidi characters, whatever way they were typed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from tests.fixtures.deployment import Deployment
from tests.fixtures.http_e2e import ALICE_KEY, ApiWorld, auth, running_api, with_api

JUNK = "\x00\x07\x1b\x7f\x9b\u202e\u2066"


@pytest_asyncio.fixture
async def api(deployment: Deployment) -> AsyncIterator[ApiWorld]:
    async with running_api(with_api(deployment.settings)) as world:
        yield world


async def test_control_and_bidi_characters_never_reach_the_queue(api: ApiWorld) -> None:
    answer = await api.submit(prompt=f"a{JUNK}cat,\r\nnight", negative_prompt=f"low{JUNK}res",
                              characters=[f"gi{JUNK}rl@B3|bad{JUNK} hands",
                                          {"prompt": f"b{JUNK}oy", "negative_prompt": f"blu{JUNK}r"}])
    job = await api.state.services.queue.get(answer["task_id"])
    assert job is not None
    request = job.request
    assert (request.prompt, request.negative) == ("acat,\nnight", "lowres")
    assert [(c.prompt, c.negative) for c in request.characters] == [("girl", "bad hands"), ("boy", "blur")]


async def test_a_prompt_of_only_control_characters_is_an_empty_prompt(api: ApiWorld) -> None:
    response = await api.client.post("/generate", json={"prompt": JUNK}, headers=auth(ALICE_KEY))
    assert response.status_code == 400
    assert [p["code"] for p in response.json()["problems"]] == ["empty_prompt"]


@pytest.mark.parametrize("field", ["scale", "cfg_rescale"])
@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e309", '"nan"', '"inf"'])
async def test_non_finite_guidance_is_refused_naming_the_field(api: ApiWorld, field: str, value: str) -> None:
    content = f'{{"prompt": "a cat", "{field}": {value}}}'.encode()
    response = await api.client.post("/generate", content=content,
                                     headers={**auth(ALICE_KEY), "Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert [p["field"] for p in response.json()["problems"]] == [field]
    assert await api.state.services.queue.lane_depths() == {}


@pytest.mark.parametrize(("field", "value"), [
    ("steps", "２８"), ("steps", "٢٨"), ("seed", "１２３"), ("n_samples", "٢"), ("scale", "５.５"),
    ("width", "５１２"), ("priority", "٣"),
])
async def test_numbers_in_strings_are_ascii_digits_only(api: ApiWorld, field: str, value: Any) -> None:
    response = await api.client.post("/generate", json={"prompt": "a cat", field: value}, headers=auth(ALICE_KEY))
    assert response.status_code == 400, response.text
    assert [p["field"] for p in response.json()["problems"]] == [field]


@pytest.mark.parametrize("position", ["０.３,０.７", "0.٣,0.٧"])
@pytest.mark.parametrize("as_object", [False, True])
async def test_character_positions_are_ascii_digits_only(api: ApiWorld, position: str, as_object: bool) -> None:
    character: Any = {"prompt": "girl", "position": position} if as_object else f"girl@{position}"
    response = await api.client.post("/generate", json={"prompt": "a cat", "characters": [character]},
                                     headers=auth(ALICE_KEY))
    assert response.status_code == 400, response.text
    assert [p["code"] for p in response.json()["problems"]] == ["bad_position"]
