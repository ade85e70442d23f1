"""The Telegram stand-in behaves as the Bot API does for the real python-telegram-bot: polling, handlers,
uploads byte for byte, Telegram's errors and flood limits. The control API is driven over HTTP."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dtm
import io
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
import pytest_asyncio
from PIL import Image
from PIL.PngImagePlugin import PngInfo
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    ChatMemberAdministrator,
    ChatMemberOwner,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaDocument,
    InputMediaPhoto,
    ReplyParameters,
    Update,
)
from telegram.error import BadRequest, EndPointNotFound, Forbidden, InvalidToken, RetryAfter
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    TypeHandler,
)

from sandbox.telegram import DEFAULT_TOKEN, FloodLimits, SandboxUser, TelegramSandbox, running_telegram
from sandbox.telegram.flood import FloodControl
from sandbox.telegram.state import ApiError
from sandbox.telegram.text import parse_html

ANN = SandboxUser(4242, "Ann", "ann_draws", "en")
BOB = SandboxUser(5151, "Bob", None, "ru")
GROUP = -100_777
METADATA = '{"prompt": "1girl, smile", "seed": 1234}'


# -- helpers ---------------------------------------------------------------------------------


def png(width: int = 832, height: int = 1216, colour: str = "teal") -> bytes:
    """A real PNG with a NovelAI-like tEXt chunk, to check metadata survives the round trip."""
    info = PngInfo()
    info.add_text("Comment", METADATA)
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def text_chunk(data: bytes) -> str | None:
    with Image.open(io.BytesIO(data)) as image:
        return image.text.get("Comment")  # type: ignore[attr-defined]


def sandbox_bot(sandbox: TelegramSandbox, token: str | None = None) -> Bot:
    return Bot(token or sandbox.token, base_url=sandbox.base_url, base_file_url=sandbox.base_file_url)


def retry_seconds(exc: RetryAfter) -> float:
    value = exc.retry_after
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


@pytest.fixture
def sandbox(telegram_sandbox: TelegramSandbox) -> TelegramSandbox:
    return telegram_sandbox


@pytest_asyncio.fixture
async def bot(sandbox: TelegramSandbox) -> AsyncIterator[Bot]:
    async with sandbox_bot(sandbox) as client:
        yield client


@pytest.fixture(autouse=True)
def timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    """PTB 22 warns when retry_after is read as int; opt into its timedelta form."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@contextlib.asynccontextmanager
async def polling(sandbox: TelegramSandbox, *handlers: BaseHandler[Any, Any, Any]) -> AsyncIterator[Application]:
    """A real PTB Application long-polling the sandbox, shut down completely afterwards. Each handler
    gets its own group, so a recording TypeHandler does not shadow the others."""
    application = (Application.builder().token(sandbox.token).base_url(sandbox.base_url)
                   .base_file_url(sandbox.base_file_url).build())
    for group, handler in enumerate(handlers):
        application.add_handler(handler, group=group)
    await application.initialize()
    await application.start()
    await application.updater.start_polling(poll_interval=0, timeout=5)
    try:
        yield application
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()


