"""What every channel adapter provides to the app."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from handlers.messages import Inbound, Outgoing, Sent

OnInbound = Callable[[Inbound], Awaitable[None]]


class SendError(Exception):
    """A send that did not go through.

    `retry_after` is the platform's own wait (Telegram 429); `permanent` means retrying the
    same message cannot help (chat not found, bot blocked), so the outbox gives up on it.
    The message never contains a token or the text being sent.
    """

    def __init__(self, reason: str, *, retry_after: float | None = None, permanent: bool = False):
        super().__init__(reason)
        self.retry_after = retry_after
        self.permanent = permanent


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
    lines.append("(Gõ số để chọn.)")
    return "\n".join(lines)
