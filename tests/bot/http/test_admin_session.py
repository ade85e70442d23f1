"""The status page's login (M3 of issue 13): a server-side session, not the key; revocable; throttled;
refused from other origins.

The API runs in a real uvicorn on a free port; Redis is the shared test Redis, every key under
this test's prefix. Client addresses are set with ``X-Forwarded-For``, which uvicorn trusts from
127.0.0.1 (its default ``forwarded_allow_ips``), as it would from a local nginx.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from bot.http import login_throttle
from bot.http.auth import ADMIN_COOKIE
from bot.keys import BotKeys
from naibot.settings import ApiKeySettings, ApiSettings, Settings
from tests.fixtures.admin_site import ADMIN_KEY, USER_KEY, served
from tests.fixtures.deployment import Deployment

OTHER_ADMIN_KEY = "second-admin-key-0123456789"


def settings_with(deployment: Deployment, *, keys: tuple[str, ...] = (ADMIN_KEY, OTHER_ADMIN_KEY),
                  **api: Any) -> Settings:
    entries = [ApiKeySettings(key=SecretStr(key), identity=f"ops{i}", admin=True) for i, key in enumerate(keys)]
    entries.append(ApiKeySettings(key=SecretStr(USER_KEY), identity="app"))
    api.setdefault("cookie_secure", False)  # plain http on 127.0.0.1
    return deployment.settings.model_copy(update={"api": ApiSettings(keys=entries, **api)})


@pytest.fixture
async def page(deployment: Deployment) -> AsyncIterator[httpx.AsyncClient]:
    async with served(settings_with(deployment)) as url, httpx.AsyncClient(base_url=url, timeout=10) as http:
        yield http


def from_address(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}


async def log_in(http: httpx.AsyncClient, key: str = ADMIN_KEY, **headers: str) -> httpx.Response:
    return await http.post("/login", data={"key": key}, headers=headers)


def cookie_of(response: httpx.Response) -> str:
    header = response.headers["set-cookie"]
    assert header.startswith(f"{ADMIN_COOKIE}="), header
    return header.split(";", 1)[0].split("=", 1)[1]


def session_key(deployment: Deployment, session_id: str) -> str:
    return BotKeys(deployment.prefix).api_session(hashlib.sha256(session_id.encode()).hexdigest())


async def state_with_cookie(http: httpx.AsyncClient, session_id: str) -> int:
    response = await http.get("/admin/state", headers={"Cookie": f"{ADMIN_COOKIE}={session_id}"})
    return response.status_code


# -- the session ---------------------------------------------------------------------------------


async def test_login_cookie_is_a_random_session_id_kept_in_redis_with_a_ttl(page: httpx.AsyncClient,
                                                                            deployment: Deployment, aredis) -> None:
    response = await log_in(page)
    assert response.status_code == 303
    session = cookie_of(response)
    assert ADMIN_KEY not in response.headers["set-cookie"] and len(session) >= 40
    stored = await aredis.get(session_key(deployment, session))
    assert stored is not None and ADMIN_KEY.encode() not in stored
    assert 0 < await aredis.ttl(session_key(deployment, session)) <= 12 * 3600
    assert await state_with_cookie(page, session) == 200
    again = cookie_of(await log_in(page))
    assert again != session, "every login makes a new session"
    assert await state_with_cookie(page, session) == 401, "...and ends the one it was made in"


async def test_the_session_cookie_is_secure_httponly_and_strict_by_default(deployment: Deployment) -> None:
    settings = settings_with(deployment, cookie_secure=True)
    async with served(settings) as url, httpx.AsyncClient(base_url=url, timeout=10) as http:
        response = await log_in(http)
    flags = [part.strip().lower() for part in response.headers["set-cookie"].split(";")]
    assert {"secure", "httponly", "samesite=strict", "path=/", f"max-age={12 * 3600}"} <= set(flags)


async def test_cookie_secure_can_be_turned_off_for_a_plain_http_demo(page: httpx.AsyncClient) -> None:
    flags = [part.strip().lower() for part in (await log_in(page)).headers["set-cookie"].split(";")]
    assert "secure" not in flags and "httponly" in flags


async def test_the_session_is_found_among_other_cookies(page: httpx.AsyncClient) -> None:
    session = cookie_of(await log_in(page))
    page.cookies.clear()  # only the header below
    cookie = f'theme="dark\\\\mode"; {ADMIN_COOKIE}={session}; lang=en'
    response = await page.get("/admin/state", headers={"Cookie": cookie})
    assert response.status_code == 200


async def test_the_raw_admin_key_in_the_cookie_opens_nothing(page: httpx.AsyncClient) -> None:
    assert await state_with_cookie(page, ADMIN_KEY) == 401
    page_html = await page.get("/", headers={"Cookie": f"{ADMIN_COOKIE}={ADMIN_KEY}"})
    assert 'action="/login"' in page_html.text


async def test_logout_revokes_the_session_for_every_copy_of_the_cookie(page: httpx.AsyncClient) -> None:
    session = cookie_of(await log_in(page))
    copied = session
    logout = await page.post("/logout")
    assert logout.status_code == 303
    assert await state_with_cookie(page, copied) == 401


async def test_a_removed_keys_sessions_die(deployment: Deployment, aredis) -> None:
    async with served(settings_with(deployment)) as url, httpx.AsyncClient(base_url=url, timeout=10) as http:
        removed = cookie_of(await log_in(http, OTHER_ADMIN_KEY))
        http.cookies.clear()  # another browser (a login replaces the session it is made in)
        kept = cookie_of(await log_in(http, ADMIN_KEY))
    assert await aredis.exists(session_key(deployment, removed))
    # The deployment drops the second admin key and restarts.
    async with (served(settings_with(deployment, keys=(ADMIN_KEY,))) as url,
                httpx.AsyncClient(base_url=url, timeout=10) as http):
        assert await state_with_cookie(http, removed) == 401
        assert await state_with_cookie(http, kept) == 200
    assert not await aredis.exists(session_key(deployment, removed)), "a dead session is deleted on sight"


# -- failed logins ---------------------------------------------------------------------------------


async def test_failed_logins_lock_the_address_out_even_for_the_right_key(page: httpx.AsyncClient) -> None:
    attacker = from_address("203.0.113.7")
    for _ in range(login_throttle.PER_ADDRESS):
        assert (await log_in(page, "wrong-key-0123456789", **attacker)).status_code == 401
    locked = await log_in(page, ADMIN_KEY, **attacker)
    assert locked.status_code == 429
    assert int(locked.headers["retry-after"]) >= 1
    assert ADMIN_COOKIE not in locked.headers.get("set-cookie", "")
    assert (await log_in(page, ADMIN_KEY, **from_address("198.51.100.1"))).status_code == 303, "others may"


async def test_a_non_admin_key_counts_as_a_failed_login(page: httpx.AsyncClient) -> None:
    attacker = from_address("203.0.113.8")
    for _ in range(login_throttle.PER_ADDRESS):
        assert (await log_in(page, USER_KEY, **attacker)).status_code == 403
    assert (await log_in(page, ADMIN_KEY, **attacker)).status_code == 429


async def test_each_further_failure_doubles_the_lockout(page: httpx.AsyncClient, deployment: Deployment,
                                                        aredis) -> None:
    attacker, lock = from_address("203.0.113.9"), BotKeys(deployment.prefix).api_login_lock("addr:203.0.113.9")
    lockouts = []
    for i in range(login_throttle.PER_ADDRESS + 2):
        await log_in(page, f"wrong-key-{i}-0123456789", **attacker)  # other keys: only the address locks
        lockouts.append(await aredis.pttl(lock))
        await aredis.delete(lock)  # as if the lockout had run out: the next try is counted
    assert lockouts[:login_throttle.PER_ADDRESS - 1] == [-2] * (login_throttle.PER_ADDRESS - 1)
    first, second, third = lockouts[login_throttle.PER_ADDRESS - 1:]
    assert 500 < first <= 1000 and 1500 < second <= 2000 and 3500 < third <= 4000, lockouts


async def test_a_successful_login_clears_the_addresss_count(page: httpx.AsyncClient, deployment: Deployment,
                                                            aredis) -> None:
    user = from_address("203.0.113.10")
    failures = BotKeys(deployment.prefix).api_login_failures("addr:203.0.113.10")
    for _ in range(login_throttle.PER_ADDRESS - 1):
        await log_in(page, "wrong-key-0123456789", **user)
    assert int(await aredis.get(failures)) == login_throttle.PER_ADDRESS - 1
    assert (await log_in(page, ADMIN_KEY, **user)).status_code == 303
    assert not await aredis.exists(failures)
    for _ in range(login_throttle.PER_ADDRESS - 1):
        await log_in(page, "wrong-key-0123456789", **user)
    assert (await log_in(page, ADMIN_KEY, **user)).status_code == 303


async def test_failures_spread_over_many_addresses_lock_logins_overall(page: httpx.AsyncClient) -> None:
    per_address = login_throttle.PER_ADDRESS - 1
    for n in range(login_throttle.OVERALL // per_address):
        for i in range(per_address):
            response = await log_in(page, f"wrong-key-{n}-{i}-0123456789", **from_address(f"10.0.{n}.1"))
            assert response.status_code == 401
    assert (await log_in(page, ADMIN_KEY, **from_address("192.0.2.200"))).status_code == 429


async def test_one_key_tried_from_many_addresses_is_locked_out_everywhere(page: httpx.AsyncClient) -> None:
    for n in range(login_throttle.PER_KEY):
        assert (await log_in(page, USER_KEY, **from_address(f"10.1.{n}.1"))).status_code == 403
    assert (await log_in(page, USER_KEY, **from_address("10.1.99.1"))).status_code == 429
    assert (await log_in(page, "another-wrong-key-0123", **from_address("10.1.99.1"))).status_code == 401
    assert (await log_in(page, ADMIN_KEY, **from_address("10.1.99.1"))).status_code == 303


# -- where a login may come from --------------------------------------------------------------------


@pytest.mark.parametrize("origin", ["https://evil.example", "null", "http://127.0.0.1.evil.example"])
async def test_login_from_another_origin_is_refused(page: httpx.AsyncClient, origin: str) -> None:
    response = await log_in(page, Origin=origin)
    assert response.status_code == 403
    assert ADMIN_COOKIE not in response.headers.get("set-cookie", "")


async def test_login_from_the_page_itself_is_accepted(page: httpx.AsyncClient) -> None:
    assert (await log_in(page, Origin=str(page.base_url).rstrip("/"))).status_code == 303


async def test_a_cross_site_fetch_without_origin_is_refused(page: httpx.AsyncClient) -> None:
    response = await page.post("/login", data={"key": ADMIN_KEY}, headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 403


async def test_logout_from_another_origin_leaves_the_session_alone(page: httpx.AsyncClient) -> None:
    session = cookie_of(await log_in(page))
    response = await page.post("/logout", headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
    assert await state_with_cookie(page, session) == 200


async def test_login_from_the_configured_public_url_is_accepted(deployment: Deployment) -> None:
    settings = settings_with(deployment, public_url="https://bot.example")
    async with served(settings) as url, httpx.AsyncClient(base_url=url, timeout=10) as http:
        assert (await log_in(http, Origin="https://bot.example")).status_code == 303
        assert (await log_in(http, Origin="https://other.example")).status_code == 403
