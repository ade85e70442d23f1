"""The HTTP API's JSON bodies, as pydantic models so ``/openapi.json`` describes them exactly.

Field names follow the original naibot API's ``/generate`` (``negative_prompt``, ``n_samples``, ...). Every
rule of a request (ranges, sizes, the pixel budget, what depends on the model) is checked by
``GenerationRequest.resolved()``, the validation the CLI and the chat bots use, so a refusal here says
what they say, every problem at once ("width must be a multiple of 64 (got 1000; try 960 or 1024)").
The simple bounds (steps, scale, sizes, seed, ...) are still declared in the schema (``_declared``), so
clients and schemathesis see them, but not enforced by it: pydantic would refuse first, one bound at a
time, in its own words. What the schema does enforce is what no request means: numbers past 64 bits
(``_Whole``), which no sentence should have to quote, and priority, a queue matter ``resolved()`` never sees.

Every string and list has a length bound here, so validation work is bounded before any of our
code runs (an 8 MB list of 2 million characters once held the event loop for 26 s). The bounds on
prompts leave room for what ``resolved()`` strips (spaces, control characters); its own 2000-character
limit, with its clearer message, still applies to the text itself.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from novelai.errors import InvalidRequest, Problem
from novelai.models import DEFAULT_SIZE, MAX_CHARACTERS_V5, MODEL_NAMES
from novelai.request import (
    AUTO_POSITION,
    MAX_CFG_RESCALE,
    MAX_N_SAMPLES,
    MAX_PROMPT_CHARS,
    MAX_SCALE,
    MAX_SEED,
    MAX_SIDE,
    MAX_STEPS,
    MIN_CFG_RESCALE,
    MIN_SCALE,
    MIN_SIDE,
    MIN_STEPS,
    SIZE_STEP,
    CharacterPrompt,
    GenerationRequest,
    parse_position,
)
from tasks.job import MAX_PRIORITY, MIN_PRIORITY

_STRICT = ConfigDict(extra="forbid")  # a misspelt field is an error, not a silently ignored wish


def _declared(minimum: float, maximum: float, multiple_of: int | None = None) -> dict[str, Any]:
    """Bounds for the description only: ``resolved()`` enforces them, in the CLI's and the chat's words."""
    bounds: dict[str, Any] = {"minimum": minimum, "maximum": maximum}
    if multiple_of is not None:
        bounds["multipleOf"] = multiple_of
    return {"json_schema_extra": bounds}


# A whole number a request could mean: within 64 bits. Past that the schema refuses it, so a message
# never has to quote (or a pixel count multiply) thousands of digits.
_INT64 = 2**63
_Whole = Annotated[int, Field(ge=-_INT64, le=_INT64 - 1)]
_Finite = Annotated[float, Field(allow_inf_nan=False)]
_Side = Annotated[_Whole, Field(**_declared(MIN_SIDE, MAX_SIDE, SIZE_STEP))]
_Unit = Annotated[_Finite, Field(**_declared(0.0, 1.0))]
_Prompt = Annotated[str, Field(max_length=2 * MAX_PROMPT_CHARS)]
_Name = Annotated[str, Field(max_length=64)]  # a model, sampler or noise schedule name
# The chat syntax "PROMPT[@POSITION][|NEGATIVE]": two prompts and a position.
_CharacterText = Annotated[str, Field(max_length=4 * MAX_PROMPT_CHARS + 64)]


class Center(BaseModel):
    model_config = _STRICT
    x: _Unit
    y: _Unit


class Character(BaseModel):
    """One V4+ character. Place it with ``center`` ({x, y} in 0..1) or ``position`` (a grid cell
    A1–E5 or "x,y"); with neither, the AI places it."""

    model_config = _STRICT
    prompt: _Prompt
    negative_prompt: _Prompt = ""
    center: Center | None = None
    position: str | None = Field(None, max_length=32, examples=["C3", "0.3,0.7", AUTO_POSITION])

    def to_prompt(self, index: int) -> CharacterPrompt:
        if self.center is not None and self.position is not None:
            raise InvalidRequest(Problem(f"characters[{index}]", f"character {index + 1} has both a center and a "
                                         "position; give one", code="character_two_places"))
        center: tuple[float, float] | None = (self.center.x, self.center.y) if self.center else None
        if self.position is not None and self.position.strip().lower() != AUTO_POSITION:
            center = parse_position(self.position)
        return CharacterPrompt(prompt=self.prompt, negative=self.negative_prompt, center=center)


class GenerateBody(BaseModel):
    """``POST /generate``. Omitted (or null) settings take the model's defaults."""

    model_config = _STRICT
    prompt: _Prompt = Field(examples=["1girl, red hair, beach, sunset"])
    negative_prompt: _Prompt = ""
    model: _Name | None = Field(None, examples=["nai-diffusion-4-5-full", "v4.5", "v3"],
                                description=f"One of {', '.join(MODEL_NAMES)}, or a full NovelAI model id.")
    sampler: _Name | None = Field(None, examples=["k_euler_ancestral"])
    steps: Annotated[_Whole, Field(**_declared(MIN_STEPS, MAX_STEPS))] | None = None
    scale: Annotated[_Finite, Field(**_declared(MIN_SCALE, MAX_SCALE))] | None = None
    width: _Side = DEFAULT_SIZE[0]
    height: _Side = DEFAULT_SIZE[1]
    n_samples: Annotated[_Whole, Field(**_declared(1, MAX_N_SAMPLES))] = 1
    seed: Annotated[_Whole, Field(**_declared(0, MAX_SEED))] | None = None
    characters: list[Character | _CharacterText] = Field(
        default_factory=list, max_length=MAX_CHARACTERS_V5,
        description='Objects, or the chat syntax "PROMPT[@POSITION][|NEGATIVE]" as strings.')
    quality_tags: bool = True
    uc_preset: Annotated[_Whole, Field(json_schema_extra={"minimum": 0})] = 0
    noise_schedule: _Name | None = None
    cfg_rescale: Annotated[_Finite, Field(**_declared(MIN_CFG_RESCALE, MAX_CFG_RESCALE))] = 0.0
    variety: bool = False
    transparent: bool = Field(False, description="V5: a transparent background (straight_alpha and its tag hint).")
    quality_preset: _Name = Field(
        "standard", description="standard, or light (V5 full/curated): which quality tags are added.")
    smea: bool = False
    smea_dyn: bool = False
    priority: Annotated[int, Field(ge=MIN_PRIORITY, le=MAX_PRIORITY)] | None = Field(
        None, description="0–10, higher first; at most the API key's max_priority (default: the bot's default, "
                          "capped to that).")

    def to_request(self) -> GenerationRequest:
        """The request as the queue knows it; InvalidRequest (every problem at once) if a character
        position cannot be read. The rest of the validation is ``resolved()``'s."""
        characters, problems = [], []
        for index, character in enumerate(self.characters):
            try:
                characters.append(CharacterPrompt.parse(character) if isinstance(character, str)
                                  else character.to_prompt(index))
            except InvalidRequest as error:
                problems += error.problems
        if problems:
            raise InvalidRequest(problems)
        fields: dict[str, Any] = self.model_dump(exclude={"negative_prompt", "characters", "priority"},
                                                 exclude_none=True)
        return GenerationRequest(**fields, negative=self.negative_prompt, characters=tuple(characters))


