"""Chat texts: every i18n key in both languages, status lines, captions, errors and command answers."""

from __future__ import annotations

import ast
import io
import re
import string
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from bot.chat.generate_options import OptionError, parse_generate
from bot.chat.texts import en
from bot.chat.texts.catalog import LANGUAGES, TEXTS, t
from bot.chat.texts.jobs import (
    CAPTION_LIMIT,
    cancel_text,
    caption,
    duration_text,
    error_text,
    progress_bar,
    queue_text,
    status_text,
)
from bot.chat.texts.settings import help_text, settings_reset_text, settings_saved_text, settings_text
from bot.chat.user_settings import parse_settings_command
from novelai.cost import anlas_per_image, request_cost
from novelai.errors import AuthError, InvalidRequest, Problem
from novelai.image_input import IMAGE_CODES
from novelai.images import MASK_EMPTY, prepare_mask, prepare_vibe, read_input
from novelai.inputs import MAX_REFERENCES, MAX_VIBES
from novelai.models import parse_size, resolve_model
from novelai.request import (
    MAX_CHARACTER_SPEC_CHARS,
    MAX_NAME_CHARS,
    MAX_POSITION_CHARS,
    MAX_PROMPT_CHARS,
    CharacterPrompt,
    GenerationRequest,
    parse_position,
)
from novelai.tool_rules import check_tool, check_upscale
from novelai.tools import TOOL_NAMES, ToolRequest, UpscaleRequest
from tasks.job import ImageResult, JobError, JobState, Requester
from tasks.queue import QueueFull, QueueUnavailable
from tasks.spending import SpendRefused
from tasks.submit import UnknownAccount
from tests.fixtures.chat_jobs import make_job
from tests.novelai.image_fixtures import ref, reference, vibe
from tests.novelai.tool_images import sized_ref

BOT = Path(__file__).resolve().parents[3] / "bot"
NOVELAI = BOT.parent / "novelai"
FIELDS = ("prompt", "negative", "model", "sampler", "steps", "scale", "size", "width", "height", "n_samples", "seed",
          "characters", "character", "position", "cfg_rescale", "noise_schedule", "uc_preset", "smea", "smea_dyn",
          "quality_tags", "variety", "language", "priority", "transparent", "quality_preset", "image", "mask",
          "strength", "noise", "inpaint_strength", "vibes", "references", "upscale", "emotion", "defry")
ITEM = {"id", "name", "position", "total", "wait", "prompt"}
RANGE = {"min", "max", "value"}
# Every validation problem code novelai/ raises, with the params its Problem carries.
PROBLEM_PARAMS: dict[str, set[str]] = {
    "bad_position": {"value"}, "position_outside": {"value"}, "position_too_long": {"length", "limit"},
    "character_text_too_long": {"length", "limit"}, "name_too_long": {"length", "limit"}, "empty_prompt": set(),
    "prompt_too_long": {"length", "limit"}, "negative_too_long": {"length", "limit"},
    "side_range": {"side", *RANGE}, "size_multiple": {"side", "step", "value", "lower", "upper"},
    "area_too_large": {"width", "height", "area", "max_area"}, "n_samples_range": RANGE,
    "n_samples_for_area": {"width", "height", "max", "value"}, "steps_range": RANGE, "scale_range": RANGE,
    "cfg_rescale_range": RANGE, "seed_range": RANGE, "unknown_model": {"value", "choices"},
    "legacy_model": {"value"}, "inpainting_model": {"value", "suffix"}, "unknown_sampler": {"value", "choices"},
    "smea_sampler_v3_only": {"model", "sampler"}, "bad_size": {"value", "choices"},
    "unknown_noise_schedule": {"value", "choices"}, "native_schedule_v4": {"model", "choices"},
    "k_dpm_2_schedule": {"value", "choices"}, "smea_v3_only": {"model"}, "smea_dyn_needs_smea": set(),
    "characters_v4_only": {"model"}, "too_many_characters": {"model", "max", "value"},
    "character_empty_prompt": {"number"}, "character_too_long": {"number", "limit"},
    "character_outside": {"number", "x", "y"}, "uc_preset_range": {"model", "choices", "value"},
    "too_expensive": {"width", "height", "steps", "price", "max"},
    "sampler_not_on_model": {"value", "model", "choices"}, "schedule_not_on_model": {"model", "value", "choices"},
    "sampler_without_schedule": {"sampler", "value"}, "variety_not_on_model": {"model"},
    "transparency_not_on_model": {"model"}, "unknown_quality_preset": {"value", "choices"},
    "light_quality_not_on_model": {"model"}, "fixed_by_model": {"model", "fixed"},
    "negative_not_on_model": {"model"},
    # Images in (novelai/image_rules.py).
    "strength_range": RANGE, "noise_range": RANGE, "inpaint_strength_range": RANGE,
    "image_size_mismatch": {"input", "image_width", "image_height", "width", "height"}, "smea_with_image": set(),
    "mask_without_image": set(), "setting_without_image": {"setting"}, "inpaint_strength_without_mask": set(),
    "infill_not_on_model": {"model"}, "sampler_not_for_infill": {"sampler"}, "references_with_mask": set(),
    "vibes_not_on_model": {"model"}, "vibes_with_references": set(), "too_many_vibes": {"max", "value"},
    "references_not_on_model": {"model"}, "too_many_references": {"max", "value"},
    # Input images (novelai/image_input.py, images.py) and upscale/tools (novelai/tool_rules.py).
    "image_empty": set(), "image_too_large": {"size", "limit"}, "image_format": {"format", "choices"},
    "image_not_an_image": {"choices"}, "image_too_many_pixels": {"width", "height", "max_pixels"}, "image_bomb": set(),
    "image_corrupt": {"format"}, "image_text_too_large": set(), "mask_empty": set(), "vibes_unsupported": {"model"},
    "tool_image_too_large": {"tool", "width", "height", "pixels", "max_pixels"}, "upscale_scale": {"value", "choices"},
    "upscale_4x_too_large": {"width", "height", "pixels", "max_pixels"},
    "tool_setting_not_allowed": {"tool", "setting", "tools"}, "emotion_required": {"choices"},
    "unknown_emotion": {"value", "choices"}, "emotion_prompt_separator": {"separator"},
}
# The parameters each key's callers pass; every key must be listed, so a new text needs a thought here.
# What the account, group and admin commands pass (bot/chat/commands/account.py, bot/chat/router.py).
ACCOUNT_CALLER_PARAMS: dict[str, set[str]] = {
    "policy.banned": set(),
    "policy.no_account": {"bot"},
    "policy.no_account_group": {"bot"},
    "policy.paused": set(),
    "policy.priority_too_high": {"allowed", "asked"},
    "policy.quota.member_images": {"limit", "used"},
    "policy.quota.lender_images": {"limit", "used"},
    "policy.quota.lender_anlas": {"limit", "used"},
    "policy.cooldown": {"seconds"},
    "login.ask_secret": set(),
    "login.ask_password": set(),
    "login.not_a_secret": set(),
    "login.canceled": set(),
    "login.saved": {"anlas", "tier"},
    "login.rejected": {"reason"},
    "login.unreachable": {"reason"},
    "login.failed": set(),
    "login.throttled": {"wait"},
    "login.disabled": set(),
    "login.start_private": set(),
    "login.go_private": {"bot"},
    "login.go_private_unreachable": {"bot"},
    "login.open_private": {"bot"},
    "login.in_group_deleted": {"bot"},
    "login.in_group_not_deleted": {"bot"},
    "logout.done": {"canceled", "groups"},
    "logout.nothing": set(),
    "account.none": {"bot"},
    "account.uses_own": {"owner"},
    "account.uses_shared": {"owner"},
    "account.uses_default": {"owner"},
    "account.token_cached": set(),
    "account.token_not_cached": set(),
    "account.days_left": {"days"},
    "account.last_check": {"when"},
    "account.tier": {"anlas", "tier"},
    "account.error": {"reason"},
    "account.v5_allowance": {"images", "percent", "full"},
    "account.v5_allowance_full": {"images", "percent"},
    "account.v5_allowance_empty": {"percent", "next"},
    "account.v5_allowance_unknown": set(),
    "account.days": {"days", "hours"},
    "account.cost": {"cost"},
    "account.cost_free": set(),
    "account.rejected": {"bot"},
    "group.only_in_groups": set(),
    "group.admins_only": set(),
    "group.not_admin_anymore": set(),
    "group.usage": set(),
    "group.account_usage": set(),
    "group.priority_usage": set(),
    "group.quota_usage": set(),
    "group.prefer_usage": set(),
    "group.default_usage": set(),
    "group.bad_argument": {"names", "word"},
    "group.bad_number": {"high", "name", "value"},
    "group.bad_until": {"value"},
    "group.bad_channel": {"value"},
    "group.bind_private": {"group"},
    "group.bind_started": set(),
    "group.bound": {"anlas", "group", "tier"},
    "group.lend_needs_login": {"bot"},
    "group.nothing_bound": set(),
    "group.unbound": set(),
    "group.paused": set(),
    "group.resumed": set(),
    "group.prefer_shared": set(),
    "group.prefer_own": set(),
    "group.default_on": set(),
    "group.default_off": set(),
    "group.default_inherit": set(),
    "group.status_title": {"group"},
    "group.status_no_account": set(),
    "group.status_bound": {"owner"},
    "group.status_lent": {"owner"},
    "group.lending_today": {"anlas", "anlas_limit", "images", "images_limit", "until"},
    "group.status_channels": {"channels"},
    "group.status_prefer_shared": set(),
    "group.status_prefer_own": set(),
    "group.status_default_on": set(),
    "group.status_default_off": set(),
    "group.status_quota": {"cooldown", "images", "waiting"},
    "group.status_priority": {"admin", "default", "max"},
    "group.status_paused": set(),
    "admin.only": set(),
    "admin.usage": set(),
    "admin.bad_user": {"value"},
    "admin.not_yourself": set(),
    "admin.banned": {"user"},
    "admin.unbanned": {"user"},
    "admin.lanes_title": {"lanes", "running", "waiting"},
    "admin.lane": {"depth", "lane"},
    "admin.lane_job": {"id", "priority", "user"},
    "admin.running_job": {"id", "lane", "user"},
    "menu.login": set(),
    "menu.logout": set(),
    "menu.account": set(),
    "menu.group": set(),
    "dc.opt.group_action": set(),
    "dc.opt.admin_action": set(),
    "dc.opt.group_args": set(),
    "dc.opt.admin_user": set(),
    "menu.admin": set(),
    "dc.login.title": set(),
    "dc.login.bind_title": set(),
    "dc.login.token": set(),
    "dc.login.email": set(),
    "dc.login.password": set(),
    "dc.login.private": set(),
    "dc.login.empty": set(),
}

