"""Being a Discord user through the Discord stand-in's control API (``naibot sandbox discord``): a typed
``/name text option:value`` becomes a slash-command interaction (``POST /_sandbox/interactions/slash``,
options typed by the command the bot registered), a button press a component interaction, any other line
a channel message; ``GET /_sandbox/channels/{id}/messages`` is what the user sees (ephemeral answers to
this user included). Only HTTP, so it works against a stand-in in another process."""

from __future__ import annotations

import base64
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from sandbox.terminal.screen import Button, Shown
from sandbox.terminal.session import ChatError, control_call

DEFAULT_URL = "http://127.0.0.1:8767"
# What ``naibot sandbox discord`` creates: one guild, an ordinary and an age-restricted channel.
GUILD_ID, CHANNEL_ID, NSFW_CHANNEL_ID = 9000, 9001, 9002
# Discord's option types (application command option type), and the flag of a "thinking…" answer.
SUBCOMMAND_TYPES = frozenset({1, 2})
STRING, INTEGER, BOOLEAN, USER, NUMBER, ATTACHMENT = 3, 4, 5, 6, 10, 11
LOADING = 1 << 7
BUTTON, TEXT_INPUT = 2, 4
# How long an interaction this user started is watched for a form (modal) as its answer: Discord gives a
# bot 3 s to answer at all.
WATCH_SECONDS = 10.0


@dataclass(frozen=True)
class DiscordUser:
    """Who the person at the terminal is, and where: a member (``admin``: with Administrator) of the
    guild, writing in one of its channels."""

    user_id: int = 2001
    username: str = "you"
    locale: str = "en-US"
    guild_id: int = GUILD_ID
    channel_id: int = CHANNEL_ID
    admin: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"id": self.user_id, "username": self.username, "global_name": self.username, "locale": self.locale}


class DiscordPeer:
    """The control-API client; every refusal of the stand-in becomes a :class:`ChatError` with its reason."""

    def __init__(self, url: str, user: DiscordUser, *, client: httpx.Client | None = None) -> None:
        self.url = url.rstrip("/")
        self.user = user
        self._http = client or httpx.Client(base_url=self.url, timeout=10.0)
        self._bot_id = ""
        # Interactions this user started (id → when), watched for a form; the form open now, if any.
        self._started: dict[str, float] = {}
        self._forms: list[Shown] = []
        self._form: dict[str, Any] | None = None

    def greeting(self) -> str:
        """Joins the guild (as Discord users must be members to use a bot's commands there)."""
        self._bot_id = str(self._call("GET", "/_sandbox/bot")["user_id"])
        try:
            self._call("POST", f"/_sandbox/guilds/{self.user.guild_id}/members",
                       json={"user": self.user.to_json(), "admin": self.user.admin})
        except ChatError as exc:
            raise ChatError(f"cannot join guild {self.user.guild_id} ({exc}); `naibot sandbox discord` creates "
                            f"guild {GUILD_ID}, or name yours with --guild") from None
        role = "an admin" if self.user.admin else "a member"
        return (f"Discord stand-in at {self.url}: you are {self.user.username} (id {self.user.user_id}), {role} of "
                f"guild {self.user.guild_id}, in channel {self.user.channel_id}.\n"
                "Slash-command options go as name:value, e.g. /generate a cat size:portrait steps:8 (the text "
                "before the first option is the prompt); a form the bot opens (/login) is filled in with "
                "form NAME=VALUE ….")

    def send(self, line: str) -> None:
        if self._form is not None and line.startswith("form "):
            self._submit_form(self._form, line.removeprefix("form "))
            return
        if not line.startswith("/"):
            self._call("POST", f"/_sandbox/channels/{self.user.channel_id}/messages",
                       json={"user": self.user.to_json(), "content": line})
            return
        name, options = slash_call(self._commands(), line)
        self._watch(self._call("POST", "/_sandbox/interactions/slash",
                               json={**self._where(), "name": name, "options": options}))

    def send_photo(self, path: Path, caption: str) -> None:
        takers = [f"/{c['name']} {o['name']}:PATH" for c in self._commands() for o in c.get("options") or []
                  if o.get("type") == ATTACHMENT]
        if not takers:
            raise ChatError("the bot has no Discord command that takes a picture (no attachment option)")
        raise ChatError(f"on Discord a picture goes with a command: {', '.join(takers)}")

    def press(self, button: Button) -> None:
        self._watch(self._call("POST", "/_sandbox/interactions/button", json={
            **self._where(), "channel_id": int(button.channel or self.user.channel_id),
            "message_id": int(button.message_id), "custom_id": button.action}))

    def messages(self) -> list[Shown]:
        found = self._call("GET", f"/_sandbox/channels/{self.user.channel_id}/messages")
        me = str(self.user.user_id)
        self._look_for_forms()
        return [*(shown(message, self._bot_id) for message in found
                  if message.get("author_id") != me and message.get("ephemeral_for") in (None, me)), *self._forms]

    # -- forms (modals): shown as a message, filled in with ``form NAME=VALUE …`` --------------------

    def _watch(self, started: dict[str, Any]) -> None:
        self._started[str(started["interaction_id"])] = time.monotonic()

    def _look_for_forms(self) -> None:
        """A form the bot answered one of this user's interactions with becomes the open form."""
        for interaction_id, since in list(self._started.items()):
            record = self._call("GET", f"/_sandbox/interactions/{interaction_id}")
            if record.get("modal"):
                self._form = record["modal"]
                self._forms.append(form_shown(interaction_id, record["modal"]))
            if record.get("callback_type") is not None or time.monotonic() - since > WATCH_SECONDS:
                del self._started[interaction_id]

    def _submit_form(self, form: dict[str, Any], text: str) -> None:
        fields = [str(field["custom_id"]) for field in text_inputs(form)]
        marker = re.compile(r"(?:^|\s)(" + "|".join(re.escape(f) for f in fields) + r")=")
        found = list(marker.finditer(text))
        if not found or text[:found[0].start()].strip():
            raise ChatError(f"fill the form in as: form {' '.join(f'{f}=…' for f in fields)}")
        ends = [match.start() for match in found[1:]] + [len(text)]
        values = {match.group(1): text[match.end():end].strip() for match, end in zip(found, ends, strict=True)}
        self._form = None
        self._watch(self._call("POST", "/_sandbox/interactions/modal", json={
            **self._where(), "custom_id": form["custom_id"], "values": values}))

    def _where(self) -> dict[str, Any]:
        return {"guild_id": self.user.guild_id, "channel_id": self.user.channel_id, "user": self.user.to_json()}

    def _commands(self) -> list[dict[str, Any]]:
        """The guild's commands first, then the global ones (as Discord's client lists them)."""
        guild = self._call("GET", "/_sandbox/commands", params={"guild_id": self.user.guild_id})
        return [*guild, *self._call("GET", "/_sandbox/commands")]

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        return control_call(self._http, "discord", method, path, **kwargs)


