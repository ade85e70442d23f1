"""Access-key derivation matches NovelAI's web client (published test vector)."""

from __future__ import annotations

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