CALLER_PARAMS: dict[str, set[str]] = {
    "join.sentence": set(), "help.text": {"models"}, "help.group_hint": {"bot"},
    "menu.tags": set(), "tags.usage": {"bot"}, "tags.title": {"prefix"}, "tags.none": {"prefix"},
    "duration.unknown": set(), "duration.seconds": {"seconds"}, "duration.minutes": {"minutes", "seconds"},
    "duration.hours": {"hours", "minutes"},
    "status.queued": {"position", "total", "wait"}, "status.queued_no_eta": {"position", "total", "wait"},
    "status.queued_unplaced": {"wait"}, "status.queued_unplaced_no_eta": {"wait"}, "status.retrying": {"attempt"},
    "status.starting": set(), "status.submitting": set(), "status.lost": set(), "status.for": {"name"},
    "dc.generate": set(), "dc.opt.prompt": set(), "dc.opt.negative": set(), "dc.opt.model": set(),
    "dc.opt.sampler": set(), "dc.opt.size": set(), "dc.opt.steps": set(), "dc.opt.scale": set(), "dc.opt.n":
    set(), "dc.opt.seed": set(),
    "dc.opt.transparent": set(), "dc.opt.characters": set(), "dc.opt.priority": set(), "dc.opt.job": set(),
    "dc.opt.settings": set(), "nsfw.channels_only": set(), "nsfw.refused": {"terms"},
    "menu.generate": set(), "menu.queue": set(), "menu.status": set(),
    "menu.cancel": set(), "menu.settings": set(), "menu.help": set(),
    "callback.again": set(), "callback.png": set(), "callback.gone": set(), "callback.elsewhere": set(),
    "status.running": {"step", "total"}, "status.done": {"count"}, "status.done_one": set(),
    "status.failed": {"reason"}, "status.canceled": set(), "status.job": {"id"}, "status.job_cancelable": {"id"},
    **{f"cancel.{s}": {"id"} for s in ("canceled", "running", "done", "failed", "missing", "forbidden", "nothing")},
    "queue.empty": set(), "queue.summary": {"waiting", "running"}, "queue.average": {"duration"},
    "queue.own_header": set(), "queue.group_header": set(), "queue.none_own": set(), "queue.none_group": set(),
    "queue.item": ITEM, "queue.item_unplaced": ITEM, "queue.item_named": ITEM, "queue.item_named_unplaced": ITEM,
    "queue.running_header": set(), "queue.running_item": {"id", "name"},
    "board.header": {"count"}, "board.help": set(), "board.item": {"position", "name", "id", "prompt"},
    "board.more": {"count"}, "board.cancel": {"position", "name"}, "board.closed": set(),
    "settings.header": set(), "settings.title": {"label", "name"}, "settings.item": {"title", "value"},
    "settings.empty": set(), "settings.hint": set(), "settings.saved": {"title", "value"},
    "settings.reset_all": set(), "settings.reset_one": {"title"}, "settings.on": set(), "settings.off": set(),
    "language.en": set(), "language.zh": set(),
    **{f"field.{f}": {"number"} for f in FIELDS},
    "option.unknown": {"option", "choices"}, "option.unknown_suggest": {"option", "suggestion"},
    "option.missing_value": {"option", "example"}, "option.bad_number": {"option", "value", "example"},
    "option.bad_switch": {"option", "value"}, "option.bad_priority": {"value", "min", "max"},
    "option.unknown_model": {"value", "choices"}, "option.unknown_sampler": {"value", "choices"},
    "option.bad_size": {"value", "choices"}, "option.bad_character": {"value"},
    "option.unterminated_quote": {"option", "quote"}, "option.missing_prompt": set(),
    "option.unknown_setting": {"name", "choices"}, "option.unknown_setting_suggest": {"name", "suggestion"},
    "option.bad_language": {"value", "choices"}, "option.bad_settings_command": {"command"},
    "option.text_too_long": {"command", "length", "limit"}, "option.value_too_long": {"option", "length", "limit"},
    "error.invalid_header": set(), "error.problem": {"field", "message"}, "error.invalid": {"detail"},
    "error.bad_request": {"detail"}, "error.stream_error": {"detail"}, "error.auth": set(), "error.payment": {"cost"},
    "error.payment_unknown_cost": set(), "error.free_hint": set(), "error.attempts": {"attempts"},
    **{f"error.{k}": set() for k in ("concurrency_locked", "rate_limited", "server", "timeout", "network", "storage",
                                     "account", "internal", "queue_unavailable", "unknown_account", "deadline",
                                     "response_refused")},
    "error.queue_full": {"waiting", "limit"}, "error.spend_refused_free": {"cost"},
    "error.spend_refused_limit": {"cost", "allowed"},
    "error.spend_refused_allowance_empty": {"cost"}, "error.spend_refused_allowance_unknown": {"cost"},
    "error.allowance_hint": set(), "error.payment_v5_hint": set(),
    "button.cancel": set(), "button.again": set(), "button.original": set(),
    "caption.for": {"name"}, "caption.seed": {"seed"}, "caption.seeds": {"seeds"}, "caption.steps": {"steps"},
    "caption.paid_by": {"name"},
    # Jobs with images in (tasks.job): what an upscale or a tool job is, and their refusals.
    "job.upscale": {"scale"}, "job.tool": {"tool"}, **{f"tool.{name}": set() for name in TOOL_NAMES},
    "error.input_missing": set(), "error.tool_free_hint": set(), "callback.again_not_generation": set(),
    # The presenter passes every problem text its field in plain words too ({label}).
    **{f"problem.{code}": params | {"label"} for code, params in PROBLEM_PARAMS.items()},
    "error.problem_named": {"message"}, "status.no_jobs": set(), "help.unknown_command": {"command"},
    "settings.saved_now": {"title", "value"}, "error.auth_unverified": set(),
    # Images in the chat (bot/chat/commands/images.py, bot/chat/texts/images.py).
    "help.images": set(), **{f"menu.{name}": set() for name in ("enhance", "variations", "upscale", "vibe", "ref",
                                                                 "inpaint", "tool", "info")},
    "image.none": set(), "image.none_in_reply": set(), "image.needs_mask": set(),
    "image.too_big": {"name", "limit_mb"}, "image.unavailable": {"name"},
    "info.compressed": set(), "info.none": set(), "info.header": set(), "info.prompt": {"prompt"},
    "info.negative": {"negative"}, "info.line": {"name", "value"}, "info.character": {"number", "prompt"},
    "button.use_settings": set(), "button.edit": set(),
    **{f"button.{name}": set() for name in ("variations", "enhance", "upscale")},
    **{f"button.{name}_n": {"number"} for name in ("variations", "enhance", "upscale")},
    **{f"callback.{name}": set() for name in ("variations", "enhance", "upscale")},
    "option.bad_choice": {"option", "value", "choices"}, "option.not_for_command": {"option", "command"},
    "option.needs_image": {"option"},
    # Problems of derived jobs' sources (tasks/image_sources.py, tasks/image_submit.py, tasks/uploads.py).
    **{f"problem.{code}": params | {"label"} for code, params in {
        "source_needs_prompt": set(), "source_job_id": {"value"}, "source_job_missing": {"job"},
        "source_job_not_done": {"job", "state"}, "source_index": {"job", "images", "value"},
        "source_image_gone": {"job"}, "source_inputs_gone": set(), "input_setting": {"setting"}}.items()},
}
CALLER_PARAMS.update(ACCOUNT_CALLER_PARAMS)
# /history and /show (bot/chat/commands/history.py, bot/chat/texts/history.py, bot/discord/history.py).
CALLER_PARAMS.update({
    "menu.history": set(), "menu.show": set(), "dc.opt.history_page": set(), "dc.opt.show_job": set(),
    "help.history": set(), "history.title": {"page", "pages"}, "history.item": {"label", "id", "expires"},
    "history.expires": {"left"}, "history.expires_unknown": set(), "history.hint": set(), "history.hint_menu": set(),
    "history.select": set(), "history.empty": set(), "history.not_yours": set(), "history.turning": {"page"},
    "history.posted": set(), "history.posted_menu": set(), "history.buttons": {"id"}, "show.usage": set(),
    "show.missing": {"id"}, "show.no_result": {"id"}, "show.files_gone": {"id"},
})
# /style and /wildcard (bot/chat/commands/prompt_tools.py, bot/chat/styles.py, bot/chat/wildcards.py).
CALLER_PARAMS.update({
    "menu.style": set(), "menu.wildcard": set(), "caption.styles": {"styles"},
    **{f"dc.opt.{key}": set() for key in ("style", "tool_action", "tool_name", "tool_group", "style_prompt",
                                          "wildcard_entries")},
    "library.user": set(), "library.group": set(), "library.shadowed": set(),
    "library.bad_name": {"name", "limit"}, "library.too_many": {"limit"}, "library.only_in_groups": set(),
    "library.admins_only": set(), "style.usage": set(), "style.saved": {"name", "whose", "summary"},
    "style.deleted": {"name", "whose"}, "style.not_found": {"name", "whose"},
    "style.show": {"name", "whose", "summary"}, "style.summary_prompt": {"prompt"}, "style.list_empty": set(),
    "style.list_user": {"names"}, "style.list_group": {"names"}, "style.unknown": {"name"},
    "style.not_kept": {"option"}, "style.too_long": {"limit"}, "style.too_many_characters": {"limit"},
    "style.empty": set(), "style.too_many_in_prompt": {"limit"}, "wildcard.usage": set(),
    "wildcard.saved": {"name", "whose", "count", "entries"}, "wildcard.deleted": {"name", "whose"},
    "wildcard.not_found": {"name", "whose"}, "wildcard.show": {"name", "whose", "count", "entries"},
    "wildcard.list_empty": set(), "wildcard.list_user": {"names"}, "wildcard.list_group": {"names"},
    "wildcard.unknown": {"name"}, "wildcard.too_deep": {"name", "limit"}, "wildcard.too_long": {"limit"},
    "wildcard.too_many_entries": {"limit"}, "wildcard.entry_too_long": {"entry", "limit"},
    "wildcard.no_entries": set(),
})
# Discord: pictures in slash commands, context menus and forms (bot/discord/image_*.py).
CALLER_PARAMS.update({f"dc.{key}": set() for key in (
    "opt.image", "opt.mask", "opt.vibe", "opt.reference", "opt.strength", "opt.noise", "opt.picture", "opt.tool",
    "opt.tool_prompt", "opt.emotion", "opt.defry", "opt.upscale", "opt.derived_prompt", "menu.img2img",
    "menu.enhance", "menu.upscale", "menu.reference", "menu.info", "images.one_kind", "images.reading",
    "images.none_in_message", "form.img2img_title", "form.reference_title", "form.edit_title", "form.prompt",
    "form.negative", "form.strength", "form.kind", "form.seed", "form.steps", "form.size")})
