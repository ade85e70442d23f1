"""The NovelAI call of a job, by kind: a generation (with its input images and vibe encodings), an
upscale or a Director Tool. The worker (``tasks.worker``) holds the lane, the lease, the retries and
the recording; this module reads the job's inputs, checks the price and makes the call.

Order for every kind, on the lane: read the inputs from storage (``tasks.inputs``), look up the
vibe encodings already made (``tasks.vibe_cache``), check the spend with the encodings still to
make counted in, make those encodings (each recorded at once, so a retry does not pay again),
confirm the lane, then call NovelAI.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from novelai.accounts import Account
from novelai.client import NovelAIClient, ProgressCallback
from novelai.image_payload import vibe_keys
from novelai.inputs import ImageInputs, VibeKey
from novelai.request import GenerationRequest
from novelai.response import GeneratedImage
from novelai.tool_calls import augment, upscale
from novelai.tools import UpscaleRequest
from storage.base import Storage
from tasks.inputs import load_inputs
from tasks.job import Job
from tasks.spending import SubscriptionCache, check_spend
from tasks.vibe_cache import VibeCache


@dataclass
class CallServices:
    """What a call needs from the worker's context."""

    client: NovelAIClient
    storage: Storage
    subscriptions: SubscriptionCache
    vibes: VibeCache
    # Right before anything is sent to NovelAI: raises if the lane is not ours any more.
    confirm: Callable[[], Awaitable[None]]


async def _encode_missing(services: CallServices, job: Job, account: Account, keys: list[VibeKey],
                          inputs: ImageInputs) -> dict[VibeKey, bytes]:
    """Make the encodings not cached yet, recording each as soon as it is made (2 Anlas each); one another
    worker is making right now is waited for and used (``VibeCache.encode_once``)."""
    made: dict[VibeKey, bytes] = {}
    for key in keys:
        async def encode(key: VibeKey = key) -> bytes:
            await services.confirm()
            return await services.client.encode_vibe(account, inputs.images[key.sha256], key.information_extracted,
                                                     key.model)

        made[key], _ = await services.vibes.encode_once(services.storage, key, encode, job.id, job.created_at)
    return made


async def _generate(services: CallServices, job: Job, request: GenerationRequest, account: Account,
                    progress: ProgressCallback | None) -> list[GeneratedImage]:
    inputs = await load_inputs(services.storage, request)
    keys = vibe_keys(request)
    encodings = await services.vibes.cached(services.storage, keys)
    missing = [key for key in keys if key not in encodings]
    await check_spend(request, job.max_anlas, account, services.subscriptions, uncached_vibes=len(missing))
    encodings |= await _encode_missing(services, job, account, missing, inputs)
    inputs = replace(inputs, vibe_encodings=encodings)
    await services.confirm()
    return await services.client.generate(account, request, inputs=inputs, on_progress=progress)


async def call_novelai(services: CallServices, job: Job, account: Account,
                       progress: ProgressCallback | None) -> list[GeneratedImage]:
    """Run the job's call and return NovelAI's images (a tool job: its one, or bg-removal's three)."""
    request = job.request
    if isinstance(request, GenerationRequest):
        return await _generate(services, job, request, account, progress)
    inputs = await load_inputs(services.storage, request)
    await check_spend(request, job.max_anlas, account, services.subscriptions)
    png = inputs.image(request.image)
    await services.confirm()
    if isinstance(request, UpscaleRequest):
        return await upscale(services.client, account, request, png)
    return await augment(services.client, account, request, png)
