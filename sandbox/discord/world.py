"""What the fake Discord knows: guilds with text channels, roles and members, the messages in each
channel and their files, the application's commands, and the interactions users started. Plain
synchronous state, rendered into Discord's JSON objects here; the server decides when it is touched."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from sandbox.discord.state import (
    APPLICATION_COMMAND,
    ApiError,
    DiscordUser,
    Snowflakes,
    StoredInteraction,
    StoredMessage,
    iso,
    missing_access,
    missing_permissions,
    unknown_channel,
    unknown_guild,
    unknown_member,
    unknown_message,
)

# Permission bits the sandbox reasons about (Discord's values).
ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
USE_APPLICATION_COMMANDS = 1 << 31
ALL_PERMISSIONS = (1 << 51) - 1
# @everyone in a fresh guild (roughly Discord's defaults for the bits bots care about).
EVERYONE_PERMISSIONS = (1 << 0) | (1 << 6) | VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | ATTACH_FILES \
    | READ_MESSAGE_HISTORY | (1 << 18) | (1 << 20) | (1 << 21) | (1 << 26) | USE_APPLICATION_COMMANDS
# What an invite link with the usual "send messages, files and embeds" scopes gives the bot's role.
BOT_PERMISSIONS = VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | ATTACH_FILES | READ_MESSAGE_HISTORY \
    | (1 << 6) | (1 << 18) | (1 << 38) | USE_APPLICATION_COMMANDS
TEXT_CHANNEL = 0
DM_CHANNEL = 1


@dataclass
class Role:
    id: int
    name: str
    permissions: int
    position: int
    bot_id: int | None = None

    def to_api(self) -> dict[str, Any]:
        role: dict[str, Any] = {
            "id": str(self.id), "name": self.name, "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False, "icon": None, "unicode_emoji": None, "position": self.position,
            "permissions": str(self.permissions), "managed": self.bot_id is not None, "mentionable": False,
            "flags": 0,
        }
        if self.bot_id is not None:
            role["tags"] = {"bot_id": str(self.bot_id)}
        return role


@dataclass
class Channel:
    id: int
    guild_id: int
    name: str
    nsfw: bool
    position: int


@dataclass
class DMChannel:
    """The private channel between the bot and one user (Discord: type 1, one recipient)."""

    id: int
    user_id: int


@dataclass
class Member:
    user_id: int
    roles: list[int]
    joined_at: float = field(default_factory=time.time)


@dataclass
class Guild:
    id: int
    name: str
    owner_id: int
    locale: str
    roles: dict[int, Role] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    admin_role_id: int = 0
    bot_role_id: int = 0
    bot_id: int = 0
    # Set by tests to take permissions away from the bot (Discord: a moderator edits its role).
    bot_permissions: int | None = None
    joined_at: float = field(default_factory=time.time)

    def permissions(self, user_id: int) -> int:
        """Guild-level permissions (no channel overwrites in the sandbox): owner and Administrator get all."""
        member = self.members.get(user_id)
        if member is None:
            return 0
        if user_id == self.bot_id and self.bot_permissions is not None:
            return self.bot_permissions
        if user_id == self.owner_id:
            return ALL_PERMISSIONS
        value = self.roles[self.id].permissions
        for role_id in member.roles:
            value |= self.roles[role_id].permissions
        return ALL_PERMISSIONS if value & ADMINISTRATOR else value


@dataclass
class StoredFile:
    """An attachment's bytes, kept exactly as uploaded."""

    filename: str
    data: bytes


