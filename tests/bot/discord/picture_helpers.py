"""Helpers of the Discord picture tests: pictures to attach, what the NovelAI stand-in saw, a result's
buttons and an interaction's answers."""

from __future__ import annotations

import io
import os
from typing import Any

import httpx
from PIL import Image

from novelai.images import prepare_img2img, read_input, size_for_image
from sandbox.discord import StoredMessage
from tests.fixtures.deployment import Deployment
from tests.fixtures.discord_e2e import DiscordWorld


def png(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "PNG")
    return out.getvalue()


def noisy_png(width: int, height: int) -> bytes:
    """A PNG that does not compress (random pixels), to build files of a chosen size."""
    out = io.BytesIO()
    Image.frombytes("RGB", (width, height), os.urandom(width * height * 3)).save(out, "PNG", compress_level=0)
    return out.getvalue()


def img2img_sha(data: bytes) -> str:
    decoded = read_input(data, max_bytes=10**8, max_pixels=10**8)
    return prepare_img2img(decoded, *size_for_image(decoded.width, decoded.height)).sha256


async def inputs_seen(deployment: Deployment) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(timeout=10) as client:
        answer = await client.get(f"{deployment.sandbox.url}/_sandbox/inputs")
    assert answer.status_code == 200, answer.text
    records: list[dict[str, Any]] = answer.json()["requests"]
    return records


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
