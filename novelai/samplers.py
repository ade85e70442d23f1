"""Samplers and noise schedules: the names NovelAI takes, which family offers which, and the lookups
that turn what a user types ("euler_a", "DPM++ 2M") into them.

Apart from ``models.py`` because the sampler rules are their own table: which samplers the website
offers per family (audit §3.5: NKDK's six on V4 and later), which of them take a noise schedule at
all (LLK ``get_sampler_supported_noise_schedule``), and k_dpm_2's two schedules.
"""

from __future__ import annotations

import re
from typing import Protocol

from novelai.errors import InvalidRequest, Problem


class SamplerModel(Protocol):
    """What resolving a sampler reads of a model (``models.ModelInfo`` is one); a protocol, so this
    module does not import ``models``, which imports it."""

    @property
    def label(self) -> str: ...

    @property
    def supports_smea(self) -> bool: ...

    @property
    def samplers(self) -> tuple[str, ...]: ...

# Real sampler names NovelAI accepts for V3. AED marks plms, k_dpm_adaptive and k_dpm_fast as
# not working, so they are left out; plain "ddim" is the V1/V2 sampler, V3 uses "ddim_v3".
SAMPLERS: tuple[str, ...] = (
    "k_euler", "k_euler_ancestral", "k_dpmpp_2s_ancestral", "k_dpmpp_2m", "k_dpmpp_2m_sde", "k_dpmpp_sde",
    "k_dpm_2", "k_dpm_2_ancestral", "k_lms", "k_heun", "ddim_v3",
)
# What the website offers on V4, V4.5 and V5 (NKDK ``VALID_SAMPLERS``, 2026-04; audit §3.5): no
# k_dpm_2, k_dpm_2_ancestral, k_lms, k_heun nor ddim_v3.
V4_SAMPLERS: tuple[str, ...] = (
    "k_euler", "k_euler_ancestral", "k_dpmpp_2s_ancestral", "k_dpmpp_2m_sde", "k_dpmpp_2m", "k_dpmpp_sde",
)
# The samplers that take a noise schedule; the others (k_dpm_2_ancestral, k_lms, k_heun, ddim_v3)
# are sent without one, as LLK sends them.
SCHEDULED_SAMPLERS: frozenset[str] = frozenset({*V4_SAMPLERS, "k_dpm_2"})

# Website-only pseudo samplers: sent as k_euler_ancestral plus the (sm, sm_dyn) flags (LLK).
SMEA_SAMPLERS: dict[str, tuple[bool, bool]] = {"nai_smea": (True, False), "nai_smea_dyn": (True, True)}
SMEA_BASE_SAMPLER = "k_euler_ancestral"

SAMPLER_ALIASES: dict[str, str] = {
    "euler_a": "k_euler_ancestral",
    "k_euler_a": "k_euler_ancestral",
    "dpm++2s_a": "k_dpmpp_2s_ancestral",
    "dpm++2sa": "k_dpmpp_2s_ancestral",
    "dpm2_a": "k_dpm_2_ancestral",
    "ddim": "ddim_v3",
    "smea": "nai_smea",
    "smea_dyn": "nai_smea_dyn",
}

NOISE_SCHEDULES: tuple[str, ...] = ("native", "karras", "exponential", "polyexponential")
# k_dpm_2 works only with these schedules (§4.3), so it is also what we default it to.
K_DPM_2_SCHEDULES: tuple[str, ...] = ("exponential", "polyexponential")


def _compact(name: str) -> str:
    """Spelling-insensitive key: "DPM++ 2M", "dpmpp_2m" and "k-dpmpp-2m" all look alike."""
    return re.sub(r"[\s_\-]", "", name.strip().lower()).replace("++", "pp")


def _sampler_lookup() -> dict[str, str]:
    lookup: dict[str, str] = {}
    for real in (*SAMPLERS, *SMEA_SAMPLERS):
        lookup[_compact(real)] = real
        lookup[_compact(real.removeprefix("k_"))] = real
    for alias, real in SAMPLER_ALIASES.items():
        lookup[_compact(alias)] = real
    return lookup


_SAMPLER_LOOKUP = _sampler_lookup()


def _canonical_sampler(name: str) -> str:
    real = _SAMPLER_LOOKUP.get(_compact(name))
    if real is None:
        raise InvalidRequest(Problem(
            "sampler", f"unknown sampler '{name}'; use one of {', '.join(SAMPLERS)} (short forms such as "
                       "euler_a or dpm++2m work too)",
            code="unknown_sampler", params={"value": name, "choices": SAMPLERS}))
    return real


def sampler_smea_flags(name: str) -> tuple[bool, bool]:
    """The (sm, sm_dyn) flags a sampler name implies: only the nai_smea pseudo samplers set any."""
    return SMEA_SAMPLERS.get(_SAMPLER_LOOKUP.get(_compact(name), ""), (False, False))


def resolve_sampler(name: str, model: SamplerModel) -> str:
    """The real sampler name to send; SMEA pseudo samplers become their base sampler (V3 only).
    A sampler the website does not offer for the model's family is refused (audit §3.5)."""
    real = _canonical_sampler(name)
    if real in SMEA_SAMPLERS:
        if not model.supports_smea:
            raise InvalidRequest(Problem(
                "sampler", f"SMEA samplers only work on V3 models, not {model.label}; use k_euler_ancestral",
                code="smea_sampler_v3_only", params={"model": model.label, "sampler": SMEA_BASE_SAMPLER}))
        return SMEA_BASE_SAMPLER
    if real not in model.samplers:
        raise InvalidRequest(Problem(
            "sampler", f"the {real} sampler is not offered on {model.label}; use one of {', '.join(model.samplers)}",
            code="sampler_not_on_model", params={"value": real, "model": model.label, "choices": model.samplers}))
    return real