class World:
    """Discord's side of everything the bot can see, for one application and its bot user."""

    def __init__(self, *, application_id: int, bot_user_id: int, owner: DiscordUser) -> None:
        self.application_id = application_id
        self.bot = DiscordUser(bot_user_id, "naibot-sandbox", "NAI Bot (sandbox)")
        self.owner = owner
        # GATEWAY_GUILD_MEMBERS_LIMITED | GATEWAY_MESSAGE_CONTENT_LIMITED: both privileged intents allowed.
        self.application_flags = (1 << 15) | (1 << 19)
        self.snowflakes = Snowflakes()
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.users: dict[int, DiscordUser] = {owner.id: owner}
        self.messages: dict[int, dict[int, StoredMessage]] = {}
        self.files: dict[int, StoredFile] = {}
        self.commands: dict[int | None, list[dict[str, Any]]] = {}
        self.interactions: dict[str, StoredInteraction] = {}
        self.interactions_by_token: dict[str, StoredInteraction] = {}
        # DM channels by id, the DM channel of each user, and users who do not accept DMs from the bot.
        self.dm_channels: dict[int, DMChannel] = {}
        self.dm_of_user: dict[int, int] = {}
        self.closed_dms: set[int] = set()

    # -- shaping the world -----------------------------------------------------------------

    def add_guild(self, guild_id: int, name: str, owner: DiscordUser, channels: dict[int, bool],
                  locale: str = "en-US") -> Guild:
        if guild_id in self.guilds:
            raise ValueError(f"guild {guild_id} exists already")
        taken = [channel_id for channel_id in channels if channel_id in self.channels]
        if taken:
            raise ValueError(f"channel ids already used: {taken}")
        guild = Guild(guild_id, name, owner.id, locale, bot_id=self.bot.id)
        # The @everyone role shares the guild's id, as on Discord.
        guild.roles[guild_id] = Role(guild_id, "@everyone", EVERYONE_PERMISSIONS, 0)
        guild.admin_role_id = self.snowflakes.next()
        guild.roles[guild.admin_role_id] = Role(guild.admin_role_id, "Admin", ADMINISTRATOR | MANAGE_GUILD, 2)
        guild.bot_role_id = self.snowflakes.next()
        guild.roles[guild.bot_role_id] = Role(guild.bot_role_id, self.bot.username, BOT_PERMISSIONS, 1,
                                              bot_id=self.bot.id)
        for position, (channel_id, nsfw) in enumerate(channels.items()):
            channel = Channel(channel_id, guild_id, f"channel-{channel_id}", bool(nsfw), position)
            guild.channels[channel_id] = channel
            self.channels[channel_id] = channel
            self.messages[channel_id] = {}
        self.guilds[guild_id] = guild
        self.add_member(guild_id, owner, admin=False)
        guild.members[self.bot.id] = Member(self.bot.id, [guild.bot_role_id])
        return guild

    def add_member(self, guild_id: int, user: DiscordUser, *, admin: bool) -> Member:
        guild = self.guild(guild_id)
        if user.id == self.bot.id:
            raise ValueError("the bot is a member of every guild already")
        self.users[user.id] = user
        member = Member(user.id, [guild.admin_role_id] if admin else [])
        guild.members[user.id] = member
        return member

    def set_bot_permissions(self, guild_id: int, permissions: int) -> None:
        self.guild(guild_id).bot_permissions = permissions

    def add_role(self, guild_id: int, name: str, permissions: int = 0) -> Role:
        guild = self.guild(guild_id)
        role = Role(self.snowflakes.next(), name, permissions, len(guild.roles))
        guild.roles[role.id] = role
        return role

    def give_role(self, guild_id: int, user_id: int, role_id: int) -> Member:
        guild = self.guild(guild_id)
        if role_id not in guild.roles:
            raise ValueError(f"guild {guild_id} has no role {role_id}")
        member = self.member(guild_id, user_id)
        if role_id not in member.roles:
            member.roles.append(role_id)
        return member

    def open_dm(self, user_id: int) -> DMChannel:
        """The DM channel with a user, created on first use (Discord returns the same one every time)."""
        if user_id == self.bot.id or user_id not in self.users:
            raise ApiError(400, "Invalid Recipient(s)", 50033)
        channel_id = self.dm_of_user.get(user_id)
        if channel_id is None:
            channel = DMChannel(self.snowflakes.next(), user_id)
            self.dm_channels[channel.id] = channel
            self.dm_of_user[user_id] = channel.id
            self.messages[channel.id] = {}
            return channel
        return self.dm_channels[channel_id]

    # -- lookups ---------------------------------------------------------------------------

    def guild(self, guild_id: int) -> Guild:
        guild = self.guilds.get(guild_id)
        if guild is None:
            raise unknown_guild()
        return guild

    def channel(self, channel_id: int) -> Channel:
        channel = self.channels.get(channel_id)
        if channel is None:
            raise unknown_channel()
        return channel

    def member(self, guild_id: int, user_id: int) -> Member:
        member = self.guild(guild_id).members.get(user_id)
        if member is None:
            raise unknown_member()
        return member

    def user(self, user_id: int) -> DiscordUser:
        if user_id == self.bot.id:
            return self.bot
        return self.users.get(user_id) or DiscordUser(user_id, f"user{user_id}")

    def bot_channel(self, channel_id: int, needed: int = 0) -> Channel:
        """A channel the bot may use with its token; Discord's 403s when it may not see it or lacks ``needed``."""
        channel = self.channel(channel_id)
        granted = self.guilds[channel.guild_id].permissions(self.bot.id)
        if not granted & VIEW_CHANNEL:
            raise missing_access()
        if granted & needed != needed:
            raise missing_permissions()
        return channel

    def message(self, channel_id: int, message_id: int) -> StoredMessage:
        """A live message; ephemeral ones exist only for their interaction's token, never for the channel."""
        message = self.messages.get(channel_id, {}).get(message_id)
        if message is None or message.deleted:
            raise unknown_message()
        return message

    def find_message(self, message_id: int) -> StoredMessage | None:
        for messages in self.messages.values():
            if message_id in messages:
                return messages[message_id]
        return None

    def forget_traffic(self) -> None:
        """Drop messages, files and interactions; guilds, members and commands stay (the bot's setup)."""
        for messages in self.messages.values():
            messages.clear()
        self.files.clear()
        self.interactions.clear()
        self.interactions_by_token.clear()

    def add_message(self, message: StoredMessage) -> StoredMessage:
        self.messages.setdefault(message.channel_id, {})[message.id] = message
        return message

    def bot_has(self, guild_id: int, permission: int) -> bool:
        return bool(self.guild(guild_id).permissions(self.bot.id) & permission)

    # -- Discord JSON ----------------------------------------------------------------------

    def bot_user_json(self) -> dict[str, Any]:
        return {**self.bot.to_api(), "bot": True, "verified": True, "mfa_enabled": False, "locale": "en-US",
                "email": None}

    def user_json(self, user_id: int) -> dict[str, Any]:
        user = self.user(user_id)
        return {**user.to_api(), "bot": True} if user_id == self.bot.id else user.to_api()

    def member_json(self, guild: Guild, user_id: int, *, with_user: bool = True,
                    permissions: bool = False) -> dict[str, Any]:
        member = guild.members[user_id]
        data: dict[str, Any] = {
            "roles": [str(role) for role in member.roles], "joined_at": iso(member.joined_at), "nick": None,
            "avatar": None, "banner": None, "premium_since": None, "deaf": False, "mute": False, "flags": 0,
            "pending": False, "communication_disabled_until": None,
        }
        if with_user:
            data["user"] = self.user_json(user_id)
        if permissions:
            data["permissions"] = str(guild.permissions(user_id))
        return data

    def dm_channel_json(self, channel: DMChannel) -> dict[str, Any]:
        last = max(self.messages.get(channel.id, {}), default=None)
        return {"id": str(channel.id), "type": DM_CHANNEL, "last_message_id": None if last is None else str(last),
                "flags": 0, "recipients": [self.user_json(channel.user_id)]}

    def channel_json(self, channel: Channel) -> dict[str, Any]:
        return {"id": str(channel.id), "type": TEXT_CHANNEL, "guild_id": str(channel.guild_id), "name": channel.name,
                "position": channel.position, "nsfw": channel.nsfw, "topic": None, "parent_id": None,
                "permission_overwrites": [], "rate_limit_per_user": 0, "last_message_id": None, "flags": 0}

    def guild_json(self, guild: Guild) -> dict[str, Any]:
        """The guild object as GUILD_CREATE carries it: channels, roles and every member, so discord.py
        considers it chunked and never needs to ask for members."""
        return {
            "id": str(guild.id), "name": guild.name, "icon": None, "splash": None, "discovery_splash": None,
            "banner": None, "description": None, "owner_id": str(guild.owner_id), "afk_channel_id": None,
            "afk_timeout": 300, "verification_level": 0, "default_message_notifications": 0,
            "explicit_content_filter": 0, "mfa_level": 0, "nsfw_level": 0, "premium_tier": 0,
            "premium_subscription_count": 0, "system_channel_id": None, "system_channel_flags": 0,
            "rules_channel_id": None, "public_updates_channel_id": None, "preferred_locale": guild.locale,
            "features": [], "application_id": None, "vanity_url_code": None, "max_members": 500000,
            "premium_progress_bar_enabled": False, "widget_enabled": False, "emojis": [], "stickers": [],
            "roles": [role.to_api() for role in guild.roles.values()],
            "channels": [{k: v for k, v in self.channel_json(c).items() if k != "guild_id"}
                         for c in guild.channels.values()],
            "members": [self.member_json(guild, user_id) for user_id in guild.members],
            "member_count": len(guild.members), "large": False, "unavailable": False,
            "joined_at": iso(guild.joined_at), "lazy": True, "threads": [], "voice_states": [], "presences": [],
            "stage_instances": [], "guild_scheduled_events": [], "soundboard_sounds": [],
        }

    def message_json(self, message: StoredMessage, *, with_reference: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(message.id), "channel_id": str(message.channel_id), "type": message.type,
            "author": self.user_json(message.author_id), "content": message.content,
            "timestamp": iso(message.created_at),
            "edited_timestamp": None if message.edited_at is None else iso(message.edited_at),
            "tts": False, "mention_everyone": False, "mentions": [], "mention_roles": [],
            "attachments": message.attachments, "embeds": message.embeds, "components": message.components,
            "pinned": False, "flags": message.flags,
        }
        if message.guild_id is not None and message.ephemeral_for is None:
            data["guild_id"] = str(message.guild_id)
        if message.webhook_id is not None:
            data["webhook_id"] = str(message.webhook_id)
            data["application_id"] = str(self.application_id)
        interaction = self.interactions.get(message.interaction_id or "")
        if interaction is not None:
            data["interaction_metadata"] = self._interaction_metadata(interaction, message)
        if message.reference_id is not None:
            data["message_reference"] = {"type": 0, "message_id": str(message.reference_id),
                                         "channel_id": str(message.channel_id)}
            if message.guild_id is not None:
                data["message_reference"]["guild_id"] = str(message.guild_id)
            if with_reference:
                referenced = self.messages.get(message.channel_id, {}).get(message.reference_id)
                data["referenced_message"] = (self.message_json(referenced, with_reference=False)
                                              if referenced is not None and not referenced.deleted else None)
        return data

    def _interaction_metadata(self, interaction: StoredInteraction, message: StoredMessage) -> dict[str, Any]:
        metadata: dict[str, Any] = {
            "id": interaction.id, "type": interaction.type, "user": interaction.user.to_api(),
            "authorizing_integration_owners": {"0": str(interaction.guild_id)},
        }
        if interaction.type == APPLICATION_COMMAND:
            metadata["name"] = interaction.payload["data"]["name"]
        if message.id != interaction.response_message_id and interaction.response_message_id is not None:
            metadata["original_response_message_id"] = str(interaction.response_message_id)
        if interaction.message_id is not None:
            metadata["interacted_message_id"] = str(interaction.message_id)
        return metadata
