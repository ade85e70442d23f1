"""A job that fails is said in the worker's log (WARNING: id, kind, reason), the give-up after the last
retry too; credentials NovelAI never accepted here fail with "check the token", not "no longer"."""

from __future__ import annotations

import re

import pytest

from bot.chat.texts.jobs import error_text
from sandbox.novelai import OPUS_TOKEN
from tasks.job import JobState, Requester
from tests.fixtures.deployment import Deployment, wait_until_finished
from tests.fixtures.novelai_tokens import WRONG_TOKEN, use_token
from tests.fixtures.queue_jobs import SMALL
from tests.fixtures.redis import free_port
from tests.tasks.worker_log_lines import log_path, matching, wait_for_line

pytestmark = pytest.mark.xdist_group("workers")


def person() -> Requester:
    return Requester(platform="test", user_id="ann", display_name="Ann", chat_id="chat1")


async def test_a_token_that_never_worked_fails_saying_to_check_it(deployment: Deployment) -> None:
    use_token(deployment, WRONG_TOKEN)
    services = deployment.services()
    try:
        await deployment.start_worker()
        job = await services.submitter.submit(SMALL, person(), account="default")
        failed = (await wait_until_finished(services, [job.id]))[job.id]
    finally:
        await services.aclose()
    assert failed.state is JobState.FAILED and failed.error is not None
    assert (failed.error.kind, failed.error.reason) == ("auth", "unverified")
    assert "no longer" not in failed.error.message
    assert "NOVELAI_TOKEN" in failed.error.message and "naibot account status default" in failed.error.message
    english, chinese = error_text(failed.error, "en"), error_text(failed.error, "zh")
    for text in (english, chinese):
        assert "NOVELAI_TOKEN" in text and "naibot account status" in text and "/login" in text
    assert "check the token" in english and "请检查令牌" in chinese


async def test_a_token_that_worked_before_fails_as_no_longer_accepted(deployment: Deployment) -> None:
    use_token(deployment, OPUS_TOKEN)
    services = deployment.services()
    try:
        await deployment.start_worker()
        first = await services.submitter.submit(SMALL, person(), account="default")
        assert (await wait_until_finished(services, [first.id]))[first.id].state is JobState.DONE
        deployment.sandbox.revoke_tokens(OPUS_TOKEN)
        job = await services.submitter.submit(SMALL, person(), account="default")
        failed = (await wait_until_finished(services, [job.id]))[job.id]
    finally:
        await services.aclose()
    assert failed.error is not None and (failed.error.kind, failed.error.reason) == ("auth", "")
    assert "NovelAI no longer accepts this token" in failed.error.message
    assert "log in again with /login" in error_text(failed.error, "en")


async def test_a_refused_job_is_logged_at_warning_with_id_kind_and_reason(deployment: Deployment) -> None:
    use_token(deployment, WRONG_TOKEN)
    services = deployment.services()
    try:
        await deployment.start_worker()
        job = await services.submitter.submit(SMALL, person(), account="default")
        await wait_until_finished(services, [job.id])
    finally:
        await services.aclose()
    line = await wait_for_line(log_path(deployment), rf"job {job.id} failed")
    assert re.search(rf" WARNING tasks\.worker: job {job.id} failed \(auth\): NovelAI refused the credentials "
                     r"of account default, and they never worked here: check NOVELAI_TOKEN", line), line
    assert WRONG_TOKEN not in log_path(deployment).read_text()


async def test_the_give_up_after_the_last_retry_is_logged_at_warning(deployment: Deployment) -> None:
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens: every attempt meets "connection refused"
    deployment.overrides.update({"NOVELAI_API_URL": closed, "NOVELAI_IMAGE_URL": closed,
                                 "NAIBOT_QUEUE__MAX_ATTEMPTS": "3"})
    services = deployment.services()
    try:
        await deployment.start_worker()
        job = await services.submitter.submit(SMALL, person(), account="default")
        failed = (await wait_until_finished(services, [job.id]))[job.id]
    finally:
        await services.aclose()
    assert failed.state is JobState.FAILED and failed.attempts == 3
    path = log_path(deployment)
    gave_up = await wait_for_line(path, rf"job {job.id} failed \(")
    assert re.search(rf" WARNING tasks\.worker: job {job.id} failed \(network\): NovelAI could not be reached "
                     r"\(gave up after 3 attempts\)$", gave_up), gave_up
    retries = matching(path, rf"job {job.id} attempt \d failed")
    assert len(retries) == 2 and all(" INFO " in line and "(network: NovelAI could not be reached)" in line
                                     for line in retries), retries
