"""Images sent as multipart parts, as the website sends them (NKDK ``docs/v5-investigation/findings.md`` §2,
§7): the JSON goes in a part named ``request`` and each image in a part of its own, the JSON's image fields
holding the part's name (``"image": "image"``, ``"mask": "mask"``, ``ref_multiple_N``, ``director_ref_N``).

In a multipart body NovelAI reads those fields as part names only: base64 there is a 400 "image field
references unknown form part" (NKDK's clients broke on exactly that). A JSON body takes base64 as before.
"""

from __future__ import annotations

import base64
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from sandbox.novelai.state import Refusal

JSON_PART = "request"
IMAGE_FIELDS = ("image", "mask")
IMAGE_LISTS = ("reference_image_multiple", "director_reference_images")


def form_parts(form: MultiDictProxy[str | bytes | bytearray | web.FileField]) -> dict[str, bytes]:
    """Every part but the JSON one, by name (the body is already bounded by the app's client_max_size)."""
    parts: dict[str, bytes] = {}
    for name, value in form.items():
        if name != JSON_PART:
            parts[name] = value.file.read() if isinstance(value, web.FileField) else (
                bytes(value) if isinstance(value, bytes | bytearray) else value.encode())
    return parts


def _resolve(value: Any, field: str, parts: dict[str, bytes]) -> Any:
    if not isinstance(value, str) or not value:
        return value
    if value not in parts:
        raise Refusal(400, f'{field} field references unknown form part "{value[:24]}"')
    return base64.b64encode(parts[value]).decode("ascii")


def resolve_parts(body: Any, parts: dict[str, bytes]) -> Any:
    """The body with each image field's part name replaced by that part's bytes in base64 (what the checks
    that follow read, whichever way the images came)."""
    if not isinstance(body, dict):
        return body
    body = dict(body)
    if "image" in body:
        body["image"] = _resolve(body["image"], "image", parts)
    params = body.get("parameters")
    if isinstance(params, dict):
        params = body["parameters"] = dict(params)
        for name in IMAGE_FIELDS:
            if name in params:
                params[name] = _resolve(params[name], name, parts)
        for name in IMAGE_LISTS:
            if isinstance(params.get(name), list):
                params[name] = [_resolve(value, name, parts) for value in params[name]]
    return body
