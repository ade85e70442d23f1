"""The HTTP API's bodies for jobs with images (``bot.http.routes.images``), as pydantic models so
``/openapi.json`` describes them, and the multipart form each route also takes.

An image comes either as a file part of a ``multipart/form-data`` body (``image``, ``mask``, ``vibe``
repeated, ``reference`` repeated; the settings in a JSON part ``params``, the same object as the JSON
body) or as base64 in the JSON body (``image_b64``, ``mask_b64``, and ``image_b64`` inside each vibe
or reference). The schema bounds every base64 string by the largest upload the ``images:`` settings
can allow; the deployment's own ``images.max_input_bytes`` is checked on the string's length before a
byte of it is decoded (``bot.http.routes.images``). As in ``bot.http.models``, the ranges of the
values are declared for clients and checked by the rules the CLI and the chats use, in their words.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import BaseModel, Field
from pydantic.json_schema import models_json_schema

from bot.http.models import GenerateBody, InputOut, _declared, _Finite, _Name, _Prompt, _Unit, _Whole
from naibot.settings import ImagesSettings
from novelai.derived import ENHANCE_FACTORS
from novelai.image_rules import DEFAULT_INPAINT_STRENGTH, MAX_NOISE, MAX_STRENGTH, MIN_NOISE, MIN_STRENGTH
from novelai.inputs import MAX_REFERENCES, MAX_VIBES, ReferenceKind
from novelai.request import GenerationRequest
from novelai.tools import EMOTION_MOODS, MAX_DEFRY, MAX_TOOL_PROMPT_CHARS, UpscaleRequest
from tasks.job import MAX_PRIORITY, MIN_PRIORITY, AnyRequest

# A data URL's header ("data:image/png;base64,") is accepted before the base64; at most this long.
MAX_DATA_URL_HEADER = 100
# The largest base64 string any deployment could accept: the ``images.max_input_bytes`` ceiling.
_MAX_INPUT_BYTES_CEILING = ImagesSettings.model_fields["max_input_bytes"].metadata[-1].le


def base64_chars(max_bytes: int) -> int:
    """How long the base64 of ``max_bytes`` bytes is (padded), plus room for a data URL header."""
    return 4 * math.ceil(max_bytes / 3) + MAX_DATA_URL_HEADER


_Base64 = Annotated[str, Field(max_length=base64_chars(_MAX_INPUT_BYTES_CEILING), description=(
    "A PNG, JPEG or WebP file in base64 (a data: URL is accepted too); at most images.max_input_bytes "
    "once decoded."))]
_Priority = Annotated[int, Field(ge=MIN_PRIORITY, le=MAX_PRIORITY)] | None
_PRIORITY_FIELD = Field(None, description="0–10, higher first; at most the API key's max_priority.")
_TaskId = Annotated[str, Field(min_length=1, max_length=64)]
_Index = Annotated[_Whole, Field(json_schema_extra={"minimum": 0})]


class VibeBody(BaseModel):
    """One vibe: an image whose style the generation follows (not on V5; not with references)."""

    model_config = {"extra": "forbid"}
    strength: _Unit = 0.6
    information_extracted: _Unit = 1.0
    image_b64: _Base64 | None = Field(None, description="The image; in a multipart body, omit it and send "
                                                        "`vibe` parts, matched to these entries in order.")


class ReferenceBody(BaseModel):
    """One precise reference (V4.5 and V5 full/curated): the same character, style, or both."""

    model_config = {"extra": "forbid"}
    kind: ReferenceKind = "character&style"
    strength: Annotated[_Finite, Field(**_declared(0.0, 5.0))] = 1.0
    fidelity: _Unit = 1.0
    image_b64: _Base64 | None = Field(None, description="The image; in a multipart body, omit it and send "
                                                        "`reference` parts, matched to these entries in order.")


class ImageGenerateBody(GenerateBody):
    """``POST /generate``: text to image, or with input images (img2img with ``image``, inpainting with
    ``image`` and ``mask`` (white = repaint), vibes, precise references). Without ``width`` and
    ``height`` an img2img takes the image's aspect at about one megapixel."""

    image_b64: _Base64 | None = None
    mask_b64: _Base64 | None = None
    strength: Annotated[_Finite, Field(**_declared(MIN_STRENGTH, MAX_STRENGTH))] | None = Field(
        None, description="img2img: how far from the image (default 0.7).")
    noise: Annotated[_Finite, Field(**_declared(MIN_NOISE, MAX_NOISE))] | None = Field(
        None, description="img2img: noise added to the image (default 0).")
    inpaint_strength: _Unit | None = Field(None, description="inpainting: inpaintImg2ImgStrength, also the price "
                                                             f"factor (default {DEFAULT_INPAINT_STRENGTH}).")
    add_original_image: bool = Field(True, description="inpainting: keep the original outside the mask.")
    vibes: list[VibeBody] = Field(default_factory=list, max_length=MAX_VIBES)
    references: list[ReferenceBody] = Field(default_factory=list, max_length=MAX_REFERENCES)

    def to_request(self) -> GenerationRequest:
        """The request without its images (``tasks.image_submit`` adds them once prepared). A size the
        client did not give stays unset, so an img2img takes its image's aspect."""
        text = GenerateBody.model_validate(self.model_dump(include=set(GenerateBody.model_fields))).to_request()
        unset_size = {"width", "height"} - self.model_fields_set
        fields: dict[str, Any] = {name: getattr(text, name) for name in text.model_fields_set - unset_size}
        fields.update({name: getattr(self, name) for name in
                       ("strength", "noise", "inpaint_strength", "add_original_image")})
        return GenerationRequest(**fields)