def recorder() -> tuple[list[Update], Callable[[Update, ContextTypes.DEFAULT_TYPE], Any]]:
    seen: list[Update] = []

    async def record(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        seen.append(update)

    return seen, record


# -- polling, commands, buttons --------------------------------------------------------------


async def test_command_reaches_handler_and_reply_arrives(sandbox: TelegramSandbox) -> None:
    seen: list[Update] = []

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        seen.append(update)
        assert update.message is not None
        await update.message.reply_text(f"Hello, <b>{update.message.from_user.first_name}</b>!", parse_mode="HTML")

    async with polling(sandbox, CommandHandler("start", start)):
        sent = sandbox.user_message(ANN.id, ANN, "/start")
        await sandbox.wait_for(lambda: len(sandbox.bot_messages(ANN.id)) == 1)

    message = seen[0].message
    assert message is not None and message.message_id == sent["message_id"]
    assert (message.chat.type, message.from_user.id, message.from_user.language_code) == ("private", ANN.id, "en")
    reply = sandbox.bot_messages(ANN.id)[0]
    assert (reply.text, reply.entities) == ("Hello, Ann!", [{"type": "bold", "offset": 7, "length": 3}])
    assert reply.message_id == sent["message_id"] + 1
    assert [call.status for call in sandbox.calls("sendMessage", chat_id=ANN.id)] == [200]
    assert sandbox.stats.too_many_requests == 0


async def test_group_privacy_mode_delivers_only_commands_for_this_bot(sandbox: TelegramSandbox) -> None:
    seen, record = recorder()

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        await update.message.reply_text("ready")

    async with polling(sandbox, TypeHandler(Update, record), CommandHandler("start", start)):
        sandbox.user_message(GROUP, ANN, "just chatting", chat_type="group", chat_title="Artists")
        sandbox.user_message(GROUP, ANN, "/start@some_other_bot", chat_type="group")
        sandbox.user_message(GROUP, BOB, "/start@naibot_test_bot", chat_type="group")
        await sandbox.wait_for(lambda: len(sandbox.bot_messages(GROUP)) >= 1)

    assert [update.message.text for update in seen] == ["/start@naibot_test_bot"]
    chat = seen[0].message.chat
    assert (chat.id, chat.type, chat.title) == (GROUP, "group", "Artists")
    assert [m.text for m in sandbox.messages(GROUP)][:3] == ["just chatting", "/start@some_other_bot",
                                                             "/start@naibot_test_bot"]


async def test_callback_press_answer_and_edit(sandbox: TelegramSandbox) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Generate", callback_data="gen:1")]])

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text("Prompt?", reply_markup=keyboard)

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        await query.answer("Queued", show_alert=True)
        await query.edit_message_text(f"Working on {query.data}")

    async with polling(sandbox, CommandHandler("start", start), CallbackQueryHandler(pressed)):
        sandbox.user_message(ANN.id, ANN, "/start")
        await sandbox.wait_for(lambda: len(sandbox.bot_messages(ANN.id)) == 1)
        prompt = sandbox.bot_messages(ANN.id)[0]
        assert prompt.reply_markup == keyboard.to_dict()
        query_id = sandbox.press_button(ANN.id, prompt.message_id, ANN, "gen:1")
        await sandbox.wait_for(lambda: sandbox.bot_messages(ANN.id)[0].edits == 1)

    edited = sandbox.bot_messages(ANN.id)[0]
    assert (edited.text, edited.reply_markup) == ("Working on gen:1", None)
    (answer,) = sandbox.calls("answerCallbackQuery")
    assert answer.params == {"callback_query_id": query_id, "text": "Queued", "show_alert": True}
    assert answer.status == 200


# -- files -------------------------------------------------------------------------------------


async def test_uploads_download_byte_for_byte(sandbox: TelegramSandbox, bot: Bot) -> None:
    sandbox.user_message(GROUP, ANN, "/start", chat_type="supergroup")
    image, other = png(), png(640, 480, "olive")

    photo_message = await bot.send_photo(GROUP, image, caption="seed 1234")
    sizes = photo_message.photo
    assert [(size.width, size.height) for size in sizes] == [(62, 90), (219, 320), (832, 1216)]
    photo_file = await bot.get_file(sizes[-1].file_id)
    assert photo_file.file_size == len(image)
    assert bytes(await photo_file.download_as_bytearray()) == image

    document_message = await bot.send_document(GROUP, image, filename="nai-1234.png", caption="original")
    document = document_message.document
    assert (document.file_name, document.mime_type, document.file_size) == ("nai-1234.png", "image/png", len(image))
    downloaded = bytes(await (await bot.get_file(document.file_id)).download_as_bytearray())
    assert downloaded == image and text_chunk(downloaded) == METADATA

    album = await bot.send_media_group(GROUP, [InputMediaDocument(image, filename="a.png", caption="first"),
                                               InputMediaDocument(other, filename="b.png", caption="second")])
    assert len({message.media_group_id for message in album}) == 1 and album[0].media_group_id
    assert [message.caption for message in album] == ["first", "second"]
    for message, original in zip(album, (image, other), strict=True):
        file = await bot.get_file(message.document.file_id)
        assert bytes(await file.download_as_bytearray()) == original
        assert sandbox.file_bytes(message.document.file_id) == original

    photos = await bot.send_media_group(GROUP, [InputMediaPhoto(image), InputMediaPhoto(other, caption="2")])
    assert [message.photo[-1].width for message in photos] == [832, 640]
    assert bytes(await (await bot.get_file(photos[1].photo[-1].file_id)).download_as_bytearray()) == other

    again = await bot.send_photo(GROUP, sizes[-1].file_id)
    assert again.photo == sizes
    stored = sandbox.bot_messages(GROUP)
    assert [m.media_group_id is not None for m in stored] == [False, False, True, True, True, True, False]


async def test_user_photo_reaches_the_bot_with_its_bytes(sandbox: TelegramSandbox) -> None:
    image = png(512, 512)
    received: list[bytes] = []

    async def on_photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        file = await update.message.photo[-1].get_file()
        received.append(bytes(await file.download_as_bytearray()))
        await update.message.reply_text("Got your image")

    async with polling(sandbox, TypeHandler(Update, on_photo)):
        sandbox.user_message(ANN.id, ANN, "img2img please", photo=image)
        await sandbox.wait_for(lambda: len(sandbox.bot_messages(ANN.id)) == 1)
    assert received == [image]
    assert sandbox.messages(ANN.id)[0].caption == "img2img please"


async def test_a_user_album_is_one_update_per_item_sharing_a_media_group_id(sandbox: TelegramSandbox,
                                                                            bot: Bot) -> None:
    pictures = [png(64, 64, "red"), png(80, 64, "green"), png(64, 96, "blue")]
    sent = sandbox.user_album(ANN.id, ANN, [("photo", data, None) for data in pictures],
                              caption="/vibe a cat size:512x512")
    updates = await bot.get_updates()
    messages = [update.message for update in updates]
    assert [message.message_id for message in messages] == [m["message_id"] for m in sent]
    first_id = messages[0].message_id
    assert [message.message_id for message in messages] == [first_id, first_id + 1, first_id + 2]
    assert len({update.update_id for update in updates}) == 3
    (group_id,) = {message.media_group_id for message in messages}
    assert isinstance(group_id, str) and group_id
    assert [message.caption for message in messages] == ["/vibe a cat size:512x512", None, None]
    assert [entity.type for entity in messages[0].caption_entities] == ["bot_command"]
    assert [message.caption_entities for message in messages[1:]] == [(), ()]
    for message, data in zip(messages, pictures, strict=True):
        assert bytes(await (await bot.get_file(message.photo[-1].file_id)).download_as_bytearray()) == data
    assert [m.media_group_id for m in sandbox.messages(ANN.id)] == [group_id] * 3


async def test_a_document_album_may_reply_and_carry_its_caption_on_another_item(sandbox: TelegramSandbox,
                                                                                bot: Bot) -> None:
    photo = sandbox.user_message(ANN.id, ANN, "", photo=png(64, 64))
    image, mask = png(64, 64, "white"), png(64, 64, "black")
    sandbox.user_album(ANN.id, ANN, [("document", image, "image.png"), ("document", mask, "mask.png")],
                       caption="/inpaint a hat", caption_index=1, reply_to=photo["message_id"])
    messages = [update.message for update in await bot.get_updates()][1:]
    assert [message.caption for message in messages] == [None, "/inpaint a hat"]
    assert [(m.document.file_name, m.document.mime_type) for m in messages] == [("image.png", "image/png"),
                                                                               ("mask.png", "image/png")]
    assert [m.reply_to_message.message_id for m in messages] == [photo["message_id"]] * 2
    assert messages[0].media_group_id == messages[1].media_group_id
    assert [sandbox.file_bytes(m.document.file_id) for m in messages] == [image, mask]


async def test_user_albums_refuse_what_telegram_clients_never_send(sandbox: TelegramSandbox, bot: Bot) -> None:
    picture = png(32, 32)
    with pytest.raises(ValueError, match="2 to 10 items, not 1"):
        sandbox.user_album(ANN.id, ANN, [("photo", picture, None)])
    with pytest.raises(ValueError, match="2 to 10 items, not 11"):
        sandbox.user_album(ANN.id, ANN, [("photo", picture, None)] * 11)
    with pytest.raises(ValueError, match="all photos or all documents"):
        sandbox.user_album(ANN.id, ANN, [("photo", picture, None), ("document", picture, "a.png")])
    with pytest.raises(ValueError, match="caption is too long"):
        sandbox.user_album(ANN.id, ANN, [("photo", picture, None)] * 2, caption="x" * 1025)
    with pytest.raises(ApiError, match="IMAGE_PROCESS_FAILED"):
        sandbox.user_album(ANN.id, ANN, [("photo", picture, None), ("photo", b"not a picture", None)])
    assert sandbox.messages(ANN.id) == [] and await bot.get_updates() == (), "a refused album sends nothing"
    ten = sandbox.user_album(ANN.id, ANN, [("photo", picture, None)] * 10)
    assert len(ten) == 10 and len(await bot.get_updates()) == 10


async def test_in_a_private_mode_group_only_the_album_item_with_the_command_reaches_the_bot(
        sandbox: TelegramSandbox, bot: Bot) -> None:
    """Privacy mode judges every message on its own: the album's other items are neither commands nor
    replies to the bot. As a group admin the bot gets them all."""
    items = [("photo", png(32, 32, colour), None) for colour in ("red", "green", "blue")]
    sandbox.user_album(GROUP, ANN, items, caption="/vibe@naibot_test_bot a cat", chat_type="supergroup")
    assert [update.message.caption for update in await bot.get_updates()] == ["/vibe@naibot_test_bot a cat"]
    sandbox.set_member(GROUP, sandbox.bot_id, "administrator")
    sent = sandbox.user_album(GROUP, ANN, items, caption="/vibe a dog", chat_type="supergroup")
    updates = await bot.get_updates(offset=-3)
    assert [update.message.message_id for update in updates] == [m["message_id"] for m in sent]


async def test_media_group_refusals(sandbox: TelegramSandbox, bot: Bot) -> None:
    sandbox.user_message(ANN.id, ANN, "hi")
    image = png(64, 64)
    with pytest.raises(BadRequest, match=r"(?i)too few messages"):
        await bot.send_media_group(ANN.id, [InputMediaPhoto(image)])
    with pytest.raises(BadRequest, match=r"(?i)MEDIA_INVALID"):
        await bot.send_media_group(ANN.id, [InputMediaPhoto(image), InputMediaDocument(image, filename="x.png")])
    with pytest.raises(BadRequest, match=r'(?i)failed to send message #2 with the error message "IMAGE_PROCESS_FAILED'):
        await bot.send_media_group(ANN.id, [InputMediaPhoto(image), InputMediaPhoto(b"not an image")])
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
        await bot.send_photo(ANN.id, "AgACno-such-file")
    assert sandbox.bot_messages(ANN.id) == []


# -- Telegram's errors -------------------------------------------------------------------------


async def test_edit_errors_not_modified_and_not_found(sandbox: TelegramSandbox, bot: Bot) -> None:
    sandbox.user_message(GROUP, ANN, "/start", chat_type="group")
    sent = await bot.send_message(GROUP, "Step 1/28")
    await bot.edit_message_text("Step 2/28", chat_id=GROUP, message_id=sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("Step 2/28", chat_id=GROUP, message_id=sent.message_id)
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Cancel", callback_data="cancel")]])
    await bot.edit_message_reply_markup(GROUP, sent.message_id, reply_markup=keyboard)
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_reply_markup(GROUP, sent.message_id, reply_markup=keyboard)

    sandbox.delete_message(GROUP, sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("Done", chat_id=GROUP, message_id=sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(GROUP, sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message can't be edited"):
        await bot.edit_message_text("hijack", chat_id=GROUP, message_id=1)
    with pytest.raises(BadRequest, match=r"(?i)message to be replied not found"):
        await bot.send_message(GROUP, "late", reply_parameters=ReplyParameters(sent.message_id))

    (stored,) = [m for m in sandbox.messages(GROUP) if m.message_id == sent.message_id]
    assert (stored.deleted, stored.edits, stored.text) == (True, 2, "Step 2/28")
    assert [call.status for call in sandbox.calls("editMessageText")] == [200, 400, 400, 400]


async def test_markup_and_text_refusals(sandbox: TelegramSandbox, bot: Bot) -> None:
    sandbox.user_message(GROUP, ANN, "/start", chat_type="group")
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(GROUP, "score < 5 & rising", parse_mode="HTML")
    sent = await bot.send_message(GROUP, "score &lt; 5 &amp; <i>rising</i>", parse_mode="HTML")
    assert sent.text == "score < 5 & rising" and sent.entities[0].type == "italic"
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(GROUP, "x", reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton("Too long", callback_data="x" * 65)]]))
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(GROUP, "x" * 4097)
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(999, "nobody here")


async def test_blocked_user_and_kicked_bot_are_forbidden(sandbox: TelegramSandbox, bot: Bot) -> None:
    sandbox.user_message(ANN.id, ANN, "/start")
    sent = await bot.send_message(ANN.id, "hello")
    sandbox.block(ANN.id)
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await bot.send_message(ANN.id, "still there?")
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await bot.edit_message_text("edited", chat_id=ANN.id, message_id=sent.message_id)
    sandbox.user_message(ANN.id, ANN, "/start")  # writing to the bot again unblocks it
    await bot.send_message(ANN.id, "welcome back")

    sandbox.user_message(GROUP, BOB, "/start", chat_type="supergroup")
    sandbox.kick(GROUP)
    with pytest.raises(Forbidden, match=r"(?i)bot was kicked from the supergroup chat"):
        await bot.send_photo(GROUP, png(64, 64))


async def test_roles_and_chat_info(sandbox: TelegramSandbox, bot: Bot) -> None:
    sandbox.user_message(GROUP, ANN, "/start", chat_type="supergroup", chat_title="NAI fans")
    sandbox.user_message(GROUP, BOB, "/help", chat_type="supergroup")
    sandbox.set_member(GROUP, ANN.id, "creator")
    sandbox.set_member(GROUP, sandbox.bot_id, "administrator")

    assert isinstance(await bot.get_chat_member(GROUP, ANN.id), ChatMemberOwner)
    assert (await bot.get_chat_member(GROUP, BOB.id)).status == "member"
    admins = await bot.get_chat_administrators(GROUP)
    assert {member.user.id for member in admins} == {ANN.id, sandbox.bot_id}
    assert any(isinstance(member, ChatMemberAdministrator) for member in admins)
    chat = await bot.get_chat(GROUP)
    assert (chat.id, chat.type, chat.title) == (GROUP, "supergroup", "NAI fans")
    sandbox.user_message(BOB.id, BOB, "/start")
    assert (await bot.get_chat(BOB.id)).first_name == "Bob"
    with pytest.raises(BadRequest, match=r"(?i)no administrators in the private chat"):
        await bot.get_chat_administrators(BOB.id)
    assert await bot.send_chat_action(BOB.id, "upload_photo") is True


async def test_bad_token_and_unknown_method(sandbox: TelegramSandbox) -> None:
    impostor = sandbox_bot(sandbox, "123456:wrong-token")
    try:
        with pytest.raises(InvalidToken):
            await impostor.initialize()
    finally:
        await impostor.shutdown()
    async with sandbox_bot(sandbox) as bot:
        me = await bot.get_me()
        assert (me.id, me.username, me.can_read_all_group_messages) == (123456, "naibot_test_bot", False)
        with pytest.raises(EndPointNotFound):
            await bot.do_api_request("sendTelepathy")
    assert [call.status for call in sandbox.calls("getMe")] == [401, 200, 200]
    assert sandbox.calls("sendTelepathy")[0].status == 404


def test_html_parse_mode_like_telegram() -> None:
    text, entities = parse_html("😀 <b>bold <i>both</i></b> &amp; <a href='https://novelai.net'>site</a>")
    assert text == "😀 bold both & site"
    assert entities == [{"type": "bold", "offset": 3, "length": 9}, {"type": "italic", "offset": 8, "length": 4},
                        {"type": "text_link", "offset": 15, "length": 4, "url": "https://novelai.net"}]
    with pytest.raises(ApiError, match='Unsupported start tag "br" at byte offset 2'):
        parse_html("a <br> b")
    with pytest.raises(ApiError, match='corresponding to start tag "b"'):
        parse_html("<b>never closed")


async def test_user_actions_refuse_shapes_telegram_never_produces(sandbox: TelegramSandbox) -> None:
    with pytest.raises(ValueError, match="private chat's id is the user's id"):
        sandbox.user_message(1, ANN, "hi")
    with pytest.raises(ValueError, match="negative"):
        sandbox.user_message(5, ANN, "hi", chat_type="group")
    sandbox.user_message(ANN.id, ANN, "hi")
    with pytest.raises(ValueError, match="no bot message 1"):
        sandbox.press_button(ANN.id, 1, ANN, "data")
    with pytest.raises(ValueError, match="status must be one of"):
        sandbox.set_member(GROUP, ANN.id, "owner")


# -- flood control -----------------------------------------------------------------------------


async def test_group_flood_gives_retry_after(sandbox: TelegramSandbox, bot: Bot) -> None:
    sandbox.user_message(GROUP, ANN, "/start", chat_type="group")
    delivered = 0
    with pytest.raises(RetryAfter) as refused:
        for index in range(25):
            await bot.send_message(GROUP, f"spam {index}")
            delivered += 1
    assert delivered == 20
    assert 55 <= retry_seconds(refused.value) <= 60
    assert sandbox.stats.too_many_requests == 1
    assert sandbox.calls("sendMessage")[-1].status == 429
    assert len(sandbox.bot_messages(GROUP)) == 20


async def test_private_chat_burst_then_one_per_second(sandbox: TelegramSandbox, bot: Bot) -> None:
    sandbox.user_message(ANN.id, ANN, "/start")
    for index in range(3):
        await bot.send_message(ANN.id, f"burst {index}")
    with pytest.raises(RetryAfter) as refused:
        await bot.edit_message_text("edits count too", chat_id=ANN.id, message_id=2)
    assert retry_seconds(refused.value) == 1
    await bot.delete_message(ANN.id, 2)  # deleting is not rate limited
    assert sandbox.stats.too_many_requests == 1


async def test_limits_off_means_no_429(sandbox: TelegramSandbox, bot: Bot) -> None:
    sandbox.user_message(GROUP, ANN, "/start", chat_type="group")
    async with httpx.AsyncClient(base_url=sandbox.url) as control:
        answer = await control.post("/_sandbox/limits", json={"enabled": False})
        assert answer.json()["enabled"] is False and sandbox.limits.enabled is False
    for index in range(40):
        await bot.send_message(GROUP, f"message {index}")
    assert sandbox.stats.too_many_requests == 0
    assert sandbox.stats.calls_by_method["sendMessage"] == 40


def test_flood_control_windows_with_a_fake_clock() -> None:
    now = [1000.0]
    flood = FloodControl(clock=lambda: now[0])
    limits = FloodLimits()
    assert [flood.admit(limits, 7, private=True) for _ in range(4)] == [None, None, None, 1]
    now[0] += 1.0
    assert flood.admit(limits, 7, private=True) is None
    assert flood.admit(limits, 7, private=True) == 1

    assert flood.admit(limits, -5, private=False, units=10) is None  # an album of 10
    now[0] += 30
    assert flood.admit(limits, -5, private=False, units=10) is None
    assert flood.admit(limits, -5, private=False) == 30  # the first album leaves the window in 30 s
    now[0] += 30
    assert flood.admit(limits, -5, private=False, units=10) is None

    # The last album filled 10 of the 30 messages a second allowed across all chats.
    assert all(flood.admit(limits, 100 + chat, private=True) is None for chat in range(20))
    assert flood.admit(limits, 999, private=True) == 1
    assert flood.admit(FloodLimits(enabled=False), 999, private=True) is None


# -- getUpdates ------------------------------------------------------------------------------


async def test_get_updates_offset_semantics(sandbox: TelegramSandbox, bot: Bot) -> None:
    for text in ("one", "two", "three"):
        sandbox.user_message(ANN.id, ANN, text)
    first = await bot.get_updates()
    ids = [update.update_id for update in first]
    assert [update.message.text for update in first] == ["one", "two", "three"]
    assert [update.update_id for update in await bot.get_updates(limit=1)] == ids[:1]
    assert [update.update_id for update in await bot.get_updates(offset=ids[1])] == ids[1:]
    assert [update.update_id for update in await bot.get_updates()] == ids[1:]  # "one" is confirmed for good
    assert [update.update_id for update in await bot.get_updates(offset=-1)] == ids[2:]
    started = time.monotonic()
    assert await bot.get_updates(offset=ids[2] + 1, timeout=dtm.timedelta(seconds=0.1)) == ()
    assert 0.1 <= time.monotonic() - started < 1.0  # an empty long poll lasts its (fractional) timeout


async def test_long_poll_wakes_up_when_an_update_arrives(sandbox: TelegramSandbox, bot: Bot) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await sandbox.wait_for(lambda: sandbox.long_polls == 1)
    started = time.monotonic()
    sandbox.user_message(ANN.id, ANN, "/start")
    updates = await poll
    assert time.monotonic() - started < 1.0
    assert [update.message.text for update in updates] == ["/start"]


# -- commands --------------------------------------------------------------------------------


async def test_set_my_commands_per_language_and_scope(sandbox: TelegramSandbox, bot: Bot) -> None:
    english = [BotCommand("start", "Start"), BotCommand("generate", "Make an image")]
    russian = [BotCommand("start", "Начать"), BotCommand("generate", "Создать картинку")]
    await bot.set_my_commands(english)
    await bot.set_my_commands(russian, language_code="ru")
    await bot.set_my_commands(english[:1], scope=BotCommandScopeAllGroupChats())

    assert await bot.get_my_commands() == tuple(english)
    assert await bot.get_my_commands(language_code="ru") == tuple(russian)
    assert await bot.get_my_commands(language_code="de") == ()
    assert await bot.get_my_commands(scope=BotCommandScopeAllGroupChats()) == tuple(english[:1])
    with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand("Bad-Name", "nope")])


