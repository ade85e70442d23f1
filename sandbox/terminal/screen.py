"""What a person at the terminal sees of a chat: each message once when it appears, again marked
"(edited)" whenever its text or buttons change, and a number for every button so ``press N`` can name it.

Pure on purpose: :func:`render_changes` takes the last :class:`Screen` and the chat as the stand-in shows
it now and returns the lines to print plus the next screen, so the whole display is testable without a
stand-in, a terminal or a clock. The platform modules turn their stand-in's JSON into :class:`Shown`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

INDENT = "    "


@dataclass(frozen=True)
class Button:
    """A pressable button: its label, the message it sits on and what pressing it sends (Telegram's
    callback data, Discord's custom id). ``channel`` is where that message is (Discord needs it)."""

    label: str
    message_id: str
    action: str
    channel: str = ""


@dataclass(frozen=True)
class Shown:
    """One message as the terminal renders it. Two snapshots that compare equal look the same."""

    id: str
    author: str
    text: str
    buttons: tuple[Button, ...] = ()
    links: tuple[str, ...] = ()
    deleted: bool = False


@dataclass(frozen=True)
class Screen:
    """What has been printed so far: every message's last rendering and the button numbers in force."""

    shown: dict[str, Shown] = field(default_factory=dict)
    buttons: dict[int, Button] = field(default_factory=dict)
    last_number: int = 0


def render_changes(screen: Screen, messages: Iterable[Shown]) -> tuple[list[str], Screen]:
    """The lines that bring the terminal from ``screen`` to ``messages`` (oldest first), and the new screen.

    A button keeps its number while it stays on its message (a progress edit does not renumber the
    Cancel button); a new button gets the next number; the numbers of buttons that are gone stop working.
    """
    lines: list[str] = []
    shown = dict(screen.shown)
    buttons = dict(screen.buttons)
    last = screen.last_number
    for message in messages:
        before = shown.get(message.id)
        if before == message or (before is None and message.deleted):
            continue
        shown[message.id] = message
        if message.deleted:
            lines.append(f"(deleted) {message.author}: {_first_line(before.text if before else message.text)}")
            buttons = {n: b for n, b in buttons.items() if b.message_id != message.id}
            continue
        mark = "" if before is None else "(edited) "
        lines.extend(_message_lines(f"{mark}{message.author}: ", message.text))
        lines.extend(f"{INDENT}{link}" for link in message.links)
        numbers, buttons, last = _number(message, buttons, last)
        if numbers:
            lines.append(INDENT + "  ".join(f"[{n}] {button.label}" for n, button in numbers))
    return lines, replace(screen, shown=shown, buttons=buttons, last_number=last)


def _number(message: Shown, buttons: dict[int, Button], last: int
            ) -> tuple[list[tuple[int, Button]], dict[int, Button], int]:
    """Numbers for the message's buttons: kept for a button it already had, the next free one otherwise."""
    previous = {(b.action, b.label): n for n, b in buttons.items() if b.message_id == message.id}
    others = {n: b for n, b in buttons.items() if b.message_id != message.id}
    numbered = []
    for button in message.buttons:
        number = previous.pop((button.action, button.label), None)
        if number is None:
            last += 1
            number = last
        others[number] = button
        numbered.append((number, button))
    return numbered, others, last


def _message_lines(prefix: str, text: str) -> list[str]:
    first, *rest = (text or "(no text)").split("\n")
    return [prefix + first, *(INDENT + line for line in rest)]


def _first_line(text: str) -> str:
    return (text or "").split("\n", 1)[0][:80]
