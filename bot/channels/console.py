"""A local channel on stdin/stdout: one person plays every role, or a script is piped in.

Lines starting with ":" steer the console; anything else is a message from the current
identity in the current chat:
    :as an Nguyễn Văn An     speak as console:an (display name optional)
    :in group:dat_dai        speak in the group chat "dat_dai"; `:in private` goes back
    :reply m7 <text>         reply to the bot's message [m7] (how staff answer a card)
    :quit                    stop
"""

from __future__ import annotations

import asyncio
import itertools
import sys
import threading
import uuid
from collections.abc import Awaitable, Callable
from typing import TextIO

from bot.channels.base import OnInbound, numbered
from handlers.messages import ChatRef, Identity, Inbound, Outgoing, Sent
from handlers.texts import ops as t

NAME = "console"



class ConsoleChannel:
    name = NAME

    def __init__(
        self,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        settle: Callable[[], Awaitable[None]] | None = None,
    ):
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.settle = settle  # waits until the bot's answers are out, so transcripts read in order
        self.user = Identity(NAME, "canbo")
        self.display_name = t.CONSOLE_USER
        self.chat = ChatRef(NAME, "canbo", "private")
        self.finished = asyncio.Event()
        self._ids = itertools.count(1)
        # Shown as m1, m2… for typing; the id the bot stores is unique to this run, so a card
        # link kept in the database from an earlier run never matches a new message.
        self._run = uuid.uuid4().hex[:8]
        self._issued: dict[str, str] = {}  # shown id → stored id, for this run's messages
        self._updates = itertools.count(1)
        self._task: asyncio.Task[None] | None = None
        self._interactive = self.stdin.isatty()

    async def start(self, on_inbound: OnInbound) -> None:
        self._task = asyncio.create_task(self._read(on_inbound), name="console-reader")

    async def stop(self) -> None:
        if self._task and not self._task.done():
            self._task.cancel()

    async def send(self, message: Outgoing) -> Sent:
        message_id = f"m{next(self._ids)}"
        self._issued[message_id] = f"{self._run}-{message_id}"
        chat = message.chat
        where = t.CONSOLE_GROUP.format(chat=chat.chat_id) if chat.kind == "group" \
            else f"{chat.channel}:{chat.chat_id}"
        text = numbered(message)
        if message.file_path:
            label = t.CONSOLE_ATTACHMENT["photo" if message.file_kind == "photo" else "document"]
            text += "\n" + t.CONSOLE_ATTACHED.format(label=label, path=message.file_path)
        body = "\n".join("  " + line for line in text.splitlines())
        self._print(f"[{message_id}] bot → {where}:\n{body}")
        return Sent((self._issued[message_id],))

    def _print(self, text: str) -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()

    async def _read(self, on_inbound: OnInbound) -> None:
        lines = self._reader_thread()
        self._print(t.CONSOLE_WELCOME.format(usage=t.CONSOLE_USAGE))
        try:
            while True:
                if self._interactive:
                    self.stdout.write(f"{self.user.user_id}@{self._where()}> ")
                    self.stdout.flush()
                line = await lines.get()
                if not line:
                    break
                line = line.rstrip("\n")
                if not line.strip() or line.lstrip().startswith("#"):
                    continue
                if not self._interactive:
                    self._print(f">>> {self.user.user_id} @ {self._where()}: {line}")
                inbound: Inbound | None
                if line.startswith(":"):
                    command, inbound = self._steer(line)
                    if command == "quit":
                        break
                else:
                    inbound = self._inbound(line)
                if inbound is not None:
                    await on_inbound(inbound)
                    if self.settle:
                        await self.settle()
        finally:
            self.finished.set()

    def _reader_thread(self) -> asyncio.Queue[str]:
        """Read stdin in a daemon thread: a blocking read must never hold up shutdown."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[str] = asyncio.Queue()

        def pump() -> None:
            while True:
                line = self.stdin.readline()
                loop.call_soon_threadsafe(queue.put_nowait, line)
                if not line:
                    return

        threading.Thread(target=pump, name="console-stdin", daemon=True).start()
        return queue

    def _where(self) -> str:
        return t.CONSOLE_GROUP.format(chat=self.chat.chat_id) if self.chat.kind == "group" \
            else t.CONSOLE_PRIVATE

    def _steer(self, line: str) -> tuple[str, Inbound | None]:
        """Handle a console directive: (the directive, a message to send if it makes one)."""
        cmd, _, rest = line[1:].partition(" ")
        rest = rest.strip()
        if cmd == "as" and rest:
            who, _, name = rest.partition(" ")
            user_id = who.split(":", 1)[1] if who.startswith(f"{NAME}:") else who
            self.user = Identity(NAME, user_id)
            self.display_name = name.strip() or user_id
            if self.chat.kind == "private":
                self.chat = ChatRef(NAME, user_id, "private")
        elif cmd == "in" and rest == "private":
            self.chat = ChatRef(NAME, self.user.user_id, "private")
        elif cmd == "in" and rest.startswith("group:") and rest[6:]:
            self.chat = ChatRef(NAME, rest[6:], "group")
        elif cmd == "reply" and " " in rest:
            message_id, _, text = rest.partition(" ")
            if message_id not in self._issued:
                self._print(t.CONSOLE_NO_SUCH_MESSAGE.format(id=message_id))
                return cmd, None
            return cmd, self._inbound(text.strip(), reply_to=self._issued[message_id])
        elif cmd != "quit":
            self._print(t.CONSOLE_USAGE)
        return cmd, None

    def _inbound(self, text: str, reply_to: str | None = None) -> Inbound:
        return Inbound(
            sender=self.user,
            chat=self.chat,
            text=text,
            display_name=self.display_name,
            message_id=f"u{next(self._updates)}",
            reply_to=reply_to,
        )