JOB_ERROR_KINDS = ("invalid", "bad_request", "auth", "payment", "concurrency_locked", "rate_limited", "server",
                   "timeout", "network", "storage", "account", "internal", "deadline", "response_refused",
                   "input_missing")
LEFTOVER = re.compile(r"\{\w*\}")


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


# --- i18n -----------------------------------------------------------------------------------

def test_every_key_exists_in_both_languages() -> None:
    assert set(TEXTS) == set(LANGUAGES)
    assert set(TEXTS["zh"]) == set(TEXTS["en"])


def test_every_key_is_registered_with_its_callers_params() -> None:
    assert set(TEXTS["en"]) == set(CALLER_PARAMS)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_texts_use_only_the_params_their_callers_pass(lang: str) -> None:
    for key, template in TEXTS[lang].items():
        assert placeholders(template) <= CALLER_PARAMS[key], (lang, key)
        formatted = t(lang, key, **{name: "x" for name in CALLER_PARAMS[key]})
        assert not LEFTOVER.search(formatted), (lang, key)


def test_every_option_error_key_raised_in_code_has_a_text() -> None:
    source = (BOT / "chat" / "generate_options.py").read_text() + (BOT / "chat" / "user_settings.py").read_text()
    keys = set(re.findall(r'OptionError\(\s*"([\w.]+)"', source))
    assert keys and keys <= set(TEXTS["en"])


