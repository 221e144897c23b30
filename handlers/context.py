"""The context a handler works in: one transaction, the inbound message, and the outbound port."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.messages import ChatRef, Choice, Forward, Identity, Inbound
from handlers.settings import Deadlines, GroupSpec, HotlineSettings
from storage import repo
from storage.models import Ticket, User


def menu_key(chat: ChatRef, who: Identity) -> str:
    """Where one person's pending choices in a group chat (or forum topic) are kept."""
    return f"{chat.topic_key}|{who}"


def state_key(msg: Inbound) -> str:
    """Where the speaker's conversation in this chat is kept."""
    return menu_key(msg.chat, msg.sender) if msg.chat.kind == "group" else msg.chat.key


@dataclass(frozen=True)
class Conversation:
    """Where one person's conversation with the bot stands: the step waiting for their answer
    (`state`, "" for none, with what was gathered so far in `data`) and the commands their
    typed "1", "2"… pick (`choices`)."""

    state: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    choices: tuple[str, ...] = ()


@dataclass
class Outbound:
    """The outbound port: queue messages in the outbox within the current transaction."""

    session: AsyncSession
    settings: HotlineSettings
    now: datetime
    deadlines: Deadlines

    async def send(
        self,
        chat: ChatRef,
        text: str,
        choices: Sequence[Choice] = (),
        ticket: Ticket | None = None,
        forward: Forward | None = None,
        file: tuple[str, str] | None = None,
        menu_for: Identity | None = None,
    ) -> None:
        """Queue a message in the outbox, in this transaction: it is sent only if we commit.

        `forward` is a user's attachment to pass on with it; `file` is (path, "document" |
        "photo") for a file the bot made, sent with the text. `menu_for` is the person whose
        typed "1", "2"… pick from this message's choices from now on (none: their previous
        menu is gone); without it, what their digits mean is left as it was.
        """
        copy_from = photo_url = None
        if forward is not None and forward.copies_into(chat.channel):
            copy_from = (forward.chat_id, forward.message_id)
        elif forward is not None:
            text = f"{text}\n\n{forward.note(chat.channel)}"
            photo_url = forward.photo_url  # the photo itself too, where the channel shows it
        repo.queue(
            self.session,
            channel=chat.channel,
            chat_id=chat.chat_id,
            chat_kind=chat.kind,
            thread_id=chat.thread_id,
            text=text,
            choices=json.dumps([[c.label, c.command] for c in choices], ensure_ascii=False),
            copy_from=json.dumps(list(copy_from)) if copy_from else None,
            ticket_id=ticket.id if ticket else None,
            file_path=file[0] if file else None,
            file_kind=file[1] if file else "document",
            photo_url=photo_url,
            now=self.now,
        )
        if menu_for is not None:
            await self.offer(chat, menu_for, choices)

    async def offer(self, chat: ChatRef, who: Identity, choices: Sequence[Choice]) -> None:
        """From now on `who` typing "1", "2"… in `chat` picks from `choices` (the text form of
        buttons); no choices: a digit means nothing, so a stale menu never fires. In a group
        each person has their own menu, so one person's digits never pick from another's."""
        await repo.set_state(self.session, menu_key(chat, who) if chat.kind == "group" else chat.key,
                             self.now, choices=[c.command for c in choices])

    async def send_to(
        self, who: Identity, text: str, choices: Sequence[Choice] = (), ticket: Ticket | None = None,
        forward: Forward | None = None,
    ) -> None:
        """A private message to one person (their private chat id is their user id); it is
        the latest they read there, so their typed digits pick from its choices."""
        await self.send(ChatRef(who.channel, who.user_id, "private"), text, choices, ticket, forward,
                        menu_for=who)

    async def send_to_group(
        self,
        group: GroupSpec,
        text: str,
        choices: Sequence[Choice] = (),
        ticket: Ticket | None = None,
        forward: Forward | None = None,
    ) -> None:
        """To the group chat, or to each member of a member-list group."""
        if group.members:
            for member in group.members:
                await self.send_to(member, text, choices, ticket, forward)
        else:
            await self.send(group.chat, text, choices, ticket, forward)

    async def notify_supervisors(
        self, text: str, choices: Sequence[Choice] = (), ticket: Ticket | None = None,
        forward: Forward | None = None,
    ) -> None:
        """To every supervisor; about a ticket, only to those who oversee its area."""
        for sup in sorted(self.settings.supervisors, key=str):
            if ticket is None or self.settings.oversees(sup, ticket.area_code):
                await self.send_to(sup, text, choices, ticket, forward)

    async def send_to_asker(
        self, ticket: Ticket, text: str, choices: Sequence[Choice] = (), forward: Forward | None = None
    ) -> None:
        channel, _, chat_id = ticket.asker_chat.partition(":")
        await self.send_to(Identity(channel, chat_id), text, choices, ticket, forward)


@dataclass
class Ctx(Outbound):
    """A handler's context: the outbound port plus the inbound message being handled."""

    msg: Inbound
    groups_changed: bool = False  # set by /nhom so the hotline reloads its routing

    @property
    def who(self) -> Identity:
        return self.msg.sender

    async def reply(
        self, text: str, choices: Sequence[Choice] = (), ticket: Ticket | None = None,
        file: tuple[str, str] | None = None,
    ) -> None:
        """To the chat the message came from; the speaker's digits pick from its choices."""
        await self.send(self.msg.chat, text, choices, ticket, file=file, menu_for=self.who)

    @property
    def is_supervisor(self) -> bool:
        return self.who in self.settings.supervisors

    @property
    def supervisor_areas(self) -> frozenset[str] | None:
        """The areas a limited supervisor oversees; None for all (or not a supervisor)."""
        return self.settings.supervisor_areas.get(self.who)

    @property
    def group(self) -> GroupSpec | None:
        """The working group this chat is, when it is one."""
        if self.msg.chat.kind != "group":
            return None
        return self.settings.group_for_chat(self.msg.chat)

    def staff_groups(self) -> tuple[GroupSpec, ...]:
        """Groups the speaker acts for: the group chat they are in, or member lists naming them."""
        here = self.group
        return (here,) if here else self.settings.groups_of_member(self.who)

    async def user(self) -> User | None:
        return await repo.get_user(self.session, str(self.who))

    @property
    def state_key(self) -> str:
        return state_key(self.msg)

    async def conversation(self) -> Conversation:
        """The speaker's conversation here; what a plain message means in each state is the
        table handlers/commands.py STATES."""
        row = await repo.get_state(self.session, self.state_key)
        if row is None:
            return Conversation()
        return Conversation(row.state, json.loads(row.data), tuple(json.loads(row.choices)))

    async def wait_for(self, state: str, data: dict[str, Any] | None = None) -> None:
        """The speaker's next plain message answers `state` ("": nothing is waited for)."""
        await repo.set_state(self.session, self.state_key, self.now, state=state, data=data or {})
