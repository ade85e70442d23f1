"""What a front end hands ``tasks.image_submit.ImageJobs``: uploads (bytes and a name) and their settings,
and the refusals that need no image decoded (too many files, a mask without its image)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import ValidationError

from novelai.errors import InvalidRequest, Problem
from novelai.images import InvalidImage, PreparedImage
from novelai.inputs import MAX_REFERENCES, MAX_VIBES, ImageRef, ReferenceInput, ReferenceKind, VibeInput
from tasks.image_sources import JobImage
from tasks.job import AnyRequest

# How much of an upload's name a refusal quotes.
NAME_CHARS = 60


@dataclass(frozen=True)
class Upload:
    """An image a person handed over: its bytes as received, and the name it came with (for messages)."""

    data: bytes
    name: str = "image"

    @property
    def label(self) -> str:
        """The name as a refusal quotes it: printable, short."""
        printable = "".join(ch if ch.isprintable() else "?" for ch in self.name)
        return printable[:NAME_CHARS] or "image"


@dataclass(frozen=True)
class VibeUpload:
    upload: Upload
    strength: float = 0.6
    information_extracted: float = 1.0


@dataclass(frozen=True)
class ReferenceUpload:
    upload: Upload
    kind: ReferenceKind = "character&style"
    strength: float = 1.0
    fidelity: float = 1.0


Source = Upload | JobImage


@dataclass(frozen=True)
class PlannedJob:
    """A checked request and the prepared inputs it names, before anything is stored or queued.

    ``request`` is resolved (a generation) or checked (an upscale, a tool); its ``ImageRef``s already
    name the keys the images will have under ``job_id``'s folder. ``--dry-run`` stops here."""

    request: AnyRequest
    images: tuple[PreparedImage, ...]
    job_id: str
    created_at: float


def relabelled(exc: InvalidRequest, role: str, upload: Upload) -> InvalidRequest:
    """The refusal of a file naming which one: the problem's field is its role (image, mask, vibe 2...)
    and its sentence starts with the file's name. Still an ``InvalidImage`` with the same code."""
    if not isinstance(exc, InvalidImage):
        return exc
    problem = exc.problems[0]
    named = InvalidImage(problem.code, problem.message, **problem.params)
    InvalidRequest.__init__(named, Problem(role, f"{upload.label}: {problem.message}", code=problem.code,
                                           params=problem.params))
    return named


# Stands for an image not yet prepared while an upload's own settings are checked against the models' bounds.
_PLACEHOLDER = ImageRef(key="placeholder", sha256="0" * 64, width=1, height=1)


def validation_refusal(exc: ValidationError, field: str) -> InvalidRequest:
    """A pydantic refusal of a person's value as our ``InvalidRequest`` (``field``: which input)."""
    problems = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"])
        problems.append(Problem(f"{field} {where}".strip(), str(error["msg"]), code="input_setting",
                                params={"setting": where}))
    return InvalidRequest(problems)


def check_uploads(vibes: Sequence[VibeUpload], references: Sequence[ReferenceUpload], *, has_mask: bool,
                  has_image: bool) -> None:
    """Refusals that need no image decoded: too many files, a mask without its image, a vibe's or a
    reference's setting out of its range (the bounds of ``VibeInput``/``ReferenceInput``)."""
    problems = []
    if len(vibes) > MAX_VIBES:
        problems.append(Problem("vibes", f"at most {MAX_VIBES} vibes (got {len(vibes)})", code="too_many_vibes",
                                params={"value": len(vibes), "max": MAX_VIBES}))
    if len(references) > MAX_REFERENCES:
        problems.append(Problem("references", f"at most {MAX_REFERENCES} references (got {len(references)})",
                                code="too_many_references", params={"value": len(references), "max": MAX_REFERENCES}))
    if has_mask and not has_image:
        problems.append(Problem("mask", "a mask needs the image it paints on", code="mask_without_image"))
    for number, vibe in enumerate(vibes, 1):
        try:
            VibeInput(image=_PLACEHOLDER, strength=vibe.strength, information_extracted=vibe.information_extracted)
        except ValidationError as exc:
            problems += validation_refusal(exc, f"vibe {number}").problems
    for number, reference in enumerate(references, 1):
        try:
            ReferenceInput(image=_PLACEHOLDER, kind=reference.kind, strength=reference.strength,
                           fidelity=reference.fidelity)
        except ValidationError as exc:
            problems += validation_refusal(exc, f"reference {number}").problems
    if problems:
        raise InvalidRequest(problems)
