"""The terminal loop of ``naibot sandbox chat``: read what the person types, act on the stand-in through
its control API, and keep printing what changed in the chat.

One thread, no timers: ``select`` waits for a typed line at most one poll interval, then the chat is
read again and the difference printed (``screen.render_changes``). A :class:`Peer` is one platform's
control-API client; this module knows none of them.
"""

from __future__ import annotations

import os
import select
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import httpx

from sandbox.terminal.screen import Button, Screen, Shown, render_changes

HELP = (
    "Type as the user: a line starting with / is a command (/generate a cat, /queue, /help), any other line",
    "is a plain message. press N (or !N) presses button [N]; photo PATH [caption] sends a picture from a file;",
    "!help shows this; Ctrl-D (or !quit) leaves. The bot's messages appear below as they arrive and change.",
)


class ChatError(Exception):
    """Something the stand-in refused or could not do; printed as one line and the session goes on."""


class Unreachable(ChatError):
    """The stand-in does not answer at all (not started, wrong URL)."""


def control_call(http: httpx.Client, platform: str, method: str, path: str, **kwargs: Any) -> Any:
    """One call to a stand-in's control API (``http`` has its base URL): its JSON answer, or
    Unreachable (naming the ``naibot sandbox`` command that starts it) / ChatError (its reason)."""
    try:
        response = http.request(method, path, **kwargs)
    except httpx.TransportError as exc:
        raise Unreachable(f"the {platform.title()} stand-in at {http.base_url} does not answer "
                          f"({exc.__class__.__name__}); start it with `naibot sandbox {platform}`") from exc
    if response.status_code >= 400:
        try:
            reason = str(response.json().get("error") or response.text)
        except ValueError:
            reason = response.text or f"HTTP {response.status_code}"
        raise ChatError(f"the stand-in refused: {reason}")
    return response.json()


class Peer(Protocol):
    """One platform's stand-in, seen as the user at the terminal sees it."""

    def greeting(self) -> str:
        """One line: where the user is and as whom. Raises Unreachable when the stand-in does not answer."""
        ...

    def send(self, line: str) -> None: ...

    def press(self, button: Button) -> None: ...

    def send_photo(self, path: Path, caption: str) -> None: ...

    def messages(self) -> list[Shown]: ...


class Session:
    """The person's side of one chat: a line in, lines out; no I/O of its own besides the peer."""

    def __init__(self, peer: Peer) -> None:
        self.peer = peer
        self.screen = Screen()
        self._last_error = ""

    def refresh(self) -> list[str]:
        """What changed in the chat since the last call (a lost stand-in is said once, not every poll)."""
        try:
            messages = self.peer.messages()
        except ChatError as exc:
            error = f"! {exc}"
            lines = [error] if error != self._last_error else []
            self._last_error = error
            return lines
        self._last_error = ""
        lines, self.screen = render_changes(self.screen, messages)
        return lines

    def handle(self, line: str) -> list[str] | None:
        """Act on one typed line; the lines to print, or None to leave."""
        text = line.rstrip("\r\n")
        command = text.strip()
        try:
            if not command:
                return []
            if command in ("!quit", "!exit"):
                return None
            if command in ("!help", "?"):
                return list(HELP)
            number = _button_number(command)
            if number is not None:
                return self._press(number)
            if command.split(maxsplit=1)[0] == "photo":
                return self._photo(command)
            self.peer.send(text)
        except ChatError as exc:
            return [f"! {exc}"]
        return []

    def _press(self, number: int) -> list[str]:
        button = self.screen.buttons.get(number)
        if button is None:
            return [f"! there is no button [{number}] now (buttons keep the numbers last shown)"]
        self.peer.press(button)
        return [f"(pressed [{number}] {button.label})"]

    def _photo(self, command: str) -> list[str]:
        parts = command.split(maxsplit=2)
        if len(parts) < 2:
            return ["! usage: photo PATH [caption]"]
        path = Path(parts[1]).expanduser()
        if not path.is_file():
            return [f"! no file {path}"]
        self.peer.send_photo(path, parts[2] if len(parts) > 2 else "")
        return [f"(sent photo {path.name})"]


def _button_number(command: str) -> int | None:
    """``press 3`` or ``!3`` → 3; anything else → None."""
    if command.startswith("!") and command[1:].strip().isdigit():
        return int(command[1:])
    words = command.split()
    if len(words) == 2 and words[0] == "press" and words[1].isdigit():
        return int(words[1])
    return None


def run(session: Session, stdin_fd: int, write: Callable[[str], None], poll_seconds: float) -> int:
    """Until end of input: print changes, wait up to ``poll_seconds`` for typed lines, act on them. The
    greeting's ChatError (the stand-in is away or refuses this user) is the caller's to report."""
    write(session.peer.greeting())
    for line in HELP:
        write(line)
    pending = b""
    while True:
        for line in session.refresh():
            write(line)
        ready, _, _ = select.select([stdin_fd], [], [], poll_seconds)
        if not ready:
            continue
        chunk = os.read(stdin_fd, 65536)
        pending += chunk if chunk else b"\n"  # at the end of input, a last unfinished line still counts
        *typed, pending = pending.split(b"\n")
        for raw in typed:
            answer = session.handle(raw.decode("utf-8", errors="replace"))
            if answer is None:
                return 0
            for line in answer:
                write(line)
        if not chunk:
            return 0