def slash_call(commands: list[dict[str, Any]], line: str) -> tuple[str, dict[str, Any]]:
    """``/generate a cat size:portrait seed:42`` → ("generate", {"prompt": "a cat", "size": "portrait",
    "seed": 42}). Text before the first ``option:`` goes to the command's first text option (required
    ones first), as the prompt does; values are typed by the command's definition."""
    name, _, rest = line.removeprefix("/").strip().partition(" ")
    command = next((c for c in commands if c.get("name") == name and c.get("type", 1) == 1), None)
    if command is None:
        known = " ".join(sorted({f"/{c['name']}" for c in commands})) or "none yet (is the bot running?)"
        raise ChatError(f"no slash command /{name}; registered: {known}")
    path = [name]
    definitions: list[dict[str, Any]] = command.get("options") or []
    while definitions and all(d.get("type") in SUBCOMMAND_TYPES for d in definitions):
        sub, _, after = rest.strip().partition(" ")
        chosen = next((d for d in definitions if d["name"] == sub), None)
        if chosen is None:
            raise ChatError(f"/{' '.join(path)} needs one of: {', '.join(d['name'] for d in definitions)}")
        path.append(sub)
        definitions, rest = chosen.get("options") or [], after
    return " ".join(path), _options(definitions, rest.strip(), "/" + " ".join(path))


def _options(definitions: list[dict[str, Any]], text: str, command: str) -> dict[str, Any]:
    by_name = {d["name"]: d for d in definitions}
    values: dict[str, str] = {}
    free = text
    if by_name:
        marker = re.compile(r"(?:^|\s)(" + "|".join(re.escape(n) for n in sorted(by_name, key=len, reverse=True))
                            + r"):")
        found = list(marker.finditer(text))
        free = text[:found[0].start()].strip() if found else text
        ends = [match.start() for match in found[1:]] + [len(text)]
        for match, end in zip(found, ends, strict=False):  # no match: no value (and one end unused)
            values[match.group(1)] = text[match.end():end].strip()
    if free:
        target = _free_text_option(definitions)
        if target is None:
            options = ", ".join(f"{n}:" for n in by_name) or "none"
            raise ChatError(f"{command} takes no free text; its options: {options}")
        if target in values:
            raise ChatError(f"{command}: give {target} either as the text or as {target}:, not both")
        values[target] = free
    return {name: _typed(by_name[name], value) for name, value in values.items()}


