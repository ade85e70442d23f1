"""The rules a request meets because of its model, beyond the ranges every model shares.

Apart from ``request.py`` because they grow with each model NovelAI ships: which noise schedules a
model and sampler take (V5: karras only; V4+: not native; k_dpm_2: two; the schedule-less samplers:
none), what V5 leaves out (Variety+), what only V5 has (transparency, the "light" quality preset),
and what V5 Medium fixes (14 steps, k_euler_ancestral, the Heavy UC preset, no negative prompt).
Sources: docs/novelai-api.md §9.2 and "Request rules per model (issue 15)".

A setting the model fixes or lacks is refused, not silently changed: whoever sets steps on V5 Medium
gets told it always runs 14, instead of a picture that ignored what they asked.
"""

from __future__ import annotations

from novelai.errors import Problem
from novelai.models import K_DPM_2_SCHEDULES, NOISE_SCHEDULES, SCHEDULED_SAMPLERS, ModelInfo

QUALITY_PRESETS = ("standard", "light")


def fields_the_model_decides(model: ModelInfo) -> frozenset[str]:
    """Request fields a *saved* default must not set on this model, because the model fixes or lacks
    them: a person who saved "steps 28" and asks for V5 Medium means Medium, not a refusal. What they
    type in the request itself is still refused (``fixed_problems``, ``feature_problems``)."""
    fields: set[str] = set()
    if model.fixed is not None:
        fields |= {"steps", "sampler", "uc_preset", "negative"}
    if not model.supports_variety:
        fields.add("variety")
    return frozenset(fields)


def noise_schedule(requested: str | None, sampler: str | None, model: ModelInfo) -> str | None:
    """The schedule to send: the user's (normalised), k_dpm_2's first working one, none for the
    samplers that take none (LLK), else the model's default."""
    if requested is not None:
        return requested.strip().lower()
    if sampler is not None and sampler not in SCHEDULED_SAMPLERS:
        return None
    if sampler == "k_dpm_2":
        return K_DPM_2_SCHEDULES[0]
    return model.default_noise_schedule


def schedule_problems(schedule: str | None, *, sampler: str | None, model: ModelInfo) -> list[Problem]:
    """What is wrong with a noise schedule the user asked for (None: nothing asked)."""
    if schedule is None:
        return []
    if schedule not in NOISE_SCHEDULES:
        return [Problem("noise_schedule",
                        f"unknown noise schedule '{schedule}'; use one of {', '.join(NOISE_SCHEDULES)}",
                        code="unknown_noise_schedule", params={"value": schedule, "choices": NOISE_SCHEDULES})]
    if schedule not in model.noise_schedules:
        if schedule == "native" and len(model.noise_schedules) > 1:
            return [Problem("noise_schedule",
                            f"the native noise schedule does not work on {model.label}; use karras, exponential "
                            "or polyexponential",
                            code="native_schedule_v4", params={"model": model.label, "choices": model.noise_schedules})]
        return [Problem("noise_schedule",
                        f"{model.label} only takes the {', '.join(model.noise_schedules)} noise schedule "
                        f"(got {schedule}); leave it out",
                        code="schedule_not_on_model",
                        params={"model": model.label, "value": schedule, "choices": model.noise_schedules})]
    if sampler is not None and sampler not in SCHEDULED_SAMPLERS:
        return [Problem("noise_schedule", f"the {sampler} sampler takes no noise schedule (got {schedule}); "
                                          "leave it out",
                        code="sampler_without_schedule", params={"sampler": sampler, "value": schedule})]
    if sampler == "k_dpm_2" and schedule not in K_DPM_2_SCHEDULES:
        return [Problem("noise_schedule",
                        f"the k_dpm_2 sampler only works with {' or '.join(K_DPM_2_SCHEDULES)} "
                        f"(got {schedule})",
                        code="k_dpm_2_schedule", params={"value": schedule, "choices": K_DPM_2_SCHEDULES})]
    return []


def feature_problems(model: ModelInfo, *, variety: bool, transparent: bool, quality_preset: str) -> list[Problem]:
    """Variety+ (not on V5), transparency (V5 only) and the quality preset (light: V5 full/curated)."""
    problems = []
    if variety and not model.supports_variety:
        problems.append(Problem("variety", f"{model.label} has no variety boost; turn it off",
                                code="variety_not_on_model", params={"model": model.label}))
    if transparent and not model.transparency:
        problems.append(Problem("transparent", f"{model.label} cannot make a transparent background; "
                                               "use a V5 model (e.g. v5) or turn it off",
                                code="transparency_not_on_model", params={"model": model.label}))
    if quality_preset not in QUALITY_PRESETS:
        problems.append(Problem("quality_preset", f"unknown quality preset '{quality_preset}'; use one of "
                                                  f"{', '.join(QUALITY_PRESETS)}",
                                code="unknown_quality_preset", params={"value": quality_preset,
                                                                       "choices": QUALITY_PRESETS}))
    elif quality_preset == "light" and model.light_quality_tags is None:
        problems.append(Problem("quality_preset", f"{model.label} has no light quality preset; use standard",
                                code="light_quality_not_on_model", params={"model": model.label}))
    return problems


def fixed_problems(model: ModelInfo, *, steps: int | None, sampler: str | None, uc_preset: int,
                   negatives: tuple[str, ...]) -> list[Problem]:
    """What the user set on a fixed-settings model (V5 Medium) that differs from what it runs with.

    ``sampler`` is the resolved name (aliases already read); ``negatives`` are the main negative
    prompt and each character's. Setting the fixed value itself ("--steps 14") is no problem.
    """
    fixed = model.fixed
    if fixed is None:
        return []
    problems = []
    preset_name = model.uc_presets[fixed.uc_preset][0]
    for field, asked, value in (("steps", steps, fixed.steps), ("sampler", sampler, fixed.sampler),
                                ("uc_preset", uc_preset, fixed.uc_preset)):
        if asked is not None and asked != value:
            shown = preset_name if field == "uc_preset" else value
            problems.append(Problem(field, f"{model.label} always uses {shown}; leave it out, "
                                           "or choose v5 to set it yourself",
                                    code="fixed_by_model", params={"model": model.label, "fixed": shown}))
    if any(text.strip() for text in negatives):
        problems.append(Problem("negative", f"{model.label} takes no negative prompt; leave it out, or "
                                            "choose v5 to use one",
                                code="negative_not_on_model", params={"model": model.label}))
    return problems
