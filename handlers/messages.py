"""The port between channels and handlers: the one normalized message shape both speak.

Channel adapters (bot/channels/*) turn platform updates into `Inbound` and render
`Outgoing` back; nothing in handlers/ knows which platform a message came from. This module
imports only the text catalog (which imports nothing), so a channel may use it without
loading the handlers or storage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from handlers.texts import common  # the catalog imports nothing: the port stays neutral

ChatKind = Literal["private", "group"]


@dataclass(frozen=True)
class Identity:
    """A person on one channel, written `channel:id` everywhere (config, storage, logs)."""

    channel: str
    user_id: str

    def __str__(self) -> str:
        return f"{self.channel}:{self.user_id}"

    @classmethod
    def parse(cls, text: str) -> Identity:
        channel, sep, user_id = text.strip().partition(":")
        if not sep or not channel or not user_id:
            raise ValueError(f"identity must be written channel:id, got {text!r}")
        return cls(channel, user_id)


@dataclass(frozen=True)
class ChatRef:
    """Where a message lives: a private chat or a group (optionally one forum topic)."""

    channel: str
    chat_id: str
    kind: ChatKind = "private"
    thread_id: str | None = None

    @property
    def key(self) -> str:
        return f"{self.channel}:{self.chat_id}"

    @property
    def topic_key(self) -> str:
        """The chat, or one forum topic of it: what a working group is bound to."""
        return topic_key(self.channel, self.chat_id, self.thread_id)


def topic_key(channel: str, chat_id: str, thread_id: str | None) -> str:
    return f"{channel}:{chat_id}" + (f"#{thread_id}" if thread_id else "")


@dataclass(frozen=True)
class Attachment:
    """A photo, document, sticker or voice note; `ref` is the platform's handle for it."""

    kind: Literal["photo", "document", "sticker", "voice", "unsupported"]
    ref: str = ""
    name: str = ""


@dataclass(frozen=True)
class Inbound:
    """One message or button press that reached the bot.

    `update_key` identifies the platform delivery so a redelivered update is handled once.
    `reply_to` is the platform id of the bot message this one replies to, if any.
    `callback` is the payload of a pressed button (already a command line, e.g. `/nhan 12`).
    """

    sender: Identity
    chat: ChatRef
    text: str = ""
    display_name: str = ""
    message_id: str = ""
    update_key: str = ""
    reply_to: str | None = None
    callback: str | None = None
    attachments: tuple[Attachment, ...] = ()
    is_chat_admin: bool = False
    extras: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def forward(self) -> Forward | None:
        """This message's attachments, to pass on with what the bot sends about it."""
        if not self.attachments:
            return None
        return Forward(self.chat.channel, self.chat.chat_id, self.message_id, self.attachments)


ATTACHMENT_LABEL = common.ATTACHMENT_LABEL
CHANNEL_NAME = {"zalo": "Zalo", "telegram": "Telegram", "console": "console"}
# Channels whose API cannot copy a user's message into another chat (Zalo's Bot API has no
# such call): an attachment is passed on there by its link instead.
NO_COPY_CHANNELS = frozenset({"zalo"})


def is_link(ref: str) -> bool:
    return ref.startswith(("https://", "http://"))


@dataclass(frozen=True)
class Forward:
    """A user's attachment passed on: copied where the platform can (within Telegram);
    elsewhere named in the text with its link, and a photo with a link shown as a photo
    where the receiving channel can (`photo_url`)."""

    channel: str
    chat_id: str
    message_id: str
    attachments: tuple[Attachment, ...]

    def copies_into(self, channel: str) -> bool:
        return channel == self.channel and channel not in NO_COPY_CHANNELS

    @property
    def photo_url(self) -> str | None:
        return next((a.ref for a in self.attachments if a.kind == "photo" and is_link(a.ref)), None)

    def note(self, channel: str = "") -> str:
        """The attachments as text: each with its link, or a clear stand-in (never an empty
        link: a Telegram file id is no link, and its download link would carry the token)."""
        source = CHANNEL_NAME.get(self.channel, self.channel)
        head = common.ATTACHED if channel == self.channel else common.ATTACHED_FROM.format(source=source)
        lines = [head]
        for item in self.attachments:
            label = ATTACHMENT_LABEL.get(item.kind, common.UNREADABLE)
            link = item.ref if is_link(item.ref) else common.SEEN_ONLY_ON.format(source=source)
            lines.append(" ".join(part for part in ("•", label, item.name, link) if part))
        return "\n".join(lines)


@dataclass(frozen=True)
class Choice:
    """A choice offered to the user: a button on Telegram, a numbered line elsewhere.

    `command` is what choosing it means, written as the user could type it (`/nhan 12`),
    so every button has a text equivalent.
    """

    label: str
    command: str


@dataclass(frozen=True)
class Outgoing:
    """A message the bot sends; `ticket_number` links what gets posted back to its ticket."""

    chat: ChatRef
    text: str
    choices: tuple[Choice, ...] = ()
    ticket_number: int | None = None
    copy_from: tuple[str, str] | None = None  # (chat_id, message_id) of an attachment to copy
    file_path: str | None = None  # a file the bot made (report, chart) to send with the text
    file_kind: Literal["document", "photo"] = "document"
    photo_url: str | None = None  # a user's photo, by its public link, shown where possible


@dataclass(frozen=True)
class Sent:
    """What a channel reports after sending: the platform ids of the posted messages."""

    message_ids: tuple[str, ...]


class StorageUnavailable(Exception):
    """Raised by the inbound handler when the database could not be reached: the channel must
    not acknowledge the update (the platform delivers it again)."""
