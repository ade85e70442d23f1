"""A result of an earlier job as the source of a new one (enhance, variations, upscale, a tool).

``JobImage(job_id, index)`` names it; ``load_job_image`` finds the job in the queue and the image's bytes
in storage, or refuses with an ``InvalidRequest`` a person can act on (no such job, not finished, no
image of that number, no longer stored). The earlier job comes along: its request holds the settings an
enhance or variations runs with.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

from novelai.errors import InvalidRequest, Problem
from storage.base import Storage
from tasks.job import Job, JobState
from tasks.queue import JobQueue

# Job ids are short lower-case base32 (``tasks.job.new_job_id``); anything else names no job, and is
# refused before it reaches Redis.
_JOB_ID = re.compile(r"^[a-z0-9]{1,32}$")


@dataclass(frozen=True)
class JobImage:
    """Image ``index`` of the results of job ``job_id``, numbered from 0 like their storage keys (``0.png``)."""

    job_id: str
    index: int = 0


@dataclass(frozen=True)
class SourceImage:
    """A derived job's source as read: the file's bytes, a name for messages, the earlier job if any."""

    upload_data: bytes
    name: str
    job: Job | None


def _refused(message: str, code: str, **params: object) -> InvalidRequest:
    return InvalidRequest(Problem("source", message, code=code, params=dict(params)))


async def load_job_image(queue: JobQueue, storage: Storage, source: JobImage) -> SourceImage:
    """The bytes of an earlier job's result, with that job (``InvalidRequest`` when there is none)."""
    if not _JOB_ID.match(source.job_id):
        raise _refused(f"{source.job_id[:40]!r} is not a job id", "source_job_id", value=source.job_id[:40])
    job = await queue.get(source.job_id)
    if job is None:
        raise _refused(f"no job {source.job_id} (unknown, or finished and expired)", "source_job_missing",
                       job=source.job_id)
    if job.state is not JobState.DONE:
        raise _refused(f"job {job.id} has no images to use ({job.state.value})", "source_job_not_done",
                       job=job.id, state=job.state.value)
    if not 0 <= source.index < len(job.images):
        raise _refused(f"job {job.id} has {len(job.images)} image(s), numbered from 0; there is no image "
                       f"{source.index}", "source_index", job=job.id, images=len(job.images), value=source.index)
    result = job.images[source.index]
    try:
        data = await asyncio.to_thread(storage.get, result.key)
    except KeyError:
        raise _refused(f"image {source.index} of job {job.id} is no longer stored", "source_image_gone",
                       job=job.id) from None
    return SourceImage(upload_data=data, name=f"{job.id}:{source.index}", job=job)
