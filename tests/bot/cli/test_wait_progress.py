"""`naibot generate --wait` on the terminal: the bar ends on the last step and a last line says how the
job ended (where the image is, or why not); a retry is said as one, with the reason and the attempt,
instead of the job seeming to flip between queued and generating."""

from __future__ import annotations

import asyncio
import re
import sys

from tests.fixtures.deployment import ROOT, Deployment

STEPS = 8


def shown(stderr: str) -> list[str]:
    """Every line the terminal showed, the rewritten ones (``\\r``) included, in order."""
    return [part.strip() for part in re.split(r"[\r\n]", stderr) if part.strip()]


async def generate_wait(deployment: Deployment, *extra: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "generate", "a cat", "--size", "512x512", "--steps", str(STEPS), *extra,
        "--wait", env=deployment.env, cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


async def finished(process: asyncio.subprocess.Process, timeout: float = 90) -> tuple[int, str, str]:
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_wait_ends_on_the_last_step_and_a_done_line_with_the_path(deployment: Deployment) -> None:
    deployment.sandbox.step_latency = 0.02
    await deployment.start_worker()
    code, out, err = await finished(await generate_wait(deployment))
    assert code == 0, err
    (path,) = out.split()
    lines = shown(err)
    assert lines[-2].endswith(f"step {STEPS}/{STEPS}"), lines
    assert lines[-1] == f"done: 1 image → {path}"


async def test_wait_says_retrying_after_the_reason_with_the_attempt(deployment: Deployment) -> None:
    await deployment.start_worker()
    await deployment.hold_lane()
    process = await generate_wait(deployment)
    try:
        await deployment.wait_for_depth(1)
    except BaseException:
        process.kill()
        raise
    deployment.sandbox.faults.forced.append(500)  # the worker's generation gets one server error
    await deployment.release_lane()
    code, out, err = await finished(process)
    assert code == 0, err
    lines = shown(err)
    retries = [line for line in lines if ": retrying after " in line]
    assert retries and all(line.endswith("(attempt 2 of 5)") for line in retries), lines
    assert "an error" not in retries[0], "the reason is NovelAI's error, said as the job would say it"
    after_retry = lines[lines.index(retries[-1]) + 1:]
    assert not any(": queued, " in line for line in after_retry), "no flipping back to a plain 'queued'"
    assert lines[-1] == f"done: 1 image → {out.strip()}"


async def test_wait_of_a_failed_job_ends_with_the_reason(deployment: Deployment) -> None:
    await deployment.start_worker()
    await deployment.hold_lane()
    process = await generate_wait(deployment)
    try:
        await deployment.wait_for_depth(1)
    except BaseException:
        process.kill()
        raise
    deployment.sandbox.faults.forced.append(400)  # NovelAI refuses the request itself: final
    await deployment.release_lane()
    code, out, err = await finished(process)
    assert (code, out) == (1, "")
    assert shown(err)[-1].startswith("failed: "), err