class ProblemOut(BaseModel):
    field: str
    code: str
    message: str


class ErrorBody(BaseModel):
    """Every refusal: ``error`` is a sentence to show; ``problems`` lists each invalid field."""

    error: str
    problems: list[ProblemOut] = Field(default_factory=list)


class Submitted(BaseModel):
    task_id: str
    state: str
    position: int | None = Field(description="1 = next in its lane")
    total: int | None = Field(description="jobs waiting in its lane")
    eta_seconds: float | None = Field(description="until it starts; null until a generation time is known")
    priority: int


class ImageOut(BaseModel):
    url: str
    seed: int | None
    width: int
    height: int


class JobErrorOut(BaseModel):
    kind: str
    message: str


class InputOut(BaseModel):
    """One input image of a task, as prepared: ``kind`` is image, mask, vibe or reference."""

    kind: str
    width: int
    height: int


class TaskStatus(BaseModel):
    task_id: str
    kind: str = Field("generate", description="generate, upscale or tool")
    state: str = Field(description="queued, running, done, failed or canceled")
    position: int | None = Field(description="while queued: 1 = next in its lane")
    total: int | None = Field(description="while queued: jobs waiting in its lane")
    eta_seconds: float | None = Field(description="until it starts (0 while running); null when unknown")
    priority: int
    created_at: float
    started_at: float | None
    finished_at: float | None
    images: list[ImageOut]
    inputs: list[InputOut] = Field(default_factory=list, description="the images the task was given, as prepared")
    error: JobErrorOut | None


class QueueStatus(BaseModel):
    waiting: int = Field(description="jobs waiting in all lanes")
    running: int = Field(description="jobs being generated now")
    lanes: dict[str, int] = Field(description="waiting jobs per NovelAI account lane")
    average_seconds: float | None = Field(description="moving average of one generation; null until measured")


class Canceled(BaseModel):
    task_id: str
    state: str
    message: str