def _literal_keys(node: ast.expr) -> tuple[set[str], set[str]]:
    """The keys a ``t(lang, key)`` argument can be: whole literals, and the literal heads of f-strings."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}, set()
    if isinstance(node, ast.IfExp):
        body, orelse = _literal_keys(node.body), _literal_keys(node.orelse)
        return body[0] | orelse[0], body[1] | orelse[1]
    if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
        return set(), {str(node.values[0].value)}
    return set(), set()


def test_every_key_the_code_passes_to_t_is_in_the_english_table() -> None:
    """Every ``t(lang, "key")`` under bot/ names a key of en.py (and every ``t(lang, f"head.{x}")`` a head
    some key starts with): a typo in a key is a KeyError in a chat, which the tests must meet first."""
    keys: dict[str, str] = {}
    heads: dict[str, str] = {}
    for path in sorted(BOT.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "t" \
                    and len(node.args) >= 2:
                where = f"{path.relative_to(BOT.parent)}:{node.lineno}"
                literal, prefixes = _literal_keys(node.args[1])
                keys.update(dict.fromkeys(literal, where))
                heads.update(dict.fromkeys(prefixes, where))
    assert len(keys) > 50, len(keys)  # the scan found the calls (not a vacuous pass)
    assert {key: where for key, where in keys.items() if key not in en.TEXTS} == {}
    assert {head: where for head, where in heads.items() if not any(k.startswith(head) for k in en.TEXTS)} == {}


def test_chinese_texts_are_translated() -> None:
    same = [k for k, v in TEXTS["zh"].items()
            if v == TEXTS["en"][k] and re.search(r"[A-Za-z]{4}", LEFTOVER.sub("", v))]
    assert same == ["field.smea", "field.smea_dyn"]


def test_missing_language_falls_back_to_english() -> None:
    assert t("fr", "status.canceled") == TEXTS["en"]["status.canceled"]


def test_key_missing_in_chinese_falls_back_to_english(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(TEXTS["zh"], "status.canceled")
    assert t("zh", "status.canceled") == TEXTS["en"]["status.canceled"]


def test_key_missing_in_english_is_a_programming_error() -> None:
    with pytest.raises(KeyError):
        t("zh", "no.such.key")


# --- the bar the chat and the CLI share (the CLI's one-liners: tests/bot/cli/test_format.py) ------

def test_progress_bar() -> None:
    assert progress_bar(1, 2, 4) == "██░░"


# --- durations ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("seconds", "en", "zh"), [
    (None, "unknown", "未知"), (42, "42 s", "42 秒"), (125, "2 min 05 s", "2 分 05 秒"),
    (3900, "1 h 05 min", "1 小时 05 分"),
])
def test_duration_text_is_localised(seconds: float | None, en: str, zh: str) -> None:
    assert (duration_text(seconds, "en"), duration_text(seconds, "zh")) == (en, zh)


# --- status_text --------------------------------------------------------------------------------

def test_queued_status_shows_position_wait_bar_and_cancel_command() -> None:
    job = make_job(position=3, total=12)
    text = status_text(job, "en", eta=125, first_position=6)
    assert text.splitlines() == ["⏳ Queued: position 3 of 12, estimated wait about 2 min 05 s", "██████░░░░░░",
                                 f"Job {job.id} · to cancel: /cancel {job.id}"]


def test_queued_status_in_chinese() -> None:
    job = make_job(position=3, total=12)
    assert status_text(job, "zh", eta=120, first_position=6).splitlines()[0] == \
        "⏳ 排队中：第 3 位，共 12 位，预计等待约 2 分 00 秒"


def test_queued_bar_is_empty_without_a_first_position() -> None:
    assert status_text(make_job(position=3, total=12), "en").splitlines()[1] == "░" * 12


def test_queued_without_eta_or_position_says_just_queued() -> None:
    assert status_text(make_job(), "zh").splitlines()[0] == "⏳ 排队中"
    assert status_text(make_job(position=1, total=1), "en").splitlines()[0] == "⏳ Queued: position 1 of 1"


def test_queued_after_a_failed_attempt_says_it_retries() -> None:
    job = make_job(position=1, total=1, attempts=1, error=JobError(kind="server", message="x", retryable=True))
    lines = status_text(job, "en", eta=5).splitlines()
    assert lines[2] == "↻ The last try did not work out; trying again (attempt 2)"
    assert len(lines) == 4


@pytest.mark.parametrize("lang", LANGUAGES)
def test_running_status_shows_real_steps(lang: str) -> None:
    job = make_job(JobState.RUNNING)
    lines = status_text(job, lang, progress=(14, 28)).splitlines()
    assert "14" in lines[0] and "28" in lines[0]
    assert lines[1] == "██████░░░░░░"
    assert job.id in lines[2]


@pytest.mark.parametrize(("lang", "line"), [("en", "🎨 Starting…"), ("zh", "🎨 正在开始…")])
def test_running_status_before_the_first_step(lang: str, line: str) -> None:
    assert status_text(make_job(JobState.RUNNING), lang).splitlines()[0] == line


@pytest.mark.parametrize(("lang", "line"), [("en", "✅ Done: 2 images"), ("zh", "✅ 完成：共 2 张图")])
def test_done_status(lang: str, line: str) -> None:
    images = [ImageResult(key=f"k{i}", url="u", seed=100 + i, width=1024, height=1024) for i in range(2)]
    assert status_text(make_job(JobState.DONE, images=images), lang).splitlines()[0] == line


def test_done_status_with_one_image() -> None:
    images = [ImageResult(key="k", url="u", seed=1, width=1024, height=1024)]
    assert status_text(make_job(JobState.DONE, images=images), "en").startswith("✅ Done: 1 image\n")


@pytest.mark.parametrize(("lang", "start"), [("en", "❌ Failed: NovelAI did not accept"),
                                            ("zh", "❌ 失败：NovelAI 不接受")])
def test_failed_status_says_why_in_plain_words(lang: str, start: str) -> None:
    job = make_job(JobState.FAILED, error=JobError(kind="auth", message="HTTP 401"), attempts=1)
    assert status_text(job, lang).startswith(start)


def test_failed_payment_status_prices_the_job() -> None:
    job = make_job(JobState.FAILED, error=JobError(kind="payment", message="x"), attempts=1)
    cost = request_cost(1024, 1024, 28, 2)
    assert f"This job costs about {cost} Anlas." in status_text(job, "en")


def test_failed_payment_status_of_an_img2img_job_prices_its_strength() -> None:
    job = make_job(JobState.FAILED, error=JobError(kind="payment", message="x"), attempts=1)
    img2img = job.request.model_copy(update={"image": ref("a", 1024, 1024), "strength": 0.5})
    job = job.model_copy(update={"request": img2img})
    cost = request_cost(1024, 1024, 28, 2, strength=0.5)
    assert cost < request_cost(1024, 1024, 28, 2)
    assert f"This job costs about {cost} Anlas." in status_text(job, "en")


def test_failed_status_without_error_is_internal() -> None:
    assert TEXTS["en"]["error.internal"] in status_text(make_job(JobState.FAILED), "en")


@pytest.mark.parametrize(("lang", "line"), [("en", "🚫 Canceled"), ("zh", "🚫 已取消")])
def test_canceled_status(lang: str, line: str) -> None:
    job = make_job(JobState.CANCELED)
    assert status_text(job, lang).splitlines() == [line, t(lang, "status.job", id=job.id)]


# --- caption ------------------------------------------------------------------------------------

def test_caption_shows_seeds_model_size_steps_sampler_and_payer() -> None:
    images = [ImageResult(key=f"k{i}", url="u", seed=100 + i, width=1024, height=1024) for i in range(2)]
    text = caption(make_job(JobState.DONE, images=images), "en", paid_by="Art Club")
    assert text.splitlines() == [
        "Results for Alice", "1girl, red hair, beach",
        "Seeds 100, 101 · NAI Diffusion V4.5 Full · 1024×1024 · 28 steps · k_euler_ancestral", "Paid by Art Club"]


def test_caption_of_one_image_shows_its_seed() -> None:
    images = [ImageResult(key=f"k{i}", url="u", seed=100 + i, width=1024, height=1024) for i in range(2)]
    text = caption(make_job(JobState.DONE, images=images), "zh", image_index=1)
    assert "种子 101 · NAI Diffusion V4.5 Full · 1024×1024 · 28 步" in text
    assert text.startswith("Alice 的作品\n")


def test_caption_falls_back_to_the_request_seed() -> None:
    assert "Seed 102 ·" in caption(make_job(JobState.DONE), "en", image_index=2)


@pytest.mark.parametrize("filler", ["a", "猫", "😺"])
def test_caption_fits_telegrams_limit(filler: str) -> None:
    job = make_job(JobState.DONE)
    request = job.request.model_copy(update={"prompt": filler * 5000})
    long_name = filler * 500
    job = job.model_copy(update={"request": request,
                                 "requester": job.requester.model_copy(update={"display_name": long_name})})
    text = caption(job, "en", paid_by=long_name)
    assert len(text.encode("utf-16-le")) // 2 <= CAPTION_LIMIT
    assert "Seed 100" in text and "…" in text


# --- errors -------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("kind", JOB_ERROR_KINDS)
def test_every_job_error_kind_has_its_own_text(kind: str, lang: str) -> None:
    text = error_text(JobError(kind=kind, message="NovelAI refused the request as invalid (bad thing)"), lang,
                      cost=20, attempts=3)
    assert text and not LEFTOVER.search(text)
    if kind != "internal":
        assert text != error_text(JobError(kind="internal", message=""), lang)


def test_auth_error_explains_the_login() -> None:
    assert error_text(JobError(kind="auth", message="x"), "en").startswith(
        "NovelAI did not accept the account's login.")


def test_payment_error_gives_the_cost_and_the_free_rule() -> None:
    text = error_text(JobError(kind="payment", message="x"), "en", cost=17)
    assert "17 Anlas" in text and "1024×1024" in text and "28 steps" in text


def test_payment_error_without_a_cost() -> None:
    assert error_text(JobError(kind="payment", message="x"), "zh") == \
        TEXTS["zh"]["error.payment_unknown_cost"] + TEXTS["zh"]["error.free_hint"]


def test_busy_account_error_says_how_often_it_tried() -> None:
    assert error_text(JobError(kind="concurrency_locked", message="x"), "en", attempts=5) == \
        "NovelAI kept the account busy with another generation, so I gave up. Tried 5 times."
    assert error_text(JobError(kind="rate_limited", message="x"), "zh", attempts=4).endswith("共尝试了 4 次。")


def test_bad_request_quotes_novelais_message() -> None:
    text = error_text(JobError(kind="bad_request", message="NovelAI refused the request as invalid (steps bad)"),
                      "en")
    assert "(steps bad)" in text


def test_unknown_kind_reads_as_internal() -> None:
    assert error_text(JobError(kind="weird", message="x"), "en") == TEXTS["en"]["error.internal"]


def test_option_error_is_said_in_the_users_language() -> None:
    error = OptionError("option.bad_switch", option="quality", value="maybe")
    assert error_text(error, "en") == "quality takes on or off, not “maybe”."
    assert error_text(error, "zh") == "quality 只能是 on 或 off，不能是“maybe”。"


@pytest.mark.parametrize("text", [
    "cat --setps 3", "cat --xyzzy 1", "cat --steps", "cat --steps x", "cat q:1 quality:maybe", "cat --prio 99",
    "cat --model v9000x", "cat --sampler fast", "cat --size huge", 'cat --char "a@Z9"', 'cat --neg "x', "--n 1",
])
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_option_error_formats_cleanly(text: str, lang: str) -> None:
    with pytest.raises(OptionError) as caught:
        parse_generate(text)
    message = error_text(caught.value, lang)
    assert message and not LEFTOVER.search(message)


@pytest.mark.parametrize("args", ["dance", "set stepz 1", "set wings 1", "language fr", "set steps"])
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_settings_error_formats_cleanly(args: str, lang: str) -> None:
    with pytest.raises(OptionError) as caught:
        parse_settings_command(args)
    message = error_text(caught.value, lang)
    assert message and not LEFTOVER.search(message)


def test_invalid_request_lists_every_problem_with_plain_field_names() -> None:
    error = InvalidRequest([Problem("steps", "steps must be between 1 and 50 (got 60)"),
                            Problem("n_samples", "too many"), Problem("characters[0]", "empty prompt")])
    assert error_text(error, "en").splitlines() == [
        "I couldn't queue that:", "• steps: steps must be between 1 and 50 (got 60)", "• number of images: too many",
        "• character 1: empty prompt"]
    assert error_text(error, "zh").splitlines()[1:] == [
        "• 步数：steps must be between 1 and 50 (got 60)", "• 图片张数：too many", "• 角色 1：empty prompt"]


def test_invalid_request_from_real_validation() -> None:
    with pytest.raises(InvalidRequest) as caught:
        GenerationRequest(prompt="", steps=99, width=100).resolved()
    lines = error_text(caught.value, "en").splitlines()
    assert len(lines) == 1 + len(caught.value.problems)
    assert "• the prompt is empty; describe the picture, e.g. `1girl, red hair, beach`" in lines


def _request(**fields: Any) -> Callable[[], object]:
    return lambda: GenerationRequest(**{"prompt": "cat", **fields}).resolved()


# One way to make each problem code happen, through the same functions the bot calls.
PROBLEM_TRIGGERS: dict[str, Callable[[], object]] = {
    "bad_position": lambda: parse_position("middle"),
    "position_outside": lambda: parse_position("1.5,0.5"),
    "position_too_long": lambda: parse_position("0." + "1" * MAX_POSITION_CHARS + ",0.5"),
    "character_text_too_long": lambda: CharacterPrompt.parse("a" * (MAX_CHARACTER_SPEC_CHARS + 1)),
    "name_too_long": _request(sampler="k" * (MAX_NAME_CHARS + 1)),
    "empty_prompt": _request(prompt="  "),
    "prompt_too_long": _request(prompt="a" * (MAX_PROMPT_CHARS + 1)),
    "negative_too_long": _request(negative="a" * (MAX_PROMPT_CHARS + 1)),
    "side_range": _request(width=64, height=8192),
    "size_multiple": _request(width=800),
    "area_too_large": _request(width=2048, height=2048),
    "n_samples_range": _request(n_samples=9, width=512, height=512),
    "n_samples_for_area": _request(n_samples=4, width=1024, height=1536),
    "steps_range": _request(steps=80),
    "scale_range": _request(scale=10.5),
    "cfg_rescale_range": _request(cfg_rescale=1.5),
    "seed_range": _request(seed=-1),
    "unknown_model": _request(model="dall-e"),
    "legacy_model": lambda: resolve_model("nai-diffusion-2"),
    "inpainting_model": lambda: resolve_model("nai-diffusion-4-5-full-inpainting"),
    "unknown_sampler": _request(sampler="turbo"),
    "smea_sampler_v3_only": _request(sampler="nai_smea"),
    "bad_size": lambda: parse_size("huge"),
    "unknown_noise_schedule": _request(noise_schedule="linear"),
    "native_schedule_v4": _request(model="v4", noise_schedule="native"),
    "k_dpm_2_schedule": _request(model="v3", sampler="k_dpm_2", noise_schedule="karras"),
    "smea_v3_only": _request(smea=True),
    "smea_dyn_needs_smea": _request(model="v3", smea_dyn=True),
    "characters_v4_only": _request(model="v3", characters=(CharacterPrompt(prompt="girl"),)),
    "too_many_characters": _request(characters=tuple(CharacterPrompt(prompt=f"c{i}") for i in range(7))),
    "character_empty_prompt": _request(characters=(CharacterPrompt(prompt=" "),)),
    "character_too_long": _request(characters=(CharacterPrompt(prompt="a" * (MAX_PROMPT_CHARS + 1)),)),
    "character_outside": _request(characters=(CharacterPrompt(prompt="a"), CharacterPrompt(prompt="b",
                                                                                            center=(1.2, 0.5)))),
    "uc_preset_range": _request(uc_preset=5),
    "too_expensive": lambda: anlas_per_image(4096, 4096, 50),
    "sampler_not_on_model": _request(model="v4.5", sampler="k_lms"),
    "schedule_not_on_model": _request(model="v5", noise_schedule="exponential"),
    "sampler_without_schedule": _request(model="v3", sampler="ddim", noise_schedule="karras"),
    "variety_not_on_model": _request(model="v5", variety=True),
    "transparency_not_on_model": _request(model="v4.5", transparent=True),
    "unknown_quality_preset": _request(model="v5", quality_preset="ultra"),
    "light_quality_not_on_model": _request(model="v4.5", quality_preset="light"),
    "fixed_by_model": _request(model="v5-medium", steps=28),
    "negative_not_on_model": _request(model="v5-medium", negative="lowres"),
    "strength_range": _request(image=ref("a"), strength=1.5),
    "noise_range": _request(image=ref("a"), noise=1.5),
    "inpaint_strength_range": _request(image=ref("a"), mask=ref("m"), inpaint_strength=2.0),
    "image_size_mismatch": _request(image=ref("a", 1024, 1024)),
    "smea_with_image": _request(model="v3", sampler="nai_smea", image=ref("a")),
    "mask_without_image": _request(mask=ref("m")),
    "setting_without_image": _request(strength=0.5),
    "inpaint_strength_without_mask": _request(image=ref("a"), inpaint_strength=0.5),
    "infill_not_on_model": _request(model="nai-diffusion-6-full", image=ref("a"), mask=ref("m")),
    "sampler_not_for_infill": _request(model="v3", sampler="ddim_v3", image=ref("a"), mask=ref("m")),
    "references_with_mask": _request(image=ref("a"), mask=ref("m"), references=(reference("r"),)),
    "vibes_not_on_model": _request(model="v5", vibes=(vibe("v"),)),
    "vibes_with_references": _request(vibes=(vibe("v"),), references=(reference("r"),)),
    "too_many_vibes": _request(vibes=tuple(vibe(f"v{i}") for i in range(MAX_VIBES + 1))),
    "references_not_on_model": _request(model="v3", references=(reference("r"),)),
    "too_many_references": _request(references=tuple(reference(f"r{i}") for i in range(MAX_REFERENCES + 1))),
    "image_empty": lambda: _read(b""),
    "image_too_large": lambda: _read(b"\x89PNG\r\n\x1a\n" + bytes(2 * 1024 * 1024)),
    "image_format": lambda: _read(b"GIF89a" + bytes(32)),
    "image_not_an_image": lambda: _read(b"hello, I am a text file called cat.png\n"),
    "image_too_many_pixels": lambda: _read(_png_claiming(30_000, 30_000)),
    "image_bomb": lambda: _read(_png_claiming(20_000, 20_000), max_pixels=10**10),
    "image_corrupt": lambda: _read(_encoded(Image.new("RGB", (64, 64), (9, 200, 40)))[:80]),
    "image_text_too_large": lambda: _read(_with_text_bomb(_encoded(Image.new("RGB", (32, 32))))),
    "mask_empty": lambda: prepare_mask(Image.new("L", (64, 64), 0), 64, 64),
    "vibes_unsupported": lambda: prepare_vibe(Image.new("RGB", (64, 64)), "v5"),
    "tool_image_too_large": lambda: check_tool(ToolRequest(tool="lineart", image=sized_ref(2048, 2048))),
    "upscale_scale": lambda: check_upscale(UpscaleRequest(image=sized_ref(512, 512), scale=3)),
    "upscale_4x_too_large": lambda: check_upscale(UpscaleRequest(image=sized_ref(1024, 1536), scale=4)),
    "tool_setting_not_allowed": lambda: check_tool(ToolRequest(tool="lineart", image=sized_ref(512, 512),
                                                               prompt="x")),
    "emotion_required": lambda: check_tool(ToolRequest(tool="emotion", image=sized_ref(512, 512))),
    "unknown_emotion": lambda: check_tool(ToolRequest(tool="emotion", image=sized_ref(512, 512), emotion="grumpy")),
    "emotion_prompt_separator": lambda: check_tool(ToolRequest(tool="emotion", image=sized_ref(512, 512),
                                                               emotion="sad", prompt="a;;b")),
}


def _read(data: bytes, max_pixels: int = 4096 * 4096) -> object:
    return read_input(data, max_bytes=1024 * 1024, max_pixels=max_pixels)


def _encoded(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png_claiming(width: int, height: int) -> bytes:
    """A small PNG whose header claims width×height grey pixels (a decompression bomb)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(bytes(65536), 9))
            + _chunk(b"IEND", b""))


