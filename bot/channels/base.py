"""What every channel adapter provides to the app."""

from __future__ import annotations

import hashlib
import json
import random
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Collection, Sequence
from enum import StrEnum
from typing import Protocol

import aiohttp

from bot.logs import mask
from handlers.messages import Inbound, Outgoing, Sent
from handlers.texts import common

OnInbound = Callable[[Inbound], Awaitable[None]]


class SendError(Exception):
    """A send that did not go through.

    `retry_after` is the platform's own wait (Telegram 429); `permanent` means retrying the
    same message cannot help (chat not found, bot blocked), so the outbox gives up on it.
    The message never contains a token or the text being sent.
    """

    def __init__(self, reason: str, *, retry_after: float | None = None, permanent: bool = False):
        reason = mask(reason)  # it is stored on the outbox row and logged
        super().__init__(reason)
        self.retry_after = retry_after
        self.permanent = permanent


# What counts as an outage rather than a refusal, for every adapter: no answer at all, an
# answer that is not the platform's JSON (an HTML error page from a proxy or load balancer),
# 408, 429 and 5xx. An outage is retried with backoff for as long as it lasts, never given up.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionError, TimeoutError, aiohttp.ClientError, json.JSONDecodeError,
)  # not every OSError: a file that is gone stays gone
# Exceptions outside that list that are outages too, known by name (the outbox keeps only
# the name of an unexpected error; rows failed under these are sent again, see bot/resend.py)
TRANSIENT_NAMES = frozenset({
    "ClientDecodeError", "TelegramNetworkError", "TelegramServerError", "RestartingTelegram",
    "ContentTypeError", "JSONDecodeError", "ServerDisconnectedError", "ClientOSError",
    "ClientConnectorError", "ClientPayloadError", "TimeoutError", "ZaloHttpError",
})


def transient_status(status: int | None) -> bool:
    """An HTTP status (None: no answer) that means "try again later"."""
    return status is None or status in (408, 429) or status >= 500


def is_transient(err: BaseException) -> bool:
    """An exception that means the platform or the network is down, not that the send is wrong."""
    if isinstance(err, SendError):
        return not err.permanent
    return isinstance(err, TRANSIENT_ERRORS) or type(err).__name__ in TRANSIENT_NAMES


class Failure(StrEnum):
    """What a failed platform call means for whoever made it."""

    UNAUTHORIZED = "unauthorized"  # the token is wrong: stop and tell the operator
    RATE_LIMITED = "rate_limited"  # 429: wait (the platform's retry_after, or our own), resend
    PERMANENT = "permanent"  # this message can never go through (bad request, chat gone)
    TRANSIENT = "transient"  # the platform or the network is down: retry with backoff


# Codes that condemn the message itself. Telegram's 403 is "bot blocked", 404 "chat not found" and
# 413 a file over the Bot API's 50 MB (core.telegram.org/bots/api#senddocument); Zalo labels 403
# "Internal server error" and ties 404 to no chat, so only its 400 is.
PERMANENT_CODES = {"telegram": frozenset({400, 403, 404, 413}), "zalo": frozenset({400})}


def classify(code: int | None, permanent: Collection[int] = frozenset({400})) -> Failure:
    """The one rule every adapter applies to a failed call.

    `code` is the platform's `error_code` from its JSON envelope, or None when no envelope
    came at all (network error, timeout, an HTML page from a proxy or load balancer): that
    is always transient, whatever the HTTP status said.
    """
    if code is None:
        return Failure.TRANSIENT
    if code == 401:
        return Failure.UNAUTHORIZED
    if code == 429:
        return Failure.RATE_LIMITED
    if code in permanent:
        return Failure.PERMANENT
    return Failure.TRANSIENT  # 5xx, 408, and anything the platform has not documented


class Backoff:
    """Bounded exponential backoff with jitter; `reset()` after a success."""

    def __init__(self, base: float = 1.0, cap: float = 60.0):
        self.base = base
        self.cap = cap
        self.failures = 0

    def next(self) -> float:
        ceiling = min(self.cap, self.base * 2**self.failures)
        self.failures += 1
        return random.uniform(ceiling / 2, ceiling)

    def reset(self) -> None:
        self.failures = 0


def utf16_len(text: str) -> int:
    """Length as platforms that count UTF-16 code units see it (an emoji counts two)."""
    return len(text.encode("utf-16-le")) // 2


def utf16_cut(text: str, limit: int) -> int:
    """The largest i such that text[:i] is at most `limit` UTF-16 units.

    Python indexes code points, so a cut there never splits a surrogate pair.
    """
    units = 0
    for i, ch in enumerate(text):
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > limit:
            return i
    return len(text)


def split_text(text: str, limit: int) -> list[str]:
    """Parts of at most `limit` UTF-16 code units (an emoji counts two, as a platform may
    count it; never more than `limit` characters either), cut at line ends, at spaces for a
    very long line, never inside a character."""
    if utf16_len(text) <= limit:  # the common case, in one pass
        return [text] if text.strip() else []
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if utf16_len(candidate) <= limit:
            current = candidate
            continue
        if current:
            parts.append(current)
        while utf16_len(line) > limit:
            fits = utf16_cut(line, limit)
            cut = line.rfind(" ", 0, fits + 1)
            cut = cut if cut > fits // 2 else fits
            parts.append(line[:cut].rstrip())
            line = line[cut:].lstrip()
        current = line
    if current.strip():
        parts.append(current)
    return [p for p in parts if p.strip()]


class Channel(Protocol):
    """A platform connection: started with the app's inbound callback, asked to send."""

    name: str

    async def start(self, on_inbound: OnInbound) -> None: ...

    async def stop(self) -> None: ...

    async def send(self, message: Outgoing) -> Sent: ...


def numbered(message: Outgoing) -> str:
    """A message with its choices as a numbered list: the text form of buttons."""
    if not message.choices:
        return message.text
    lines = [message.text, ""]
    lines += [f"{i}. {c.label}  ({c.command})" for i, c in enumerate(message.choices, start=1)]
    lines.append(common.TYPE_A_NUMBER)
    return "\n".join(lines)


Step = Callable[[], Awaitable[str]]  # sends one part of a message, returns its platform id


class PartSends:
    """Sends a message that takes several platform calls (a copy, a file, long text in parts)
    so that the outbox's retry after a transient error sends only the parts not yet out.

    Progress is kept in memory, by chat and content: after a crash a retry may still repeat
    parts, which the outbox's at-least-once promise allows.
    """

    def __init__(self, keep: int = 256):
        self._keep = keep
        self._done: OrderedDict[tuple[str, str], list[str]] = OrderedDict()

    async def send(self, chat_id: str, content: Sequence[str], steps: Sequence[Step]) -> Sent:
        """Run the steps not yet done; each raises SendError when it fails."""
        if len(steps) == 1:  # nothing to keep: one step either went out or did not
            sent = await steps[0]()
            return Sent((sent,) if sent else ())
        key = (chat_id, hashlib.sha256("\x00".join(content).encode()).hexdigest())
        done = self._done.pop(key, [])
        for step in steps[len(done):]:
            try:
                done.append(await step())
            except SendError as err:
                if done and not err.permanent:
                    self._done[key] = done
                    while len(self._done) > self._keep:
                        self._done.popitem(last=False)
                raise
        return Sent(tuple(i for i in done if i))  # "": a step that sent nothing
