"""A job's request and requester as the queue stores them in Redis: compact, and read back exactly.

Why: a waiting job must stay under 2 KB of Redis with its inputs (issue 16), also with 10 vibes.
Two things made it grow: every ``ImageRef`` carried its storage key (~55 B, and ~210 B a vibe with the
vibe's numbers), and every request was stored with each of its ~30 defaults. So the stored form

- leaves out a field equal to its default (``exclude_defaults``), except ``kind``, which tells the
  request union apart (``tasks.job._request_kind``), and the fields the admin page reads straight from
  the stored JSON (``bot.http.admin_state``: model, size, steps);
- writes an ``ImageRef`` whose key is the one ``tasks.inputs.input_key`` derives from the job's id,
  its ``created_at`` and the image's SHA-256 (which ``Submitter.submit`` insists on, see
  ``check_inputs_belong``) as one short string, ``<SHA-256 in base64url>:<width>x<height>`` (53 B
  instead of ~150 B); reading derives the key again from the same three.

With both, a vibe costs ~63 B of JSON instead of ~210 B (10 vibes: 3,715 -> 1,667 B of Redis per
waiting job, bench/image_jobs.py).

Jobs stored before this (every field, every key) read as before: a field present wins over a default,
and an image stored as an object (with its key) is read as it is.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from tasks.inputs import input_key
from tasks.job import AnyRequest, Requester

# Stored even when equal to their defaults: the union's tag, and what the admin page shows of a job.
ALWAYS_STORED = ("kind", "model", "width", "height", "steps")


def _map_refs(request: dict[str, Any], change: Callable[[Any], Any]) -> dict[str, Any]:
    """A copy of a request's JSON with ``change`` applied to each of its images: image and mask (or an
    upscale's or tool's image), and each vibe's and reference's image. The caller's dict is left as it is."""
    mapped = dict(request)
    for name in ("image", "mask"):
        if mapped.get(name) is not None:
            mapped[name] = change(mapped[name])
    for name in ("vibes", "references"):
        if isinstance(mapped.get(name), list):
            mapped[name] = [{**item, "image": change(item["image"])} if isinstance(item, dict) and "image" in item
                            else item for item in mapped[name]]
    return mapped


def _sha_text(sha256: str) -> str:
    """A SHA-256 in 43 characters (base64url, no padding) instead of 64 hex digits."""
    return base64.urlsafe_b64encode(bytes.fromhex(sha256)).decode().rstrip("=")


def _sha_hex(text: str) -> str:
    return base64.urlsafe_b64decode(text + "=").hex()


def dump_request(request: AnyRequest, job_id: str, created_at: float) -> dict[str, Any]:
    """The request's JSON to store: no field at its default, and each image whose key is the derivable
    one as ``<SHA-256 in base64url>:<width>x<height>``."""
    full = request.model_dump(mode="json")
    stored = request.model_dump(mode="json", exclude_defaults=True)
    stored.update({name: full[name] for name in ALWAYS_STORED if name in full})

    def compact(ref: Any) -> Any:
        if isinstance(ref, dict) and ref.get("key") == input_key(job_id, created_at, ref["sha256"]):
            return f"{_sha_text(ref['sha256'])}:{ref['width']}x{ref['height']}"
        return ref  # stored elsewhere than its job's folder (not queued by Submitter.submit): kept whole

    return _map_refs(stored, compact)


def load_request(stored: dict[str, Any], job_id: str, created_at: float) -> dict[str, Any]:
    """The request's JSON with each compact image read back, its key derived again (the left-out
    defaults come back when the request is validated)."""

    def expand(ref: Any) -> Any:
        if not isinstance(ref, str):
            return ref  # stored whole (or by a version before compact images)
        sha_text, _, size = ref.partition(":")
        width, _, height = size.partition("x")
        sha256 = _sha_hex(sha_text)
        return {"key": input_key(job_id, created_at, sha256), "sha256": sha256, "width": int(width),
                "height": int(height)}

    return _map_refs(stored, expand)


def dump_requester(requester: Requester) -> dict[str, Any]:
    """The requester's JSON to store: its platform and user id, and only what differs from the defaults."""
    return requester.model_dump(mode="json", exclude_defaults=True)
