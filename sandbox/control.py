"""Helpers every stand-in's control API (``/_sandbox/...``) shares: JSON in, JSON out, and a
400 that says what was wrong with the test's request."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web


def refusal(exc: Exception) -> web.HTTPBadRequest:
    """A 400 naming the problem: a missing field, the stand-in's own error message, or the text."""
    own = getattr(exc, "message", None) or str(exc)
    reason = f"missing field {exc}" if isinstance(exc, KeyError) else own
    return web.HTTPBadRequest(text=json.dumps({"error": reason}), content_type="application/json")


async def json_body(request: web.Request, *, optional: bool = False) -> dict[str, Any]:
    if optional and not await request.read():
        return {}
    try:
        body = await request.json()
    except ValueError as exc:
        raise refusal(ValueError("the body is not valid JSON")) from exc
    if not isinstance(body, dict):
        raise refusal(ValueError("the control API takes a JSON object"))
    return body


def json_response(value: Any, *, status: int = 200) -> web.Response:
    # The bare content type: discord.py only parses JSON when the header is exactly this.
    return web.Response(status=status, body=json.dumps(value).encode(), headers={"Content-Type": "application/json"})
