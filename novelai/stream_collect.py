"""Reading ``/ai/generate-image-stream``: the final image of each sample, within the limits.

Apart from ``client.py`` so the client stays one screenful per job; the frames themselves are parsed by
``novelai.response.iter_stream_events``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx

from novelai import errors
from novelai.limits import Limits, count_bytes
from novelai.request import GenerationRequest
from novelai.response import GeneratedImage, StreamEvent, image_from_png, iter_stream_events

ProgressCallback = Callable[[StreamEvent, int], Awaitable[None]]


def streamed_steps(request: GenerationRequest) -> int:
    """How many steps the stream previews: all of them, except for img2img, which denoises only
    ``steps × strength`` of them (NKDK findings §2: 23 steps at strength 0.7 stream 16 previews; the
    stand-in streams the same). An infill's count is not reported anywhere, so it counts every step."""
    steps = request.steps or 0
    if request.image is None or request.mask is not None or request.strength is None:
        return steps
    return max(1, int(steps * request.strength))


async def collect_stream(response: httpx.Response, request: GenerationRequest, on_progress: ProgressCallback,
                         limits: Limits) -> list[GeneratedImage]:
    """Read the stream within the limits: total bytes, frame size and count, and only the samples
    asked for (a final for a sample index beyond ``n_samples``, or twice, is refused). ``on_progress``
    gets each preview and the number of steps the stream will preview (``streamed_steps``)."""
    finals: dict[int, bytes] = {}
    total = streamed_steps(request)
    chunks = count_bytes(response.aiter_bytes(), limits.max_response_bytes)
    async for event in iter_stream_events(chunks, limits):
        if not 0 <= event.sample_index < request.n_samples:
            raise errors.StreamTooLarge(
                f"NovelAI's stream sent sample {event.sample_index} of a request for {request.n_samples}",
                user_message="NovelAI's stream sent images that were not asked for")
        if event.is_final:
            if event.sample_index in finals:
                raise errors.StreamTooLarge(f"NovelAI's stream sent sample {event.sample_index} twice",
                                            user_message="NovelAI's stream sent images that were not asked for")
            finals[event.sample_index] = event.image
        else:
            await on_progress(event, total)
    if len(finals) < request.n_samples:
        raise errors.ServerError(f"NovelAI's stream ended after {len(finals)} of {request.n_samples} images")
    return [image_from_png(finals[i], i, request.seed, limits) for i in sorted(finals)]
