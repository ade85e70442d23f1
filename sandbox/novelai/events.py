"""The events of one streamed generation (docs/novelai-api.md §5.3): previews step by step for every sample,
then the finals; a hostile PNG mode replaces the finals' images (``hostile.py``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import sandbox.novelai.hostile as hostile
from sandbox.novelai.generation_inputs import denoised_steps
from sandbox.novelai.images import render_png, render_preview
from sandbox.novelai.stream import sigma
from sandbox.novelai.validation import Generation


async def generation_events(generation: Generation, seeds: list[int], gen_id: str, *, step_latency: float,
                            mode: str | None = None, hostile_bytes: int = 0) -> AsyncIterator[dict[str, Any]]:
    """A batch sampler's view: every sample advances one step at a time (an img2img only its ``steps ×
    strength``), one step per ``step_latency``; finals come last."""
    steps = denoised_steps(generation)
    for step in range(steps):
        if step_latency > 0:
            await asyncio.sleep(step_latency)
        for index, seed in enumerate(seeds):
            yield {"event_type": "intermediate", "samp_ix": index, "step_ix": step, "gen_id": gen_id,
                   "sigma": sigma(step, steps), "image": render_preview(generation, seed, step)}
    for index, seed in enumerate(seeds):
        png = render_png(generation, seed, record_seed=generation.seed is not None)
        if mode in hostile.PNG_MODES:
            png = hostile.hostile_png(mode, png, hostile_bytes)
        yield {"event_type": "final", "samp_ix": index, "gen_id": gen_id, "image": png}