def _with_text_bomb(png: bytes) -> bytes:
    """``png`` with a zTXt chunk that inflates to 50 MB right after its header."""
    return png[:33] + _chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b"a" * (50 * 1024 * 1024))) + png[33:]
# Names that stay as they are in Chinese: NovelAI's own words for its settings and units, and the
# option a text names in brackets so the user knows what to change.
IDENTIFIERS = {"native", "karras", "exponential", "polyexponential", "smea", "dyn", "anlas", "novelai", "scale",
               "light", "standard", "png", "jpeg", "webp"}
# What a text may quote as typed: `examples`, and ids such as k_dpm_2, nai-diffusion-4-5-full or 832x1216.
QUOTED = re.compile(r"`[^`]*`|[A-Za-z0-9_.+@-]*[_\d-][A-Za-z0-9_.+@-]*")


def _raise(trigger: Callable[[], object]) -> InvalidRequest:
    with pytest.raises(InvalidRequest) as caught:
        trigger()
    return caught.value


def _problem(code: str) -> Problem:
    [problem] = [p for p in _raise(PROBLEM_TRIGGERS[code]).problems if p.code == code]
    return problem


def _source_problem_codes() -> set[str]:
    """Every ``code="..."`` in novelai/, after checking that each ``Problem(...)`` there passes a code,
    and the input images' codes (``InvalidImage`` takes them as named constants)."""
    codes: set[str] = {*IMAGE_CODES, MASK_EMPTY}
    for path in sorted(NOVELAI.glob("*.py")):
        source = path.read_text()
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Problem":
                assert "code" in {k.arg for k in node.keywords}, f"{path.name}:{node.lineno} Problem without code"
        codes |= set(re.findall(r'\bcode="(\w+)"', source))
    return codes