def _free_text_option(definitions: list[dict[str, Any]]) -> str | None:
    texts = [d for d in definitions if d.get("type") == STRING]
    texts.sort(key=lambda d: not d.get("required", False))
    return str(texts[0]["name"]) if texts else None


def _typed(definition: dict[str, Any], value: str) -> Any:
    kind, name = definition.get("type"), definition["name"]
    try:
        if kind == INTEGER:
            return int(value)
        if kind == NUMBER:
            return float(value)
        if kind == USER:
            return int(value.strip("<@!>"))
    except ValueError as exc:
        raise ChatError(f"option {name}: {value!r} is not a {'number' if kind != USER else 'user id'}") from exc
    if kind == BOOLEAN:
        return value.lower() in ("true", "yes", "on", "1")
    if kind == ATTACHMENT:
        path = Path(value).expanduser()
        if not path.is_file():
            raise ChatError(f"option {name}: no file {path}")
        return {"filename": path.name, "base64": base64.b64encode(path.read_bytes()).decode()}
    return value


def shown(message: dict[str, Any], bot_id: str) -> Shown:
    """A control-API message (``StoredMessage.to_json``) as the terminal shows it."""
    author = "bot" if message.get("author_id") == bot_id else f"user {message.get('author_id')}"
    if message.get("ephemeral_for"):
        author += " (only you)"
    parts = [str(message.get("content") or "")]
    links = []
    for embed in message.get("embeds") or []:
        parts += [str(embed[key]) for key in ("title", "description") if embed.get(key)]
        parts += [f"{f.get('name')}: {f.get('value')}" for f in embed.get("fields") or []]
        if (embed.get("footer") or {}).get("text"):
            parts.append(str(embed["footer"]["text"]))
        if (embed.get("image") or {}).get("url"):
            links.append(str(embed["image"]["url"]))
    for attachment in message.get("attachments") or []:
        size = f" {attachment['width']}×{attachment['height']}" if attachment.get("width") else ""
        parts.append(f"[file {attachment.get('filename')}{size}]")
        links.append(str(attachment.get("url")))
    text = "\n".join(part for part in parts if part)
    if not text and int(message.get("flags") or 0) & LOADING:
        text = "(thinking…)"
    buttons, link_buttons = _buttons(message)
    return Shown(str(message["id"]), author, text, buttons, (*links, *link_buttons), bool(message.get("deleted")))


def _buttons(message: dict[str, Any]) -> tuple[tuple[Button, ...], list[str]]:
    """Enabled buttons with a custom id are pressable; link buttons are shown as links."""
    buttons: list[Button] = []
    links: list[str] = []
    pending = list(message.get("components") or [])
    while pending:
        component = pending.pop(0)
        pending.extend(component.get("components") or [])
        if component.get("type") != BUTTON:
            continue
        label = str(component.get("label") or (component.get("emoji") or {}).get("name") or "button")
        if component.get("url"):
            links.append(f"{label}: {component['url']}")
        elif component.get("custom_id") and not component.get("disabled"):
            buttons.append(Button(label, str(message["id"]), str(component["custom_id"]),
                                  str(message.get("channel_id") or "")))
    return tuple(buttons), links


def text_inputs(form: dict[str, Any]) -> list[dict[str, Any]]:
    """A modal's text inputs, in order, however they are nested (action rows or labels)."""
    found: list[dict[str, Any]] = []
    pending = list(form.get("components") or [])
    while pending:
        component = pending.pop(0)
        if component.get("type") == TEXT_INPUT:
            found.append(component)
        inner = component.get("component")
        if isinstance(inner, dict):  # a label around its input: the input shows the label's text
            inner = {**inner, "label": inner.get("label") or component.get("label")}
        pending[:0] = [*(component.get("components") or []), *([inner] if isinstance(inner, dict) else [])]
    return found


def form_shown(interaction_id: str, form: dict[str, Any]) -> Shown:
    """A form the bot opened, as a message: its title, its fields, how to fill it in."""
    fields = text_inputs(form)
    lines = [f"(a form) {form.get('title', '')}"]
    lines += [f"{field['custom_id']}: {field.get('label') or field.get('placeholder') or ''}"
              f"{'' if field.get('required', True) else ' (optional)'}" for field in fields]
    lines.append("fill it in: form " + " ".join(f"{field['custom_id']}=…" for field in fields))
    return Shown(f"form-{interaction_id}", "bot", "\n".join(lines))
