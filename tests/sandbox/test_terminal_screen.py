"""What ``naibot sandbox chat`` prints as a chat changes: new messages once, changed ones marked "(edited)",
buttons numbered so that a progress edit does not renumber them (sandbox/terminal/screen.py)."""

from __future__ import annotations

from sandbox.terminal.screen import Button, Screen, Shown, render_changes

CANCEL = Button("Cancel", "7", "cancel:abc")


def status(text: str, *buttons: Button) -> Shown:
    return Shown("7", "bot", text, buttons)


def test_a_new_message_is_printed_with_its_author_and_numbered_buttons() -> None:
    lines, screen = render_changes(Screen(), [status("⏳ Adding your job…\nJob abc", CANCEL)])
    assert lines == ["bot: ⏳ Adding your job…", "    Job abc", "    [1] Cancel"]
    assert screen.buttons == {1: CANCEL}


def test_an_unchanged_chat_prints_nothing() -> None:
    _, screen = render_changes(Screen(), [status("queued", CANCEL)])
    assert render_changes(screen, [status("queued", CANCEL)])[0] == []


def test_an_edit_is_printed_again_marked_edited_and_keeps_its_button_numbers() -> None:
    _, screen = render_changes(Screen(), [status("position 2 of 2", CANCEL)])
    lines, screen = render_changes(screen, [status("position 1 of 2", CANCEL)])
    assert lines == ["(edited) bot: position 1 of 2", "    [1] Cancel"]
    assert screen.buttons == {1: CANCEL} and screen.last_number == 1


def test_new_buttons_get_new_numbers_and_removed_ones_stop_working() -> None:
    again, png = Button("Again", "8", "again:abc"), Button("PNG", "8", "png:abc")
    _, screen = render_changes(Screen(), [status("running", CANCEL)])
    lines, screen = render_changes(screen, [status("Done"), Shown("8", "bot", "[photo 512×512]", (again, png))])
    assert lines == ["(edited) bot: Done", "bot: [photo 512×512]", "    [2] Again  [3] PNG"]
    assert screen.buttons == {2: again, 3: png}


def test_a_deleted_message_is_said_once() -> None:
    _, screen = render_changes(Screen(), [status("running", CANCEL)])
    gone = Shown("7", "bot", "running", (CANCEL,), deleted=True)
    lines, screen = render_changes(screen, [gone])
    assert lines == ["(deleted) bot: running"] and screen.buttons == {}
    assert render_changes(screen, [gone])[0] == []


def test_links_follow_the_message() -> None:
    photo = Shown("9", "bot", "[photo 64×64] seed 5", links=("http://127.0.0.1:8766/_sandbox/files/f1",))
    assert render_changes(Screen(), [photo])[0] == ["bot: [photo 64×64] seed 5",
                                                   "    http://127.0.0.1:8766/_sandbox/files/f1"]