def _english_left(text: str, problem: Problem) -> set[str]:
    """The words of the English message still in ``text``, not counting the values the message quotes."""
    values = [str(part) for value in problem.params.values()
              for part in (value if isinstance(value, tuple) else (value,))]
    for value in sorted(values, key=len, reverse=True):
        text = text.replace(value, " ")
    text = QUOTED.sub(" ", text)
    words = {w.lower() for w in re.findall(r"[A-Za-z]{3,}", problem.message)} - IDENTIFIERS
    return words & {w.lower() for w in re.findall(r"[A-Za-z]{3,}", text)}


def test_every_problem_code_in_novelai_has_a_text_in_both_languages() -> None:
    codes = _source_problem_codes()
    assert codes == set(PROBLEM_PARAMS) == set(PROBLEM_TRIGGERS)
    for lang in LANGUAGES:
        assert {f"problem.{code}" for code in codes} <= set(TEXTS[lang]), lang


@pytest.mark.parametrize("code", sorted(PROBLEM_TRIGGERS))
def test_each_problem_code_is_raised_with_its_params_and_reads_in_both_languages(code: str) -> None:
    problem = _problem(code)
    assert set(problem.params) == PROBLEM_PARAMS[code]
    error = InvalidRequest(problem)
    english, chinese = error_text(error, "en").splitlines()[1], error_text(error, "zh").splitlines()[1]
    # The English text says exactly what the message says (the CLI's and the HTTP API's words),
    # after the field in plain words unless the message names its field itself.
    assert english == f"• {problem.message}" or english.endswith(f": {problem.message}")
    assert not LEFTOVER.search(chinese) and problem.message not in chinese
    assert not _english_left(chinese, problem), chinese


