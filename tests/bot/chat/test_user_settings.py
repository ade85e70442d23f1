"""Saved defaults in Redis, the /settings grammar, defaults under explicit options, language choice."""

from __future__ import annotations

import pytest
import redis.asyncio as aioredis

from bot.chat.generate_options import OptionError, parse_generate
from bot.chat.texts.catalog import normalise_language, pick_language
from bot.chat.user_settings import SettingsCommand, UserSettings, apply_defaults, parse_settings_command
from bot.keys import BotKeys

USER = "telegram:123"


@pytest.fixture
def settings(aredis: aioredis.Redis, redis_prefix: str) -> UserSettings:
    return UserSettings(aredis, BotKeys(redis_prefix))


async def test_set_then_get_round_trips_typed_values(settings: UserSettings) -> None:
    assert await settings.set(USER, "steps", "28") == 28
    assert await settings.set(USER, "scale", "5.5") == 5.5
    assert await settings.set(USER, "size", "portrait") == (832, 1216)
    assert await settings.set(USER, "model", "v4.5") == "nai-diffusion-4-5-full"
    assert await settings.set(USER, "quality", "off") is False
    assert await settings.set(USER, "negative", "lowres, 模糊") == "lowres, 模糊"
    assert await settings.get(USER) == {"model": "nai-diffusion-4-5-full", "size": (832, 1216), "steps": 28,
                                        "scale": 5.5, "negative": "lowres, 模糊", "quality": False}


async def test_settings_live_in_the_user_hash(settings: UserSettings, aredis: aioredis.Redis,
                                              redis_prefix: str) -> None:
    await settings.set(USER, "n", "2")
    assert await aredis.hgetall(f"{redis_prefix}:bot:user:{USER}:settings") == {b"n": b"2"}


# -- settings saved before they moved under bot: ---------------------------------------------

async def save_the_old_way(aredis: aioredis.Redis, prefix: str, **fields: str) -> str:
    """A hash as releases before BotKeys wrote it: outside ``bot:``, JSON values."""
    legacy = f"{prefix}:user:{USER}:settings"
    await aredis.hset(legacy, mapping=fields)
    return legacy


async def test_settings_saved_before_the_upgrade_are_found_and_moved(settings: UserSettings, aredis: aioredis.Redis,
                                                                      redis_prefix: str) -> None:
    legacy = await save_the_old_way(aredis, redis_prefix, steps="28", size="[832, 1216]", language='"zh"')
    assert await settings.get(USER) == {"size": (832, 1216), "steps": 28, "language": "zh"}
    assert not await aredis.exists(legacy), "moved, not copied"
    assert await aredis.hgetall(BotKeys(redis_prefix).user_settings(USER)) == {
        b"steps": b"28", b"size": b"[832, 1216]", b"language": b'"zh"'}
    assert await settings.get(USER) == {"size": (832, 1216), "steps": 28, "language": "zh"}


async def test_the_language_saved_before_the_upgrade_is_found(settings: UserSettings, aredis: aioredis.Redis,
                                                               redis_prefix: str) -> None:
    await save_the_old_way(aredis, redis_prefix, language='"zh"')
    assert await settings.language(USER) == "zh"


async def test_a_first_write_after_the_upgrade_keeps_what_was_saved_before(
        settings: UserSettings, aredis: aioredis.Redis, redis_prefix: str) -> None:
    legacy = await save_the_old_way(aredis, redis_prefix, steps="28", n="2")
    await settings.set(USER, "scale", "6")
    await settings.reset(USER, "n")
    assert await settings.get(USER) == {"steps": 28, "scale": 6.0}
    assert not await aredis.exists(legacy)


async def test_reset_all_forgets_the_old_hash_too(settings: UserSettings, aredis: aioredis.Redis,
                                                  redis_prefix: str) -> None:
    legacy = await save_the_old_way(aredis, redis_prefix, steps="28")
    await settings.reset(USER)
    assert not await aredis.exists(legacy)
    assert await settings.get(USER) == {}


async def test_settings_saved_after_the_upgrade_win_over_an_old_hash(settings: UserSettings, aredis: aioredis.Redis,
                                                                      redis_prefix: str) -> None:
    await settings.set(USER, "steps", "20")
    # An old bot process, still running during a rolling upgrade, wrote the old place meanwhile.
    legacy = await save_the_old_way(aredis, redis_prefix, steps="28")
    assert await settings.get(USER) == {"steps": 20}
    assert await aredis.exists(legacy), "left alone: nothing of it is read"


async def test_option_aliases_name_settings(settings: UserSettings) -> None:
    await settings.set(USER, "cfg", "6")
    await settings.set(USER, "neg", "lowres")
    await settings.set(USER, "res", "1024x1024")
    assert await settings.get(USER) == {"size": (1024, 1024), "scale": 6.0, "negative": "lowres"}


async def test_users_do_not_share_settings(settings: UserSettings) -> None:
    await settings.set(USER, "steps", "20")
    assert await settings.get("discord:123") == {}


async def test_reset_removes_everything(settings: UserSettings) -> None:
    await settings.set(USER, "steps", "20")
    await settings.set(USER, "language", "zh")
    await settings.reset(USER)
    assert await settings.get(USER) == {}
    assert await settings.language(USER) is None


async def test_reset_one_keeps_the_others(settings: UserSettings) -> None:
    await settings.set(USER, "steps", "20")
    await settings.set(USER, "n", "2")
    await settings.reset(USER, "steps")
    assert await settings.get(USER) == {"n": 2}


