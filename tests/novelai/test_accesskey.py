"""Access-key derivation matches NovelAI's web client (published test vector; UTF-16 password slicing)."""

from __future__ import annotations

from novelai.accesskey import derive_access_key, normalize_email
from tests.fixtures.access_keys import (
    EMOJI_FIRST_PRE_SALT,
    EMOJI_SPLIT_PRE_SALT,
    VECTOR_EMAIL,
    VECTOR_KEY,
    VECTOR_PASSWORD,
    key_from_pre_salt,
)


def test_published_test_vector() -> None:
    assert derive_access_key(VECTOR_EMAIL, VECTOR_PASSWORD) == VECTOR_KEY


def test_key_is_64_url_safe_characters() -> None:
    key = derive_access_key("someone@example.com", "pw")
    assert len(key) == 64
    assert set(key) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_email_is_trimmed_and_lower_cased_like_the_web_client() -> None:
    assert normalize_email("  XXXX@YYYY.zzz \n") == VECTOR_EMAIL
    assert derive_access_key(" XXXX@yyyy.ZZZ ", VECTOR_PASSWORD) == VECTOR_KEY


def test_different_passwords_give_different_keys() -> None:
    assert derive_access_key(VECTOR_EMAIL, "hogehero2") != VECTOR_KEY


def test_password_shorter_than_six_characters_is_used_whole() -> None:
    assert derive_access_key("a@b.c", "abc") != derive_access_key("a@b.c", "abcd")


def test_the_published_vector_through_the_hand_written_steps() -> None:
    assert key_from_pre_salt(f"hogehe{VECTOR_EMAIL}novelai_data_access_key".encode(), VECTOR_PASSWORD) == VECTOR_KEY


def test_a_password_starting_with_an_emoji_is_sliced_in_utf16_code_units_like_the_website() -> None:
    assert derive_access_key(VECTOR_EMAIL, "😀hogehero") == key_from_pre_salt(EMOJI_FIRST_PRE_SALT, "😀hogehero")


def test_an_emoji_cut_in_half_by_the_slice_becomes_a_replacement_character() -> None:
    assert derive_access_key(VECTOR_EMAIL, "hogeh😀x") == key_from_pre_salt(EMOJI_SPLIT_PRE_SALT, "hogeh😀x")
