"""The terminal loop of ``naibot sandbox chat`` (sandbox/terminal/session.py) with a recording peer in place
of a stand-in, and the Telegram view of a stand-in message (sandbox/terminal/telegram.py)."""

from __future__ import annotations

import os
from pathlib import Path

from sandbox.terminal.screen import Button, Shown
from sandbox.terminal.session import ChatError, Session, run
from sandbox.terminal.telegram import shown

AGAIN = Button("Again", "3", "again:abc")


class RecordingPeer:
    def __init__(self) -> None:
        self.sent: list[str] = []
        self.pressed: list[Button] = []
        self.photos: list[tuple[str, str]] = []
        self.chat: list[Shown] = [Shown("3", "bot", "Done", (AGAIN,))]

    def greeting(self) -> str:
        return "hello"

    def send(self, line: str) -> None:
        if line == "/refused":
            raise ChatError("the stand-in refused: no")
        self.sent.append(line)

    def press(self, button: Button) -> None:
        self.pressed.append(button)

    def send_photo(self, path: Path, caption: str) -> None:
        self.photos.append((path.name, caption))

    def messages(self) -> list[Shown]:
        return self.chat


def test_lines_become_messages_presses_and_photos(tmp_path: Path) -> None:
    peer = RecordingPeer()
    session = Session(peer)
    assert session.refresh() == ["bot: Done", "    [1] Again"]
    picture = tmp_path / "in.png"
    picture.write_bytes(b"png")
    assert session.handle("/generate a cat\n") == []
    assert session.handle("just saying") == []
    assert session.handle("press 1") == ["(pressed [1] Again)"]
    assert session.handle("!1") == ["(pressed [1] Again)"]
    assert session.handle(f"photo {picture} my cat") == ["(sent photo in.png)"]
    assert (peer.sent, peer.pressed, peer.photos) == (["/generate a cat", "just saying"], [AGAIN, AGAIN],
                                                      [("in.png", "my cat")])


def test_mistakes_are_one_line_and_the_session_goes_on(tmp_path: Path) -> None:
    session = Session(RecordingPeer())
    assert session.handle("press 7") == ["! there is no button [7] now (buttons keep the numbers last shown)"]
    assert session.handle(f"photo {tmp_path / 'nothing.png'}") == [f"! no file {tmp_path / 'nothing.png'}"]
    assert session.handle("/refused") == ["! the stand-in refused: no"]
    assert session.handle("!quit") is None


def test_a_stand_in_that_stops_answering_is_said_once() -> None:
    peer = RecordingPeer()
    session = Session(peer)

    def away() -> list[Shown]:
        raise ChatError("the Telegram stand-in at http://127.0.0.1:1 does not answer")

    peer.messages = away  # type: ignore[method-assign]
    assert session.refresh() == ["! the Telegram stand-in at http://127.0.0.1:1 does not answer"]
    assert session.refresh() == []


def test_the_loop_ends_at_the_end_of_input_and_acts_on_an_unfinished_last_line() -> None:
    peer = RecordingPeer()
    read, write = os.pipe()
    os.write(write, b"/queue\n/status")
    os.close(write)
    printed: list[str] = []
    try:
        assert run(Session(peer), read, printed.append, 0.01) == 0
    finally:
        os.close(read)
    assert peer.sent == ["/queue", "/status"]
    assert printed[0] == "hello" and "bot: Done" in printed


def test_a_telegram_photo_with_buttons_shows_its_size_caption_link_and_numbers() -> None:
    message = {
        "message_id": 12, "from_bot": True, "from": {"id": 123456, "first_name": "NAI Bot"}, "text": None,
        "caption": "Results for You\nSeed 5", "photo": [{"file_id": "small", "width": 90, "height": 90},
                                                       {"file_id": "big", "width": 512, "height": 512}],
        "reply_markup": {"inline_keyboard": [[{"text": "Again", "callback_data": "again:abc"},
                                              {"text": "Docs", "url": "https://example.org"}]]},
        "deleted": False,
    }
    view = shown(message, "http://127.0.0.1:8766")
    assert (view.author, view.text) == ("bot", "[photo 512×512] Results for You\nSeed 5")
    assert view.buttons == (Button("Again", "12", "again:abc"),)
    assert view.links == ("http://127.0.0.1:8766/_sandbox/files/big", "Docs: https://example.org")