class _SourceBody(BaseModel):
    """Where a derived job's image comes from: a finished task of the caller's own (``task_id``, its
    ``index``-th image) or an upload (``image_b64``, or an ``image`` part of a multipart body)."""

    model_config = {"extra": "forbid"}
    task_id: _TaskId | None = Field(None, description="a finished task of yours whose image to use")
    index: _Index = Field(0, description="which of that task's images (0 = the first)")
    image_b64: _Base64 | None = None
    priority: _Priority = _PRIORITY_FIELD


class DerivedBody(_SourceBody):
    """``POST /enhance`` and ``/variations`` (with ``/{task_id}`` the task comes from the path). The
    settings are the task's, else the NovelAI metadata of the file, else ``prompt`` at the image's shape."""

    prompt: _Prompt | None = Field(None, description="replaces the source's prompt (needed when a file has no "
                                                     "NovelAI metadata)")
    model: _Name | None = None


class EnhanceBody(DerivedBody):
    factor: Annotated[_Finite, Field(json_schema_extra={"enum": list(ENHANCE_FACTORS)})] = Field(
        1.5, description="1.5 (bigger) or 1 (same size)")


class UpscaleBody(_SourceBody):
    scale: Annotated[_Whole, Field(json_schema_extra={"enum": [2, 4]})] = Field(
        UpscaleRequest.model_fields["scale"].default, description="2, or 4 (the legacy upscale only)")


class ToolBody(_SourceBody):
    """``POST /tools/{type}``: ``prompt`` and ``defry`` for colorize and emotion; ``emotion`` (the mood)
    for the emotion tool only."""

    prompt: Annotated[str, Field(max_length=2 * MAX_TOOL_PROMPT_CHARS)] = ""
    defry: Annotated[_Whole, Field(**_declared(0, MAX_DEFRY))] = 0
    emotion: Annotated[str, Field(max_length=32, json_schema_extra={"examples": list(EMOTION_MOODS[:3])})] | None = None


def inputs_of(request: AnyRequest) -> list[InputOut]:
    """The inputs a task's request names, in the order they were given."""
    if not isinstance(request, GenerationRequest):
        return [InputOut(kind="image", width=request.image.width, height=request.image.height)]
    named = [("image", request.image), ("mask", request.mask)]
    named += [("vibe", vibe.image) for vibe in request.vibes]
    named += [("reference", reference.image) for reference in request.references]
    return [InputOut(kind=kind, width=ref.width, height=ref.height) for kind, ref in named if ref is not None]


# -- the OpenAPI description of the bodies ------------------------------------------------------

MODELS: tuple[type[BaseModel], ...] = (ImageGenerateBody, DerivedBody, EnhanceBody, UpscaleBody, ToolBody)
_BINARY = {"type": "string", "format": "binary"}


def component_schemas() -> dict[str, Any]:
    """The request models as OpenAPI components (their nested models hoisted), for the document."""
    _, top = models_json_schema([(model, "validation") for model in MODELS],
                                ref_template="#/components/schemas/{model}")
    defs: dict[str, Any] = top.get("$defs", {})
    return defs


def request_body(model: type[BaseModel], files: dict[str, int], *, required: bool = True) -> dict[str, Any]:
    """``openapi_extra`` for a route that takes ``model`` as JSON, or as the ``params`` part of a
    multipart body with these file parts (name → how many)."""
    ref = {"$ref": f"#/components/schemas/{model.__name__}"}
    properties: dict[str, Any] = {"params": {**ref, "description": "the settings, as in the JSON body"}}
    for name, count in files.items():
        properties[name] = _BINARY if count == 1 else {"type": "array", "items": _BINARY, "maxItems": count}
    return {"requestBody": {"required": required, "content": {
        "application/json": {"schema": ref},
        "multipart/form-data": {"schema": {"type": "object", "properties": properties},
                                "encoding": {"params": {"contentType": "application/json"}}},
    }}}
