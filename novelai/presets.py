"""The texts the website adds itself: quality tags and UC (undesired content) presets per model,
and V5's preset ids and tag-hint numbers.

NovelAI's server does not expand ``qualityToggle``/``ucPreset`` (they are metadata only, §4.5), so
the client composes the texts; they are kept apart from ``models.py`` because they are long, change
with the website, and are checked against the sources side by side (§4.5, §9.3).
"""

from __future__ import annotations

UCPresets = tuple[tuple[str, str], ...]

# Quality tags and UC presets (§4.5; full texts from LLK `_enum.py` `get_uc_preset`, the source
# §4.5 points to; LLK's table matches the website records).

_V3_HEAVY = (
    "nsfw, lowres, {bad}, error, fewer, extra, missing, worst quality, jpeg artifacts, bad quality, "
    "watermark, unfinished, displeasing, chromatic aberration, signature, extra digits, artistic error, "
    "username, scan, [abstract]"
)
# "lowres" as the V3 "None" preset is what LLK sends; V4+ "None" is empty.
V3_PRESETS: UCPresets = (
    ("Heavy", _V3_HEAVY),
    ("Light", "nsfw, lowres, jpeg artifacts, worst quality, watermark, blurry, very displeasing"),
    ("Human Focus",
     _V3_HEAVY + ", bad anatomy, bad hands, @_@, mismatched pupils, heart-shaped pupils, glowing eyes"),
    ("None", "lowres"),
)

FURRY_V3_PRESETS: UCPresets = (
    ("Heavy",
     "nsfw, {{worst quality}}, [displeasing], {unusual pupils}, guide lines, {{unfinished}}, {bad}, url, "
     "artist name, {{tall image}}, mosaic, {sketch page}, comic panel, impact (font), [dated], {logo}, "
     "ych, {what}, {where is your god now}, {distorted text}, repeated text, {floating head}, {1994}, "
     "{widescreen}, absolutely everyone, sequence, {compression artifacts}, hard translated, {cropped}, "
     "{commissioner name}, unknown text, high contrast"),
    ("Light",
     "nsfw, {worst quality}, guide lines, unfinished, bad, url, tall image, widescreen, "
     "compression artifacts, unknown text"),
    ("None", "lowres"),
)

V4_CURATED_PRESETS: UCPresets = (
    ("Heavy",
     "blurry, lowres, error, film grain, scan artifacts, worst quality, bad quality, jpeg artifacts, "
     "very displeasing, chromatic aberration, logo, dated, signature, multiple views, gigantic breasts"),
    ("Light",
     "blurry, lowres, error, worst quality, bad quality, jpeg artifacts, very displeasing, logo, dated, "
     "signature"),
    ("None", ""),
)

# AED's text (with the trailing "white blank page, blank page"), as §4.5 quotes it.
V4_FULL_PRESETS: UCPresets = (
    ("Heavy",
     "nsfw, blurry, lowres, error, film grain, scan artifacts, worst quality, bad quality, jpeg artifacts, "
     "very displeasing, chromatic aberration, multiple views, logo, too many watermarks, white blank page, "
     "blank page"),
    ("Light",
     "nsfw, blurry, lowres, error, worst quality, bad quality, jpeg artifacts, very displeasing, "
     "white blank page, blank page"),
    ("None", ""),
)

V4_5_CURATED_PRESETS: UCPresets = (
    ("Heavy",
     "blurry, lowres, upscaled, artistic error, film grain, scan artifacts, worst quality, bad quality, "
     "jpeg artifacts, very displeasing, chromatic aberration, halftone, multiple views, logo, "
     "too many watermarks, negative space, blank page"),
    ("Light",
     "blurry, lowres, upscaled, artistic error, scan artifacts, jpeg artifacts, logo, too many watermarks, "
     "negative space, blank page"),
    ("Human Focus",
     "blurry, lowres, upscaled, artistic error, film grain, scan artifacts, bad anatomy, bad hands, "
     "worst quality, bad quality, jpeg artifacts, very displeasing, chromatic aberration, halftone, "
     "multiple views, logo, too many watermarks, @_@, mismatched pupils, glowing eyes, negative space, "
     "blank page"),
    ("None", ""),
)

_V4_5_FULL_HEAVY = (
    "nsfw, lowres, artistic error, film grain, scan artifacts, worst quality, bad quality, jpeg artifacts, "
    "very displeasing, chromatic aberration, dithering, halftone, screentone, multiple views, logo, "
    "too many watermarks, negative space, blank page"
)
V4_5_FULL_PRESETS: UCPresets = (
    ("Heavy", _V4_5_FULL_HEAVY),
    ("Light",
     "nsfw, lowres, artistic error, scan artifacts, worst quality, bad quality, jpeg artifacts, "
     "multiple views, very displeasing, too many watermarks, negative space, blank page"),
    ("Furry Focus",
     "nsfw, {worst quality}, distracting watermark, unfinished, bad quality, {widescreen}, upscale, "
     "{sequence}, {{grandfathered content}}, blurred foreground, chromatic aberration, sketch, everyone, "
     "[sketch background], simple, [flat colors], ych (character), outline, multiple scenes, "
     "[[horror (theme)]], comic"),
    ("Human Focus", _V4_5_FULL_HEAVY + ", @_@, mismatched pupils, glowing eyes, bad anatomy"),
    ("None", ""),
)

V3_QUALITY = "best quality, amazing quality, very aesthetic, absurdres"
FURRY_V3_QUALITY = "{best quality}, {amazing quality}"
V4_CURATED_QUALITY = "rating:general, best quality, very aesthetic, absurdres"
V4_FULL_QUALITY = "no text, best quality, very aesthetic, absurdres"
# 2026 frontend extractions dropped the 2025 record's "location" (audit §3.4; index file 70101803750).
V4_5_CURATED_QUALITY = "very aesthetic, masterpiece, no text, -0.8::feet::, rating:general"
# LLK's V4.5 full tags; AED also inserts "location" (§4.5 minor CONFLICT), we follow LLK.
V4_5_FULL_QUALITY = "very aesthetic, masterpiece, no text"

# V5's own texts (§9.3; the website bundle's tables as index file 70101803750 copies them). Heavy,
# Furry Focus and Human Focus are V4.5 full's; the extractions lack the leading "nsfw, " for V4.5
# too, where the 2025 capture has it, so it is kept here as for V4.5 (taken out for nsfw prompts).
V5_QUALITY = V4_5_FULL_QUALITY
V5_LIGHT_QUALITY = "very aesthetic, amazing quality, no text"
V5_PRESETS: UCPresets = (
    V4_5_FULL_PRESETS[0],
    ("Light",
     "nsfw, lowres, bad hands, bad anatomy, artistic error, sepia, white haze, worst quality, very displeasing, "
     "jpeg artifacts, 0::ai-generated::"),
    *V4_5_FULL_PRESETS[2:],
)
# ``ucPresetId`` for V5_PRESETS, in the same order.
V5_PRESET_IDS = ("heavy", "light", "furryFocus", "humanFocus", "none")
# ``tag_hint_qt`` / ``tag_hint_uc_preset``: one table for both (bundle ``_app@332363`` as index file
# 70101803750 quotes it; AAL PR #72 agrees on quality 1 standard / 3 light / 0 none).
TAG_HINT_IDS: dict[str, int] = {"none": 0, "standard": 1, "heavy": 2, "light": 3, "humanFocus": 4, "furryFocus": 5}
