"""The Discord stand-in's gateway shards as Discord documents them: IDENTIFY's ``shard: [shard_id,
num_shards]``, READY echoing it and listing only that shard's guilds (``(guild_id >> 22) % num_shards``),
GUILD_CREATE and later dispatches of a guild only on its shard, DMs only on shard 0, 4010 for an invalid
shard and 4011 when one session would hold too many guilds; ``GET /gateway/bot`` recommends a shard count
(by guild count, or as set) and reports ``max_concurrency``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest_asyncio

from sandbox.discord import DiscordSandbox, DiscordUser

OWNER = DiscordUser(5001, "owner", "Guild Owner")
ANN = DiscordUser(5002, "ann", "Ann")
# Guild ids on shard 0 and shard 1 of 2: (id >> 22) % 2.
EVEN_GUILD, ODD_GUILD = 9000, (1 << 22) | 9000
EVEN_CHANNEL, ODD_CHANNEL = 9001, 9002
GUILDS_INTENT, GUILD_MESSAGES_INTENT, DIRECT_MESSAGES_INTENT = 1 << 0, 1 << 9, 1 << 12
INTENTS = GUILDS_INTENT | GUILD_MESSAGES_INTENT | DIRECT_MESSAGES_INTENT


@pytest_asyncio.fixture
async def sandbox() -> AsyncIterator[DiscordSandbox]:
    discord_sandbox = DiscordSandbox(heartbeat_interval_ms=1000)
    await discord_sandbox.start()
    discord_sandbox.add_guild(EVEN_GUILD, "Even", owner=OWNER, channels={EVEN_CHANNEL: False})
    discord_sandbox.add_guild(ODD_GUILD, "Odd", owner=OWNER, channels={ODD_CHANNEL: False})
    for guild in (EVEN_GUILD, ODD_GUILD):
        discord_sandbox.add_member(guild, ANN)
    try:
        yield discord_sandbox
    finally:
        await discord_sandbox.stop()


class Shard:
    """One raw gateway connection, identified with a shard."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws

    async def dispatch(self) -> dict[str, Any]:
        """The next dispatch (op 0), skipping heartbeat ACKs."""
        while True:
            frame: dict[str, Any] = await self.ws.receive_json(timeout=10)
            if frame["op"] == 0:
                return frame

    async def ready(self) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """READY and the GUILD_CREATE that follows for each guild it lists."""
        ready = await self.dispatch()
        assert ready["t"] == "READY"
        creates = [await self.dispatch() for _ in ready["d"]["guilds"]]
        assert all(frame["t"] == "GUILD_CREATE" for frame in creates)
        return ready["d"], [frame["d"] for frame in creates]


@asynccontextmanager
async def identified(sandbox: DiscordSandbox, shard: Any, *, intents: int = INTENTS) -> AsyncIterator[Shard]:
    async with aiohttp.ClientSession() as http, http.ws_connect(sandbox.gateway_url) as ws:
        hello = await ws.receive_json(timeout=10)
        assert hello["op"] == 10
        identify: dict[str, Any] = {"token": sandbox.token, "intents": intents, "properties": {}}
        if shard is not None:
            identify["shard"] = shard
        await ws.send_json({"op": 2, "d": identify})
        yield Shard(ws)


async def close_code(sandbox: DiscordSandbox, shard: Any) -> int:
    async with identified(sandbox, shard) as connection:
        closing = await connection.ws.receive(timeout=10)
        assert closing.type is aiohttp.WSMsgType.CLOSE
        return int(closing.data)


async def gateway_bot(sandbox: DiscordSandbox) -> dict[str, Any]:
    async with aiohttp.ClientSession() as http, http.get(
            f"{sandbox.api_url}/gateway/bot", headers={"Authorization": f"Bot {sandbox.token}"}) as response:
        assert response.status == 200
        body: dict[str, Any] = await response.json()
        return body


async def test_each_shard_gets_ready_and_guild_create_for_its_own_guilds_only(sandbox: DiscordSandbox) -> None:
    async with identified(sandbox, [0, 2]) as even, identified(sandbox, [1, 2]) as odd:
        even_ready, even_guilds = await even.ready()
        odd_ready, odd_guilds = await odd.ready()
    assert even_ready["shard"] == [0, 2] and odd_ready["shard"] == [1, 2]
    assert [g["id"] for g in even_ready["guilds"]] == [str(EVEN_GUILD)]
    assert [g["id"] for g in odd_ready["guilds"]] == [str(ODD_GUILD)]
    assert [g["id"] for g in even_guilds] == [str(EVEN_GUILD)] and [g["id"] for g in odd_guilds] == [str(ODD_GUILD)]
    assert sandbox.identified_shards() == [(0, 2), (1, 2)]


async def test_without_a_shard_the_session_is_shard_0_of_1_and_gets_every_guild(sandbox: DiscordSandbox) -> None:
    async with identified(sandbox, None) as whole:
        ready, guilds = await whole.ready()
    assert ready["shard"] == [0, 1]
    assert sorted(g["id"] for g in guilds) == sorted([str(EVEN_GUILD), str(ODD_GUILD)])


