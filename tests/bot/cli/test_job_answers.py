"""What `naibot status`, `naibot cancel` and `naibot generate --account` answer about a job: where a
finished job's images are, an unknown job said the same way by status and cancel, and an unknown
account named with the command that adds it (at the CLI the operator is the admin)."""

from __future__ import annotations

import json
from pathlib import Path

from bot.chat.texts.catalog import t
from tasks.submit import UnknownAccount
from tests.fixtures.cli_run import naibot
from tests.fixtures.deployment import Deployment


async def test_status_of_a_done_job_prints_where_each_image_is(deployment: Deployment) -> None:
    await deployment.start_worker()
    code, out, err = await naibot(deployment, "generate", "two cats", "--size", "512x512", "--steps", "8",
                                  "--n", "2", "--max-anlas", "10", "--wait", "--json")
    assert code == 0, err
    job = json.loads(out)
    code, out, err = await naibot(deployment, "status", job["job_id"])
    assert code == 0, err
    first, *paths = out.splitlines()
    assert first == f"{job['job_id']}: done, 2 images"
    assert paths == [image["path"] for image in job["images"]]
    assert all(Path(p).read_bytes().startswith(b"\x89PNG") for p in paths)


async def test_cancel_of_an_unknown_job_says_it_on_stderr_like_status(deployment: Deployment) -> None:
    status = await naibot(deployment, "status", "nosuchjob1")
    cancel = await naibot(deployment, "cancel", "nosuchjob1")
    assert cancel == status == (1, "", "naibot: no job nosuchjob1 (unknown, or finished and expired)\n")


async def test_an_unknown_account_at_the_cli_names_the_command_that_adds_it(deployment: Deployment) -> None:
    code, out, err = await naibot(deployment, "generate", "x", "--account", "nosuch")
    assert (code, out) == (2, "")
    assert err == ("naibot: there is no NovelAI account named 'nosuch'; "
                   "add it with: naibot account add nosuch --token\n")
    # The chat's wording stays the chat's: there a person asks an admin (or logs in).
    assert "ask an admin" in str(UnknownAccount("nosuch"))
    assert "naibot account" not in t("en", "error.unknown_account")
