"""`naibot generate … --dry-run` (the body, family, cost and free-or-not, nothing queued) and the Opus V5
allowance in `naibot account status`, against the NovelAI stand-in and Redis, as an operator runs them."""

from __future__ import annotations

import json
import socket

import httpx
import pytest
import redis

from bot.cli.common import EXIT_OK
from novelai.payload import build_payload
from novelai.request import GenerationRequest
from sandbox.novelai import OPUS_TOKEN, NovelAISandbox
from tests.fixtures.cli_operator import run


@pytest.fixture
def operator(cli_deployment: tuple[str, redis.Redis, NovelAISandbox], monkeypatch: pytest.MonkeyPatch
             ) -> tuple[str, redis.Redis, NovelAISandbox]:
    """A deployment whose default account is the stand-in's Opus token, on a private Redis key prefix."""
    monkeypatch.setenv("NOVELAI_TOKEN", OPUS_TOKEN)
    return cli_deployment



def set_allowance(sandbox: NovelAISandbox, percent: float) -> None:
    answer = httpx.post(f"{sandbox.url}/_sandbox/allowance", timeout=10,
                        json={"account": OPUS_TOKEN, "percent": percent, "refill_per_minute": 0})
    assert answer.status_code == 200, answer.text


def queued_nothing(prefix: str, client: redis.Redis) -> bool:
    return not any(b":lane" in key or b":job:" in key for key in client.scan_iter(match=f"{prefix}:*"))


V5_ARGS = ("generate", "a fox", "--model", "v5", "--size", "832x1216", "--steps", "23", "--seed", "7")


def test_dry_run_json_prints_the_exact_body_family_and_cost_without_queueing(operator, capsys) -> None:
    prefix, client, sandbox = operator
    set_allowance(sandbox, 0)
    code, out, _ = run(capsys, *V5_ARGS, "--dry-run", "--json")
    assert code == EXIT_OK
    report = json.loads(out)
    expected = GenerationRequest(prompt="a fox", model="v5", width=832, height=1216, steps=23, seed=7).resolved()
    assert report["body"] == build_payload(expected, stream=True)
    assert report["endpoint"] == "/ai/generate-image-stream"
    assert (report["model"], report["family"]) == ("nai-diffusion-5-full", "v5")
    assert (report["anlas"], report["free"], report["allowance"], report["subscription"]) == (26, False, "empty",
                                                                                              "read")
    assert report["within_limit"] is False
    assert OPUS_TOKEN not in out
    assert queued_nothing(prefix, client)
    assert sandbox.stats.generations_started() == 0


def test_dry_run_says_free_while_the_allowance_lasts(operator, capsys) -> None:
    _, _, sandbox = operator
    set_allowance(sandbox, 50)
    report = json.loads(run(capsys, *V5_ARGS, "--dry-run", "--json")[1])
    assert (report["anlas"], report["free"], report["allowance"]) == (0, True, None)
    assert report["v5_allowance"].startswith("≈ 865 free V5 images left (50%)")


def test_dry_run_with_novelai_unreachable_says_unknown_and_counts_it_paid(operator, capsys, monkeypatch) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    monkeypatch.setenv("NOVELAI_API_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("NOVELAI_IMAGE_URL", f"http://127.0.0.1:{port}")
    code, out, _ = run(capsys, *V5_ARGS, "--dry-run", "--json")
    report = json.loads(out)
    assert code == EXIT_OK
    assert (report["subscription"], report["anlas"], report["free"]) == ("unknown", 26, False)
    assert report["subscription_problem"].startswith("NovelAI could not be asked")


def test_plain_dry_run_prints_a_short_summary(operator, capsys) -> None:
    prefix, client, sandbox = operator
    set_allowance(sandbox, 0)
    code, out, _ = run(capsys, *V5_ARGS, "--dry-run")
    assert code == EXIT_OK
    assert out.splitlines() == [
        "dry run: nothing queued",
        "model nai-diffusion-5-full (v5), 832x1216, 23 steps, 1 image",
        "cost on account default: 26 Anlas (its free V5 allowance is used up)",
        "limit: over, so it would be refused: the limit of 0 Anlas per job",
        "would send: POST /ai/generate-image-stream (--json shows the body)",
    ]
    assert queued_nothing(prefix, client)


def test_generate_without_dry_run_is_refused_with_the_cost_on_an_empty_allowance(operator, capsys) -> None:
    prefix, client, sandbox = operator
    set_allowance(sandbox, 0)
    code, out, _ = run(capsys, *V5_ARGS, "--json")
    assert code == 2
    assert json.loads(out)["error"].startswith("this would cost 26 Anlas and only free generations are allowed")
    assert queued_nothing(prefix, client)


def test_account_status_shows_the_v5_allowance(operator, capsys) -> None:
    _, _, sandbox = operator
    set_allowance(sandbox, 50)
    code, out, _ = run(capsys, "account", "status", "default", "--json")
    status = json.loads(out)
    assert code == EXIT_OK
    assert status["v5_allowance"] == "≈ 865 free V5 images left (50%), full in 3 d 10 h"
    assert status["v5_allowance_percent"] == 50
    code, out, _ = run(capsys, "account", "status", "default")
    assert "  v5_allowance: ≈ 865 free V5 images left (50%), full in 3 d 10 h" in out.splitlines()
