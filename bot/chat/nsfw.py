"""The NSFW rule for channels that know whether they are age-restricted (Discord).

Discord's terms keep adult content to age-restricted channels, and peers were made to enforce
it. The rule is a setting: ``allow`` (no check), ``sfw_only`` (the default: outside
age-restricted channels, prompts asking for adult content are refused, and "nsfw" is added to
the negative prompt so the model leans safe), or ``nsfw_channels_only`` (generate only in
age-restricted channels).
"""

from __future__ import annotations

import re
from typing import Literal

from bot.chat.generate_options import OptionError
from novelai.request import GenerationRequest

NsfwRule = Literal["allow", "sfw_only", "nsfw_channels_only"]

# Tags and words that ask for adult content. A refusal names the ones found, so the user knows
# what to change; ordinary words that merely contain these letters do not match (word bounds).
ADULT_TERMS = (
    "nsfw", "explicit", "rating:explicit", "rating:questionable", "nude", "nudity", "naked", "topless",
    "bottomless", "sex", "sexual", "hentai", "porn", "nipples", "pussy", "penis", "vagina", "cum",
    "erection", "genitals", "areola", "lewd", "ecchi", "r-18", "r18",
)
_PATTERN = re.compile(r"(?<![\w:-])(" + "|".join(re.escape(term) for term in ADULT_TERMS) + r")(?![\w-])",
                      re.IGNORECASE)
SAFE_NEGATIVE = "nsfw"


def adult_terms(*texts: str) -> list[str]:
    """The adult terms found in these texts, lower-cased, in order, without repeats."""
    found: list[str] = []
    for text in texts:
        for match in _PATTERN.finditer(text):
            term = match.group(1).lower()
            if term not in found:
                found.append(term)
    return found


def with_safe_negative(negative: str) -> str:
    """The negative prompt with "nsfw" added, once."""
    if adult_terms(negative) and "nsfw" in adult_terms(negative):
        return negative
    return f"{negative}, {SAFE_NEGATIVE}" if negative.strip() else SAFE_NEGATIVE


class NsfwRefused(OptionError):
    """Refused by the NSFW rule; worded by the presenter like any other refusal."""


def apply_nsfw_rule(request: GenerationRequest, rule: NsfwRule, age_restricted: bool | None) -> GenerationRequest:
    """The request as it may run in this channel, or NsfwRefused. ``None``: the platform has no
    age-restricted channels (Telegram), so the rule does not apply."""
    if age_restricted is None or age_restricted or rule == "allow":
        return request
    if rule == "nsfw_channels_only":
        raise NsfwRefused("nsfw.channels_only")
    terms = adult_terms(request.prompt, *(character.prompt for character in request.characters))
    if terms:
        raise NsfwRefused("nsfw.refused", terms=", ".join(terms))
    return request.model_copy(update={"negative": with_safe_negative(request.negative)})