@pytest.mark.parametrize(("fields", "numbers"), [
    ({"steps": 80}, ["1", "50", "80"]),
    ({"width": 800}, ["64", "800", "768", "832"]),
    ({"width": 8192, "height": 64}, ["64", "2048", "8192"]),
    ({"width": 2048, "height": 2048}, ["2048×2048", "4,194,304", "3,145,728"]),
    ({"width": 1024, "height": 1536, "n_samples": 4}, ["1024×1536", "2", "4"]),
    ({"model": "v4", "noise_schedule": "native"}, ["V4"]),
    ({"model": "v3", "characters": (CharacterPrompt(prompt="girl@B3"),)}, ["V3", "V4", "v4.5"]),
    ({"scale": 12.5, "seed": 2**32}, ["10", "12.5", "4294967295", "4294967296"]),
])
def test_a_chinese_user_reads_invalid_requests_entirely_in_chinese(fields: dict[str, Any],
                                                                     numbers: list[str]) -> None:
    error = _raise(_request(**fields))
    text = error_text(error, "zh")
    lines = text.splitlines()
    assert lines[0] == TEXTS["zh"]["error.invalid_header"] and len(lines) == 1 + len(error.problems)
    for problem in error.problems:
        assert problem.code and problem.message not in text
        assert not _english_left(text, problem), text
    for number in numbers:
        assert number in text, (number, text)


