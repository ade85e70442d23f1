"""Access-key derivation matches NovelAI's web client (published test vector; UTF-16 password slicing)."""

from __future__ import annotations

import base64
import hashlib

from argon2.low_level import Type, hash_secret_raw

from novelai.accesskey import derive_access_key, normalize_email

VECTOR_EMAIL = "xxxx@yyyy.zzz"
VECTOR_PASSWORD = "hogehero"
VECTOR_KEY = "vtQmbCKY3JMbibT54ctxmAaAL-nZOK5BLVMSmF4M75yasKIKKPconLnx_L0ybh3P"


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


# The pre-salt bytes of the website's ``password.slice(0, 6) + email + "novelai_data_access_key"``,
# computed by hand from UTF-16 slicing and checked with Node 20 (``Buffer.from(s).toString("hex")``,
# equal to ``TextEncoder``): "😀hogehero" keeps "😀hoge" (the emoji is two code units), "hogeh😀x"
# keeps "hogeh" and half the emoji, which UTF-8 encoding turns into U+FFFD (ef bf bd).
DOMAIN_HEX = "7878787840797979792e7a7a7a6e6f76656c61695f646174615f6163636573735f6b6579"
EMOJI_FIRST_PRE_SALT = bytes.fromhex("f09f9880686f6765" + DOMAIN_HEX)
EMOJI_SPLIT_PRE_SALT = bytes.fromhex("686f676568efbfbd" + DOMAIN_HEX)


def key_from_pre_salt(pre_salt: bytes, password: str) -> str:
    """The doc's steps 2-4 (docs/novelai-api.md §2), written out here independently of novelai.accesskey."""
    salt = hashlib.blake2b(pre_salt, digest_size=16).digest()
    raw = hash_secret_raw(password.encode("utf-8"), salt, time_cost=2, memory_cost=1953, parallelism=1,
                          hash_len=64, type=Type.ID)
    return base64.urlsafe_b64encode(raw).decode("ascii")[:64]


def test_the_published_vector_through_the_hand_written_steps() -> None:
    assert key_from_pre_salt(f"hogehe{VECTOR_EMAIL}novelai_data_access_key".encode(), VECTOR_PASSWORD) == VECTOR_KEY


def test_a_password_starting_with_an_emoji_is_sliced_in_utf16_code_units_like_the_website() -> None:
    assert derive_access_key(VECTOR_EMAIL, "😀hogehero") == key_from_pre_salt(EMOJI_FIRST_PRE_SALT, "😀hogehero")


def test_an_emoji_cut_in_half_by_the_slice_becomes_a_replacement_character() -> None:
    assert derive_access_key(VECTOR_EMAIL, "hogeh😀x") == key_from_pre_salt(EMOJI_SPLIT_PRE_SALT, "hogeh😀x")