# -- wire formats and the control API --------------------------------------------------------


async def test_json_and_query_bodies_and_bare_content_type(sandbox: TelegramSandbox) -> None:
    sandbox.user_message(ANN.id, ANN, "/start")
    async with httpx.AsyncClient(base_url=f"{sandbox.base_url}{sandbox.token}") as api:
        me = await api.get("/getme")
        assert me.headers["Content-Type"] == "application/json" and me.json()["result"]["is_bot"] is True
        sent = await api.post("/sendMessage", json={"chat_id": ANN.id, "text": "json body",
                                                    "reply_markup": {"inline_keyboard": [[
                                                        {"text": "A", "callback_data": "a"}]]}})
        assert sent.json()["result"]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "a"
        missing = await api.post("/noSuchMethod")
        assert (missing.status_code, missing.json()) == (404, {"ok": False, "error_code": 404,
                                                               "description": "Not Found: method not found"})
    async with httpx.AsyncClient(base_url=sandbox.url) as raw:
        unauthorized = await raw.post("/bot123456:nope/getMe")
        assert unauthorized.status_code == 401 and unauthorized.json()["description"] == "Unauthorized"


async def test_control_api_over_http(sandbox: TelegramSandbox, bot: Bot) -> None:
    user = {"id": BOB.id, "first_name": "Bob", "language_code": "ru"}
    async with httpx.AsyncClient(base_url=sandbox.url) as control:
        created = await control.post("/_sandbox/message", json={"chat_id": BOB.id, "user": user,
                                                                 "text": "/start@naibot_test_bot now"})
        assert created.status_code == 201
        assert created.json()["entities"] == [{"type": "bot_command", "offset": 0, "length": 22}]
        (update,) = await bot.get_updates()
        assert update.message.text == "/start@naibot_test_bot now"

        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Upscale", callback_data="up")]])
        sent = await bot.send_message(BOB.id, "Done", reply_markup=keyboard)
        pressed = await control.post("/_sandbox/callback", json={"chat_id": BOB.id, "message_id": sent.message_id,
                                                                  "user": user, "data": "up"})
        query = (await bot.get_updates(offset=update.update_id + 1))[0].callback_query
        assert (query.id, query.data, query.message.message_id) == (
            pressed.json()["callback_query_id"], "up", sent.message_id)
        await query.answer()

        calls = (await control.get("/_sandbox/calls", params={"method": "sendMessage"})).json()
        assert [(call["params"]["chat_id"], call["status"]) for call in calls] == [(BOB.id, 200)]
        messages = (await control.get(f"/_sandbox/chats/{BOB.id}/messages")).json()
        assert [(m["from_bot"], m["text"]) for m in messages] == [(False, "/start@naibot_test_bot now"),
                                                                  (True, "Done")]

        photo = base64.b64encode(png(32, 32)).decode()
        await control.post("/_sandbox/message", json={"chat_id": GROUP, "chat_type": "group", "user": user,
                                                       "text": "/start", "photo_base64": photo})
        assert (await control.post(f"/_sandbox/chats/{GROUP}/members",
                                   json={"user_id": BOB.id, "status": "administrator"})).status_code == 200
        assert [m.user.id for m in await bot.get_chat_administrators(GROUP)] == [BOB.id]
        photo_id = sandbox.messages(GROUP)[0].photo[-1]["file_id"]
        assert (await control.get(f"/_sandbox/files/{photo_id}")).content == base64.b64decode(photo)

        items = [{"kind": "document", "data_base64": photo, "file_name": name} for name in ("a.png", "b.png")]
        album = await control.post("/_sandbox/album", json={"chat_id": BOB.id, "user": user, "items": items,
                                                            "caption": "/vibe a cat"})
        assert album.status_code == 201
        assert [(m.get("caption"), m["document"]["file_name"]) for m in album.json()] == [
            ("/vibe a cat", "a.png"), (None, "b.png")]
        assert len({m["media_group_id"] for m in album.json()}) == 1
        broken = base64.b64encode(b"not a picture").decode()
        bad = await control.post("/_sandbox/album", json={"chat_id": BOB.id, "user": user, "items": [
            {"kind": "photo", "data_base64": photo}, {"kind": "photo", "data_base64": broken}]})
        assert bad.status_code == 400 and "IMAGE_PROCESS_FAILED" in bad.json()["error"]
        album_ids = [m["message_id"] for m in album.json()]
        assert [m.message_id for m in sandbox.messages(BOB.id)][-2:] == album_ids

        await control.post(f"/_sandbox/chats/{BOB.id}/delete-message", json={"message_id": sent.message_id})
        assert sandbox.messages(BOB.id)[1].deleted
        await control.post(f"/_sandbox/chats/{BOB.id}/block")
        with pytest.raises(Forbidden):
            await bot.send_message(BOB.id, "hi")
        refused = await control.post("/_sandbox/chats/1/block")
        assert refused.status_code == 400 and "no private chat" in refused.json()["error"]

        stats = (await control.get("/_sandbox/stats")).json()
        assert stats["calls_by_method"]["sendMessage"] == 2 and stats["per_chat"][str(BOB.id)] == 2
        await control.post("/_sandbox/reset")
        assert sandbox.calls() == [] and sandbox.messages(BOB.id) == []


def test_running_in_a_thread_for_sync_callers() -> None:
    with running_telegram(token=DEFAULT_TOKEN, limits=FloodLimits(enabled=False)) as telegram:
        telegram.user_message(ANN.id, ANN, "/start")
        api = f"{telegram.base_url}{telegram.token}"
        updates = httpx.post(f"{api}/getUpdates", data={"timeout": "0"}).json()["result"]
        assert updates[0]["message"]["text"] == "/start"
        httpx.post(f"{api}/sendMessage", data={"chat_id": str(ANN.id), "text": "hi from a form"})
        asyncio.run(telegram.wait_for(lambda: len(telegram.bot_messages(ANN.id)) == 1, timeout=5))
        assert telegram.bot_messages(ANN.id)[0].text == "hi from a form"
        with pytest.raises(TimeoutError):
            asyncio.run(telegram.wait_for(lambda: False, timeout=0.05))