def test_chinese_steps_problem_reads_naturally() -> None:
    assert error_text(_raise(_request(steps=80)), "zh").splitlines()[1] == \
        "• 步数必须在 1 到 50 之间（你写的是 80）"


def test_chinese_character_problem_keeps_the_character_number() -> None:
    error = _raise(_request(characters=(CharacterPrompt(prompt="a"), CharacterPrompt(prompt=" "))))
    assert error_text(error, "zh").splitlines()[1].startswith("• 角色 2 的提示词是空的")


def test_problem_without_a_usable_text_falls_back_to_its_english_message() -> None:
    error = InvalidRequest([Problem("steps", "no text for this", code="no_such_code"),
                            Problem("steps", "params do not fit", code="steps_range", params={"min": 1})])
    assert error_text(error, "zh").splitlines()[1:] == ["• 步数：no text for this", "• 步数：params do not fit"]


def test_novelai_error_raised_directly_reads_like_its_kind() -> None:
    assert error_text(AuthError("HTTP 401"), "en") == TEXTS["en"]["error.auth"]


def test_queue_full_gives_the_limit() -> None:
    assert error_text(QueueFull(3, 3), "en") == (
        "You already have 3 jobs waiting (the limit is 3). Wait for one to finish or /cancel one.")


def test_queue_unavailable() -> None:
    assert error_text(QueueUnavailable("down"), "zh") == "队列暂时不可用，请过一分钟再试。"


def test_spend_refused_gives_cost_and_how_to_make_it_free() -> None:
    text = error_text(SpendRefused(cost=40, allowed=0), "en")
    assert text.startswith("This would cost 40 Anlas, and only free generations are allowed here.")
    assert "1024×1024" in text and "28 steps" in text and "1 image" in text


def test_spend_refused_over_a_limit() -> None:
    assert "最多只能花 10 Anlas" in error_text(SpendRefused(cost=40, allowed=10), "zh")


def test_unknown_account() -> None:
    assert "/login" in error_text(UnknownAccount("shared"), "en")


def test_unexpected_exception_is_internal() -> None:
    assert error_text(RuntimeError("boom"), "zh") == TEXTS["zh"]["error.internal"]


# --- command answers ----------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGUAGES)
def test_help_shows_both_syntaxes(lang: str) -> None:
    text = help_text(lang)
    assert "--model v4.5" in text and "model:v4.5" in text and "/settings" in text and "/cancel" in text


def test_help_in_groups_names_the_bot() -> None:
    assert help_text("en", bot_username="naibot").endswith("/generate@naibot.")


def test_queue_empty() -> None:
    assert queue_text("en", [], [], 0, None, {}) == "The queue is empty. Start something with /generate."


def test_queue_lists_own_jobs_and_running_ones() -> None:
    mine = make_job(position=2, total=5)
    other = make_job(JobState.RUNNING).model_copy(update={"requester": Requester(platform="telegram", user_id="9",
                                                                                  display_name="Bob")})
    text = queue_text("en", [mine], [other], 5, 33.0, {mine.id: 65.0})
    assert text.split("\n\n") == [
        "📋 Queue: 5 waiting, 1 running\nA job takes about 33 s on average.",
        f"Your jobs:\n• {mine.id} · position 2 of 5 · wait 1 min 05 s · 1girl, red hair, beach",
        f"Running now:\n• {other.id} · Bob"]


def test_queue_keeps_running_prompts_private() -> None:
    running = make_job(JobState.RUNNING)
    assert "1girl" not in queue_text("en", [], [running], 0, None, {})


def test_queue_for_a_group_names_the_people() -> None:
    job = make_job()
    text = queue_text("zh", [job], [], 1, None, {}, group=True)
    assert f"本群的任务：\n• {job.id} · Alice · 等待中 · 预计等待 未知 · 1girl, red hair, beach" in text


def test_queue_without_own_jobs_says_so() -> None:
    assert "You have no jobs waiting." in queue_text("en", [], [], 4, None, {})


def test_settings_text_lists_values_in_words() -> None:
    values = {"model": "nai-diffusion-4-5-full", "size": (832, 1216), "scale": 5.0, "quality": False,
              "language": "zh"}
    assert settings_text("en", values).splitlines() == [
        "⚙️ Your defaults (used when /generate does not say otherwise):",
        "• model: NAI Diffusion V4.5 Full", "• size: 832×1216", "• guidance scale (scale): 5",
        "• quality tags (quality): off", "• language: 简体中文 (Simplified Chinese)",
        "Change one with /settings set steps 28, remove all with /settings reset."]


def test_settings_text_in_chinese() -> None:
    assert "• 步数（steps）：28" in settings_text("zh", {"steps": 28})


def test_settings_text_when_nothing_is_saved() -> None:
    assert settings_text("en", {}).startswith("You have no saved defaults")


def test_settings_saved_and_reset_texts() -> None:
    assert settings_saved_text("en", "n", 2) == \
        "Saved: number of images (n) = 2. It applies from your next /generate."
    assert settings_reset_text("zh") == "你的默认参数已全部清除。"
    assert settings_reset_text("zh", "steps") == "已清除步数（steps）的默认值。"


@pytest.mark.parametrize("status", ["canceled", "running", "done", "failed", "missing", "forbidden", "nothing"])
@pytest.mark.parametrize("lang", LANGUAGES)
def test_cancel_text_for_every_outcome(status: str, lang: str) -> None:
    text = cancel_text(lang, status, "abcd234567")
    assert text and not LEFTOVER.search(text)
    if status != "nothing":
        assert "abcd234567" in text


def test_cancel_forbidden_names_owner_and_admins() -> None:
    assert cancel_text("en", "forbidden", "x") == "Only the person who asked for job x or a group admin can cancel it."


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_refusal_met_in_the_worker_is_said_in_its_own_words_and_hint(lang: str) -> None:
    """A price refused when the job's turn came (tasks.worker) reads as the same refusal would have
    read at submission, not as NovelAI declining to charge."""
    error = JobError(kind="spend_refused", message="this would cost 26 Anlas …",
                     refusal_key="error.spend_refused_allowance_empty", refusal_params={"cost": 26, "allowed": 0},
                     refusal_hint="error.allowance_hint")
    said = error_text(error, lang, cost=26)
    expected = t(lang, "error.spend_refused_allowance_empty", cost=26, allowed=0)
    assert said.startswith(expected) and t(lang, "error.allowance_hint") in said, said
    assert t(lang, "error.payment", cost=26) not in said
