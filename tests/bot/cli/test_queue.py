"""The CLI front end (`naibot generate|queue|status|cancel`) as a user runs it: real processes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli.main import main
from tests.fixtures.cli_run import naibot
from tests.fixtures.deployment import Deployment

pytestmark = pytest.mark.xdist_group("workers")


async def test_generate_wait_json_runs_the_whole_pipeline(deployment: Deployment) -> None:
    await deployment.start_worker()
    code, out, err = await naibot(deployment, "generate", "a cat in a hat, night", "--size", "512x512",
                                  "--steps", "8", "--seed", "5", "--character", "cat, orange@C3", "--wait",
                                  "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["state"] == "done" and result["error"] is None
    (image,) = result["images"]
    assert (image["seed"], image["width"], image["height"]) == (5, 512, 512)
    assert Path(image["path"]).read_bytes().startswith(b"\x89PNG")
    assert image["key"].endswith(f"/{result['job_id']}/0.png")


async def test_generate_wait_prints_one_path_per_image(deployment: Deployment) -> None:
    await deployment.start_worker()
    code, out, err = await naibot(deployment, "generate", "two cats", "--size", "512x512", "--steps", "8",
                                  "--n", "2", "--max-anlas", "10", "--wait")
    assert code == 0, err
    paths = out.split()
    assert len(paths) == 2 and all(Path(p).is_file() for p in paths)
    assert "generating" in err or "queued" in err, "progress is shown on stderr"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--steps", "500"], "steps"),
        (["--size", "1000x1000"], "64"),
        (["--model", "v9000-turbo"], "model"),
        (["--character", "girl@Z9"], "position"),
    ],
    ids=["steps", "size", "model", "position"],
)
async def test_bad_input_exits_2_with_a_message_and_queues_nothing(deployment: Deployment, args: list[str],
                                                                   expected: str) -> None:
    code, out, err = await naibot(deployment, "generate", "a cat", *args)
    assert code == 2
    assert expected in err.lower()
    code, out, err = await naibot(deployment, "generate", "a cat", *args, "--json")
    assert code == 2 and err == ""
    answer = json.loads(out)  # with --json the refusal is JSON on stdout
    assert answer["kind"] == "invalid" and expected in answer["error"].lower()
    services = deployment.services()
    try:
        assert await services.queue.lane_depths() == {}
    finally:
        await services.aclose()


async def test_generate_without_wait_answers_at_once_with_the_position(deployment: Deployment) -> None:
    first = json.loads((await naibot(deployment, "generate", "one", "--size", "512x512", "--json"))[1])
    second = json.loads((await naibot(deployment, "generate", "two", "--size", "512x512", "--json",
                                      "--as", "someone-else"))[1])
    assert (first["state"], first["position"], first["total"]) == ("queued", 1, 1)
    assert (second["position"], second["total"]) == (2, 2)
    code, out, _ = await naibot(deployment, "status", second["job_id"], "--json")
    assert code == 0 and json.loads(out)["position"] == 2
    code, out, _ = await naibot(deployment, "queue", "--json")
    listing = json.loads(out)
    assert listing["waiting"] == 2
    assert [j["job_id"] for j in listing["lanes"]["default"]["jobs"]] == [first["job_id"], second["job_id"]]


async def test_cancel_is_refused_to_others_and_allowed_to_the_owner(deployment: Deployment) -> None:
    job = json.loads((await naibot(deployment, "generate", "mine", "--as", "alice", "--json"))[1])
    code, out, _ = await naibot(deployment, "cancel", job["job_id"], "--as", "mallory", "--json")
    assert code == 1 and json.loads(out)["status"] == "forbidden"
    code, out, _ = await naibot(deployment, "cancel", job["job_id"], "--as", "alice", "--json")
    assert code == 0 and json.loads(out)["status"] == "canceled"
    code, out, _ = await naibot(deployment, "status", job["job_id"], "--json")
    assert json.loads(out)["state"] == "canceled"


async def test_unknown_job_status_exits_1(deployment: Deployment) -> None:
    code, _, err = await naibot(deployment, "status", "nosuchjob1")
    assert code == 1 and "no job" in err


async def test_unreachable_redis_says_the_queue_is_unavailable(deployment: Deployment) -> None:
    deployment.overrides["REDIS_URL"] = "redis://127.0.0.1:1/0"
    code, _, err = await naibot(deployment, "generate", "a cat", "--size", "512x512", timeout=20)
    assert code == 1
    assert "queue is unavailable" in err


@pytest.mark.parametrize("option", [["--steps", "２８"], ["--steps", "٢٨"], ["--scale", "nan"], ["--n", "1_0"]])
def test_generate_options_are_plain_ascii_finite_numbers(option: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["generate", "a cat", *option])
    assert exited.value.code == 2 and option[0] in capsys.readouterr().err
