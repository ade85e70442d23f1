"""``naibot demo``'s chat part: the same pipeline from a Telegram chat, with the real bot against the Bot
API stand-in. Ann asks for a picture (and ``/queue`` while it runs), sends it back as a photo for an
img2img, then presses ✨ Enhance under that result; each picture step is checked against what the
NovelAI stand-in was actually sent, and the transcript shows messages in the order a person saw them.

Apart from ``bot.cli.demo`` (the queue part and the report) so each stays one screenful of story.
"""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from naibot.cancelling import cancel_and_wait
from naibot.settings import load_settings

if TYPE_CHECKING:
    from sandbox.novelai import NovelAISandbox
    from sandbox.novelai.image_inputs import InputRecord
    from sandbox.telegram import SandboxUser, TelegramSandbox
    from sandbox.telegram.state import StoredMessage

# The chat's img2img: Ann sends her text-to-image result back as a photo with this caption. Small and few
# steps, as the queue part's jobs are quick: the demo shows what happens, not NovelAI's quality.
IMG2IMG_CAPTION = "/generate a cat in a hat, watercolour strength:0.6 size:512x768 steps:8"
# Bound of each wait for a chat result: one takes about 3.5 s here, mostly the bot keeping to Telegram's
# pace of about one message a second in a chat (its status, the photo, the status edited to Done).
RESULT_TIMEOUT = 30


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
        await cancel_and_wait([watching])
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
