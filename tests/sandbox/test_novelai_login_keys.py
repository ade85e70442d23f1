"""The stand-in accepts the access key the website derives (docs/novelai-api.md §2, §10.2): the password
sliced in UTF-16 code units, and the email exactly as the account was registered with."""

from __future__ import annotations

import base64
import hashlib

import httpx
from argon2.low_level import Type, hash_secret_raw

from sandbox.novelai import NovelAISandbox, SandboxAccount
from tests.fixtures.access_keys import EMOJI_FIRST_PRE_SALT, VECTOR_EMAIL, key_from_pre_salt

EMOJI_PASSWORD = "😀hogehero"


def code_point_key(email: str, password: str) -> str:
    """What a Python client slicing code points (``password[:6]``) derives."""
    salt = hashlib.blake2b(f"{password[:6]}{email}novelai_data_access_key".encode(), digest_size=16).digest()
    raw = hash_secret_raw(password.encode(), salt, 2, 1953, 1, 64, Type.ID)
    return base64.urlsafe_b64encode(raw).decode()[:64]


async def login(client: httpx.AsyncClient, key: str) -> int:
    return (await client.post("/user/login", json={"key": key})).status_code


async def test_login_takes_the_utf16_sliced_key_of_a_password_starting_with_an_emoji(
        novelai_sandbox: NovelAISandbox, client: httpx.AsyncClient) -> None:
    novelai_sandbox.add_account(SandboxAccount(email=VECTOR_EMAIL, password=EMOJI_PASSWORD))

    assert await login(client, key_from_pre_salt(EMOJI_FIRST_PRE_SALT, EMOJI_PASSWORD)) == 201
    assert await login(client, code_point_key(VECTOR_EMAIL, EMOJI_PASSWORD)) == 401


async def test_an_account_registered_with_a_mixed_case_email_takes_only_that_emails_key(
        novelai_sandbox: NovelAISandbox, client: httpx.AsyncClient) -> None:
    novelai_sandbox.add_account(SandboxAccount(email="Mixed.Case@Example.com", password="mixed-password"))

    assert await login(client, code_point_key("Mixed.Case@Example.com", "mixed-password")) == 201
    assert await login(client, code_point_key("mixed.case@example.com", "mixed-password")) == 401
