"""A JSON request body read under its own bound, as it arrives: the JSON side of what
``bot.http.multipart`` does for uploads.

Why not ``Request.body()``: it keeps every chunk and then joins them, so a body at the image paths'
cap (``/generate``: the settings plus twelve images of ``images.max_input_bytes`` in base64, ~160 MB
with the defaults) briefly costs twice its size, and it has no bound of its own: it leans on the
request-size middleware (``bot.http.limits``) having been given the right cap for the path. Here the
route states the bound it needs, derived from the images settings (``json_limit``): a
``Content-Length`` over it is refused before a byte of the body is read, and a body without one (or
with a false one) is refused at the first chunk past it. The bytes collect in one ``bytearray`` that
pydantic parses as it is. A refusal is the API's error (413, ``body_too_large``, ``Connection:
close``): the rest of the body is never read.
"""

from __future__ import annotations

from starlette.requests import Request

from bot.http.image_models import base64_chars
from bot.http.models import ProblemOut
from bot.http.routes.jobs import ApiError
from naibot.settings import Settings

BODY_TOO_LARGE = "body_too_large"


def json_limit(settings: Settings, images: int) -> int:
    """What a JSON body carrying at most ``images`` base64 images may weigh: the API's cap for the
    settings, and each image at ``images.max_input_bytes`` once decoded."""
    return settings.api.max_body_bytes + images * base64_chars(settings.images.max_input_bytes)


def too_large(limit: int) -> ApiError:
    message = f"the request body is too large (the limit is {limit} bytes)"
    return ApiError(413, message, [ProblemOut(field="body", code=BODY_TOO_LARGE, message=message)],
                    headers={"Connection": "close"})


def declared_length(request: Request) -> int | None:
    """The ``Content-Length`` the client sent, if it is a number."""
    value = request.headers.get("content-length")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


async def read_json_body(request: Request, limit: int) -> bytearray:
    """The whole body, at most ``limit`` bytes (``too_large`` otherwise, as soon as that is known).
    ``ClientDisconnect`` when the body stops coming (the client left, or the middleware refused it)."""
    declared = declared_length(request)
    if declared is not None and declared > limit:
        raise too_large(limit)
    body = bytearray()
    async for chunk in request.stream():
        if len(body) + len(chunk) > limit:
            raise too_large(limit)
        body += chunk
    return body

