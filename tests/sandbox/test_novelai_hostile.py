"""The NovelAI stand-in's hostile answers are set over its control API, like its other faults."""

from __future__ import annotations

import httpx

from sandbox.novelai import NovelAISandbox


async def test_hostile_modes_are_queued_over_the_control_api(novelai_sandbox: NovelAISandbox) -> None:
    async with httpx.AsyncClient(base_url=novelai_sandbox.url) as http:
        answer = await http.post("/_sandbox/faults", json={"hostile": ["zip_bomb", "retry_after"],
                                                           "hostile_bytes": 1048576})
        assert answer.status_code == 200
        assert answer.json()["hostile"] == ["zip_bomb", "retry_after"]
        assert novelai_sandbox.faults.hostile_bytes == 1048576


async def test_unknown_hostile_mode_is_refused(novelai_sandbox: NovelAISandbox) -> None:
    async with httpx.AsyncClient(base_url=novelai_sandbox.url) as http:
        answer = await http.post("/_sandbox/faults", json={"hostile": ["zip_bom"]})
    assert answer.status_code == 400 and "zip_bom" in answer.json()["message"]
    assert novelai_sandbox.faults.hostile == []
