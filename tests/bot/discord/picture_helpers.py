"""Helpers of the Discord picture tests: pictures to attach, what the NovelAI stand-in saw, a result's
buttons and an interaction's answers."""

from __future__ import annotations

from typing import Any

from sandbox.discord import StoredMessage
from tests.fixtures.chat_pictures import img2img_sha, inputs_seen, noisy_png, png, result_comment
from tests.fixtures.discord_e2e import DiscordWorld

__all__ = ["answers", "custom_id", "img2img_sha", "inputs_seen", "noisy_png", "nth_result", "png", "queued_nothing",
           "result_comment", "result_png", "said", "text_inputs"]


def custom_id(message: StoredMessage, action: str, index: int | None = None) -> str:
    for row in message.components:
        for item in row["components"]:
            parts = item.get("custom_id", "").split(":")
            if parts[0] == action and (index is None or parts[-1] == str(index)):
                return str(item["custom_id"])
    raise AssertionError(f"no {action} button on message {message.id}: {message.components}")


async def nth_result(world: DiscordWorld, count: int = 1) -> StoredMessage:
    await world.wait(lambda: len(world.results()) >= count, timeout=60)
    return world.results()[count - 1]


def result_png(world: DiscordWorld, message: StoredMessage) -> bytes:
    return world.discord.attachment_bytes(message.attachments[0]["id"])


def answers(world: DiscordWorld, interaction_id: str) -> list[StoredMessage]:
    """An interaction's response and follow-ups, in order."""
    record = world.discord.interaction(interaction_id)
    ids = [record.response_message_id, *record.followup_ids]
    found = {m.id: m for m in world.discord.messages(record.channel_id)}
    return [found[i] for i in ids if i in found]


async def said(world: DiscordWorld, interaction_id: str, words: str) -> StoredMessage:
    """The answer of an interaction that contains ``words`` (waited for)."""
    def match() -> StoredMessage | None:
        return next((m for m in answers(world, interaction_id) if words in m.content), None)
    await world.wait(lambda: match() is not None)
    message = match()
    assert message is not None
    return message


def text_inputs(modal: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A modal's text inputs by custom id (inside labels or action rows)."""
    found: dict[str, dict[str, Any]] = {}
    for row in modal["components"]:
        for item in [row.get("component"), *(row.get("components") or [])]:
            if item and item.get("type") == 4:
                found[item["custom_id"]] = item
    return found


async def queued_nothing(world: DiscordWorld) -> None:
    services = world.deployment.services()
    try:
        assert await services.queue.lane_depths() == {}
    finally:
        await services.aclose()
