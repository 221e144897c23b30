"""What the handlers need to know about a deployment (built from the config by bot/config.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

from handlers.intake.routing import Router
from handlers.messages import ChatRef, Identity, topic_key

RegistrationPolicy = Literal["open", "approval", "invite"]


@dataclass(frozen=True)
class AreaSpec:
    code: str
    name: str
    keywords: tuple[str, ...] = ()
    first_response_hours: float = 8.0
    resolution_hours: float = 40.0
    examples: tuple[str, ...] = ()  # typical questions: the router's seed training texts


@dataclass(frozen=True)
class GroupSpec:
    """A working group: a group chat, or (on Zalo, where bots may not join groups) a member list."""

    channel: str
    chat_id: str
    name: str
    areas: tuple[str, ...]
    thread_id: str | None = None
    members: tuple[Identity, ...] = ()

    @property
    def key(self) -> str:
        """Stored on tickets: the chat, its forum topic, or the member list's own id."""
        return topic_key(self.channel, self.chat_id, self.thread_id)

    @property
    def chat(self) -> ChatRef:
        return ChatRef(self.channel, self.chat_id, "group", self.thread_id)


@dataclass(frozen=True)
class FollowupSettings:
    """When the scheduled jobs act; hours are working hours when business hours are on."""

    reminder_fraction: float = 0.75  # of the first-response time, the group gets a reminder
    escalate_after_hours: float = 4.0  # overdue by this much: escalated to the supervisors
    checkback_after_hours: float = 8.0  # after an answer, ask the cadre if it is resolved
    autoclose_after_days: float = 3.0  # no reply to the check-back: closed as resolved
    digest_time: str = "07:30"  # local time of the daily digests, working days only
    max_postpone_hours: float = 80.0


class Deadlines(Protocol):
    """Adds working hours to a moment (plain clock hours when business hours are off)."""

    def add_hours(self, start: datetime, hours: float) -> datetime: ...

    def hours_between(self, start: datetime, end: datetime) -> float: ...

    def is_working_day(self, day: date) -> bool: ...


class Clock(Protocol):
    def now(self) -> datetime: ...


@dataclass(frozen=True)
class HotlineSettings:
    areas: tuple[AreaSpec, ...]
    groups: tuple[GroupSpec, ...]
    supervisors: frozenset[Identity] = frozenset()
    supervisor_areas: Mapping[Identity, frozenset[str]] = field(default_factory=dict)
    registration: RegistrationPolicy = "approval"
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Ho_Chi_Minh"))
    followup: FollowupSettings = field(default_factory=FollowupSettings)
    commune_shared: bool = False  # cadres of one commune see and act on each other's tickets
    flood_per_minute: int = 20  # messages a person may send in a minute; 0 turns it off
    reports_folder: str = "data/exports"  # where /xuat and /bieudo write their files
    # /xuat refuses a period with more tickets (a huge file for a chat): `hotline report` makes it
    chat_export_limit: int = 200_000
    router: Router = field(default_factory=Router)  # its model is swapped in when retrained

    def area(self, code: str) -> AreaSpec | None:
        return next((a for a in self.areas if a.code == code), None)

    def group_for_area(self, code: str) -> GroupSpec | None:
        """The group that answers an area; the catch-all `khac` group when none is bound."""
        for wanted in (code, "khac"):
            for g in self.groups:
                if wanted in g.areas:
                    return g
        return None

    def group_by_key(self, key: str | None) -> GroupSpec | None:
        return next((g for g in self.groups if g.key == key), None)

    def group_for_chat(self, chat: ChatRef) -> GroupSpec | None:
        """The group a chat is: its forum topic's binding first, then the whole chat's."""
        return self.group_by_key(chat.topic_key) or self.group_by_key(chat.key)

    def oversees(self, supervisor: Identity, area_code: str | None) -> bool:
        """Whether a supervisor sees an area (one limited to some areas: only those; an
        unknown area, only the unlimited ones)."""
        limited = self.supervisor_areas.get(supervisor)
        return limited is None or area_code in limited

    def groups_of_member(self, who: Identity) -> tuple[GroupSpec, ...]:
        return tuple(g for g in self.groups if who in g.members)