@pytest.mark.parametrize("value", ["zh", "中文", "Chinese", "zh-CN", "zh_TW"])
async def test_language_aliases_are_saved_as_zh(settings: UserSettings, value: str) -> None:
    assert await settings.set(USER, "language", value) == "zh"
    assert await settings.language(USER) == "zh"


async def test_language_is_none_until_set(settings: UserSettings) -> None:
    assert await settings.language(USER) is None


async def test_unreadable_entry_is_skipped(settings: UserSettings, aredis: aioredis.Redis, redis_prefix: str) -> None:
    await settings.set(USER, "steps", "20")
    await aredis.hset(BotKeys(redis_prefix).user_settings(USER), "n", "{not json")
    assert await settings.get(USER) == {"steps": 20}


async def test_unknown_setting_name_suggests_one(settings: UserSettings) -> None:
    with pytest.raises(OptionError) as caught:
        await settings.set(USER, "stepz", "20")
    assert (caught.value.key, caught.value.params) == ("option.unknown_setting_suggest",
                                                       {"name": "stepz", "suggestion": "steps"})


async def test_generate_only_option_is_not_a_setting(settings: UserSettings) -> None:
    with pytest.raises(OptionError) as caught:
        await settings.set(USER, "char", "girl@B3")
    assert caught.value.key == "option.unknown_setting"
    assert "language" in caught.value.params["choices"]


async def test_bad_value_is_refused_and_not_saved(settings: UserSettings) -> None:
    with pytest.raises(OptionError) as caught:
        await settings.set(USER, "steps", "lots")
    assert caught.value.key == "option.bad_number"
    assert await settings.get(USER) == {}


async def test_bad_language_lists_the_choices(settings: UserSettings) -> None:
    with pytest.raises(OptionError) as caught:
        await settings.set(USER, "language", "klingon")
    assert (caught.value.key, caught.value.params) == ("option.bad_language", {"value": "klingon",
                                                                               "choices": "en, zh"})


def test_defaults_apply_under_explicit_options() -> None:
    defaults = {"steps": 20, "size": (1024, 1024), "negative": "lowres", "model": "nai-diffusion-3",
                "quality": False, "n": 2, "language": "zh"}
    fields, priority = apply_defaults(defaults, parse_generate("cat --steps 28 --size portrait"))
    assert fields == {"steps": 28, "width": 832, "height": 1216, "negative": "lowres", "model": "nai-diffusion-3",
                      "quality_tags": False, "n_samples": 2}
    assert priority is None


def test_saved_priority_applies_unless_given() -> None:
    assert apply_defaults({"priority": 3}, parse_generate("cat"))[1] == 3
    assert apply_defaults({"priority": 3}, parse_generate("cat prio:9"))[1] == 9


def test_explicit_off_beats_a_saved_on() -> None:
    fields, _ = apply_defaults({"variety": True}, parse_generate("cat variety:off"))
    assert fields == {"variety": False}


@pytest.mark.parametrize(("args", "command"), [
    ("", SettingsCommand("show")),
    ("show", SettingsCommand("show")),
    ("set steps 28", SettingsCommand("set", "steps", "28")),
    ("set size portrait", SettingsCommand("set", "size", "portrait")),
    ('set neg "lowres, blurry"', SettingsCommand("set", "negative", "lowres, blurry")),
    ("set negative lowres, bad hands", SettingsCommand("set", "negative", "lowres, bad hands")),
    ("reset", SettingsCommand("reset")),
    ("reset steps", SettingsCommand("reset", "steps")),
    ("language zh", SettingsCommand("set", "language", "zh")),
    ("lang 中文", SettingsCommand("set", "language", "中文")),
    ("steps 30", SettingsCommand("set", "steps", "30")),
])
def test_settings_command_forms(args: str, command: SettingsCommand) -> None:
    assert parse_settings_command(args) == command


@pytest.mark.parametrize(("args", "key"), [
    ("dance", "option.bad_settings_command"),
    ("set", "option.bad_settings_command"),
    ("show everything", "option.bad_settings_command"),
    ("set steps", "option.missing_value"),
    ("set steps many", "option.bad_number"),
    ("set wings 2", "option.unknown_setting"),
    ("language", "option.missing_value"),
    ("language fr", "option.bad_language"),
    ("reset wings", "option.unknown_setting"),
])
def test_settings_command_junk_is_refused(args: str, key: str) -> None:
    with pytest.raises(OptionError) as caught:
        parse_settings_command(args)
    assert caught.value.key == key


@pytest.mark.parametrize(("saved", "platform", "expected"), [
    ("zh", "en-US", "zh"),
    ("en", "zh-CN", "en"),
    (None, "zh", "zh"),
    (None, "zh-hans", "zh"),
    (None, "zh-CN", "zh"),
    (None, "zh-SG", "zh"),
    (None, "zh-hant", "zh"),
    (None, "zh-TW", "zh"),
    (None, "zh-HK", "zh"),
    (None, "en-GB", "en"),
    (None, "en", "en"),
    (None, None, "en"),
])
def test_pick_language_rules(saved: str | None, platform: str | None, expected: str) -> None:
    assert pick_language(saved, platform) == expected


def test_unsupported_platform_language_falls_back_to_the_default() -> None:
    assert pick_language(None, "fr", default="zh") == "zh"
    assert pick_language(None, "de") == "en"


def test_unsupported_saved_language_gives_way_to_the_platform() -> None:
    assert pick_language("fr", "zh-TW") == "zh"


def test_unsupported_default_falls_back_to_english() -> None:
    assert pick_language(None, None, default="fr") == "en"


def test_normalise_language_knows_names_and_codes() -> None:
    assert [normalise_language(v) for v in ("English", "中文", "zh_CN", "ja")] == ["en", "zh", "zh", None]