async def test_guild_events_go_to_their_shard_and_dms_to_shard_0_only(sandbox: DiscordSandbox) -> None:
    async with identified(sandbox, [0, 2]) as even, identified(sandbox, [1, 2]) as odd:
        await even.ready()
        await odd.ready()
        # The bot DMs Ann (MESSAGE_CREATE without guild_id), then Ann writes in each guild.
        auth = {"Authorization": f"Bot {sandbox.token}"}
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{sandbox.api_url}/users/@me/channels", json={"recipient_id": str(ANN.id)},
                                 headers=auth) as response:
                dm_channel = (await response.json())["id"]
            async with http.post(f"{sandbox.api_url}/channels/{dm_channel}/messages", json={"content": "hi"},
                                 headers=auth) as response:
                assert response.status == 200
        sandbox.post_message(ODD_CHANNEL, ANN, "in the odd guild")
        sandbox.post_message(EVEN_CHANNEL, ANN, "in the even guild")
        even_seen = [await even.dispatch(), await even.dispatch()]
        odd_next = await odd.dispatch()  # the DM was not sent here: the odd guild's message comes first
    assert [(f["t"], f["d"].get("guild_id")) for f in even_seen] == [("MESSAGE_CREATE", None),
                                                                     ("MESSAGE_CREATE", str(EVEN_GUILD))]
    assert (odd_next["t"], odd_next["d"]["guild_id"]) == ("MESSAGE_CREATE", str(ODD_GUILD))


async def test_a_guild_added_later_is_created_on_its_shard_only(sandbox: DiscordSandbox) -> None:
    later = (3 << 22) | 77  # shard 1 of 2
    async with identified(sandbox, [0, 2]) as even, identified(sandbox, [1, 2]) as odd:
        await even.ready()
        await odd.ready()
        sandbox.add_guild(later, "Later", owner=OWNER, channels={78: False})
        sandbox.post_message(EVEN_CHANNEL, ANN, "after the new guild")  # even's next event, if nothing came before
        created = await odd.dispatch()
        even_next = await even.dispatch()
    assert (created["t"], created["d"]["id"]) == ("GUILD_CREATE", str(later))
    assert (even_next["t"], even_next["d"]["guild_id"]) == ("MESSAGE_CREATE", str(EVEN_GUILD))


async def test_an_invalid_shard_is_closed_with_4010(sandbox: DiscordSandbox) -> None:
    for shard in ([2, 2], [0, 0], [-1, 2], [0], "0,2", [0.5, 2]):
        assert await close_code(sandbox, shard) == 4010, shard
    assert sandbox.identified_shards() == []


async def test_a_session_with_too_many_guilds_is_closed_with_4011_sharding_required(sandbox: DiscordSandbox) -> None:
    sandbox.max_guilds_per_shard = 1
    assert await close_code(sandbox, [0, 1]) == 4011  # both guilds on one session
    async with identified(sandbox, [1, 2]) as odd:  # one guild each: accepted
        ready, _ = await odd.ready()
    assert ready["shard"] == [1, 2]


async def test_gateway_bot_recommends_shards_by_guild_count_or_as_set(sandbox: DiscordSandbox) -> None:
    answer = await gateway_bot(sandbox)
    assert answer["url"] == sandbox.gateway_url and answer["shards"] == 1
    assert answer["session_start_limit"]["max_concurrency"] == 1
    for index in range(1000):  # 1,002 guilds: Discord recommends about one shard per 1,000
        sandbox.add_guild(10_000 + index, f"g{index}", owner=OWNER, channels={})
    assert (await gateway_bot(sandbox))["shards"] == 2
    sandbox.recommended_shards, sandbox.max_concurrency = 4, 16
    answer = await gateway_bot(sandbox)
    assert answer["shards"] == 4 and answer["session_start_limit"]["max_concurrency"] == 16


async def test_the_control_api_sets_the_recommendation_and_reports_the_shards(sandbox: DiscordSandbox) -> None:
    async with aiohttp.ClientSession(base_url=sandbox.url) as http:
        wanted = {"recommended_shards": 2, "max_concurrency": 2}
        async with http.post("/_sandbox/gateway/sharding", json=wanted) as set_:
            assert set_.status == 200 and (await set_.json())["recommended_shards"] == 2
        async with http.post("/_sandbox/gateway/sharding", json={"shards": 2}) as unknown:
            assert unknown.status == 400 and "shards" in (await unknown.json())["error"]
        async with http.post("/_sandbox/gateway/sharding", json={"max_concurrency": 0}) as bad:
            assert bad.status == 400
        assert (await gateway_bot(sandbox))["shards"] == 2
        async with identified(sandbox, [1, 2]) as odd:
            await odd.ready()
            async with http.get("/_sandbox/gateway/sharding") as state:
                assert await state.json() == {"recommended_shards": 2, "max_concurrency": 2,
                                              "max_guilds_per_shard": 2500, "identified": [[1, 2]],
                                              "live": [[1, 2]]}
