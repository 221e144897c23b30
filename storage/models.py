"""The tables. Everything that must survive a restart lives here, never in memory."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, Index, Text, TypeDecorator
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC and always returns aware UTC datetimes (SQLite keeps no zone)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):  # type: ignore[no-untyped-def]
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect):  # type: ignore[no-untyped-def]
        return None if value is None else value.replace(tzinfo=UTC)


def _ts(nullable: bool = True, index: bool = False):  # type: ignore[no-untyped-def]
    return Field(
        default=None,
        sa_column=Column(UTCDateTime(), nullable=nullable, index=index),
    )


def _text(default: str = ""):  # type: ignore[no-untyped-def]
    return Field(default=default, sa_column=Column(Text, nullable=False, default=default))


class UserStatus:
    PENDING = "pending"
    ACTIVE = "active"
    REJECTED = "rejected"


class TicketStatus:
    NEW = "new"
    IN_PROGRESS = "in_progress"
    WAITING = "waiting"  # the group asked the cadre something back; the clock is paused
    ANSWERED = "answered"
    CLOSED = "closed"
    CANCELLED = "cancelled"

    OPEN = (NEW, IN_PROGRESS)  # waiting for the agency group
    ACTIVE = (NEW, IN_PROGRESS, WAITING, ANSWERED)  # not finished


class Commune(SQLModel, table=True):
    id: int = Field(primary_key=True)
    name: str = Field(index=True)
    kind: str
    former_district: str
    merged_from: str = _text()  # former unit names, one per line


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    identity: str = Field(unique=True, index=True)  # "channel:user_id"
    name: str = ""
    commune_id: int | None = Field(default=None, foreign_key="commune.id")
    position: str = ""
    status: str = UserStatus.PENDING
    created_at: datetime | None = _ts(nullable=False)


class Invite(SQLModel, table=True):
    code: str = Field(primary_key=True)
    commune_id: int = Field(foreign_key="commune.id")
    created_by: str
    used_by: str | None = None
    created_at: datetime | None = _ts(nullable=False)


class Ticket(SQLModel, table=True):
    """A question; its id is the number users see as #N."""

    __table_args__ = (Index("ix_ticket_status_due", "status", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    commune_id: int | None = Field(default=None, foreign_key="commune.id", index=True)
    asker_id: int = Field(foreign_key="user.id", index=True)
    asker_chat: str  # "channel:chat_id" of the private chat that answers go to
    area_code: str = Field(index=True)
    # how area_code was decided, for the router to learn from: "auto" (the router, score =
    # its probability), "cadre" (chosen by the asker), "transfer" (corrected by staff)
    routed_by: str | None = None
    route_score: float | None = None
    group_key: str | None = Field(default=None, index=True)  # "channel:chat_id" of the group
    status: str = Field(default=TicketStatus.NEW, index=True)
    question: str = _text()
    claimed_by: str | None = None
    created_at: datetime | None = _ts(nullable=False, index=True)
    first_response_at: datetime | None = _ts()
    answered_at: datetime | None = _ts()
    closed_at: datetime | None = _ts()
    due_at: datetime | None = _ts(index=True)
    # the deadline the first response was measured against, frozen then: reopening or
    # postponing later moves due_at but never turns a late answer into an on-time one
    response_due_at: datetime | None = _ts()
    escalated_at: datetime | None = _ts()
    escalation_reason: str | None = None
    resolution_due_at: datetime | None = _ts()
    remind_at: datetime | None = _ts(index=True)
    paused_at: datetime | None = _ts()  # when the clock stopped for a question back
    postponed_at: datetime | None = _ts()
    postpone_reason: str | None = None
    rating: int | None = None
    # What the follow-up jobs already sent, so each goes out once, across restarts.
    reminder_sent_at: datetime | None = _ts()
    due_notice_sent_at: datetime | None = _ts()
    overdue_escalated_at: datetime | None = _ts()
    resolution_notice_sent_at: datetime | None = _ts()
    checkback_sent_at: datetime | None = _ts()


class DigestLog(SQLModel, table=True):
    """Daily digests already sent: key "<recipient>:<YYYY-MM-DD>"."""

    key: str = Field(primary_key=True)
    at: datetime | None = _ts(nullable=False)


class TicketEvent(SQLModel, table=True):
    """One line of a ticket's history: question, answer, info, claim, transfer, ..."""

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    kind: str
    actor: str  # identity, or "bot"
    actor_name: str = ""
    text: str = _text()
    at: datetime | None = _ts(nullable=False)


class MessageLink(SQLModel, table=True):
    """A message the bot posted about a ticket, so a reply to any card finds its ticket."""

    channel: str = Field(primary_key=True)
    chat_id: str = Field(primary_key=True)
    message_id: str = Field(primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)


class OutboxMessage(SQLModel, table=True):
    """A message to send, written in the same transaction as the change that caused it."""

    __table_args__ = (
        Index("ix_outbox_pending", "status", "next_attempt_at"),
        Index("ix_outbox_chat", "status", "channel", "chat_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel: str
    chat_id: str
    chat_kind: str = "private"
    thread_id: str | None = None
    text: str = _text()
    choices: str = _text("[]")  # JSON list of [label, command]
    copy_from: str | None = None  # JSON [chat_id, message_id]
    file_path: str | None = None  # a generated file to send (document or photo)
    file_kind: str = "document"
    photo_url: str | None = None  # a user's photo passed on by its public link
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id")
    status: str = "pending"  # pending | sent | failed
    attempts: int = 0
    last_error: str | None = None
    created_at: datetime | None = _ts(nullable=False)
    next_attempt_at: datetime | None = _ts(nullable=False)
    sent_at: datetime | None = _ts()
    # the instance sending it, until when (a lease): another instance takes it after a crash
    claimed_by: str | None = None
    claimed_until: datetime | None = _ts()


class GroupBinding(SQLModel, table=True):
    """A chat bound to areas from the chat itself with /nhom; overrides the config for that chat."""

    key: str = Field(primary_key=True)  # "channel:chat_id"
    channel: str
    chat_id: str
    thread_id: str | None = None
    name: str = ""
    areas: str = ""  # space-separated area codes
    bound_by: str = ""
    at: datetime | None = _ts(nullable=False)


class BindingChange(SQLModel, table=True):
    """Every change of a group's areas: a chat administrator's /nhom waits here as "pending"
    until a supervisor approves or refuses it; a supervisor's own /nhom is recorded as
    "approved" at once. The history of who routed which area where."""

    __tablename__ = "binding_change"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(index=True)  # the chat or forum topic, as GroupBinding.key
    channel: str
    chat_id: str
    thread_id: str | None = None
    name: str = ""
    areas: str = ""  # the areas asked for, space-separated; "" removes the chat's binding
    previous: str = ""  # the chat's areas when the change was asked for
    status: str = Field(default="pending", index=True)  # pending, approved, refused
    requested_by: str = ""
    requested_at: datetime | None = _ts(nullable=False)
    decided_by: str | None = None
    decided_at: datetime | None = _ts()
    note: str = ""


class Ban(SQLModel, table=True):
    """Someone a supervisor has blocked (/chan); their messages are stored and dropped."""

    identity: str = Field(primary_key=True)
    by: str
    reason: str = ""
    at: datetime | None = _ts(nullable=False)


class ProcessedUpdate(SQLModel, table=True):
    """Platform deliveries already handled, so a redelivery does nothing twice."""

    key: str = Field(primary_key=True)  # "channel:update_key"
    at: datetime | None = _ts(nullable=False)


class ChatState(SQLModel, table=True):
    """Where a conversation stands (registration step, pending choice) for one person."""

    key: str = Field(primary_key=True)  # "channel:chat_id:user_id"
    state: str = ""
    data: str = _text("{}")
    choices: str = _text("[]")  # the numbered choices last offered here (commands)
    updated_at: datetime | None = _ts(nullable=False)


class HandbookEntry(SQLModel, table=True):
    """An answer worth keeping (sổ tay hướng dẫn), suggested before a ticket opens."""

    id: int | None = Field(default=None, primary_key=True)
    area_code: str = Field(index=True)
    question: str = _text()
    answer: str = _text()
    source: str = ""  # "#12" when published from ticket 12, or "import"
    ticket_id: int | None = Field(default=None, index=True)
    published_by: str = ""
    published_at: datetime | None = _ts(nullable=False)
    current: bool = Field(default=True, index=True)
    search_text: str = _text()  # folded terms, what the full-text index holds


class HandbookTerm(SQLModel, table=True):
    """How many current entries contain a term: rarer terms say more about a match."""

    term: str = Field(primary_key=True)
    df: int = 0


class HandbookUse(SQLModel, table=True):
    """Suggestions shown to a cadre and what came of them: "resolved" counts as deflected."""

    id: int | None = Field(default=None, primary_key=True)
    identity: str = Field(index=True)
    entry_ids: str = ""
    outcome: str = "shown"  # shown | resolved | asked
    ticket_id: int | None = None
    at: datetime | None = _ts(nullable=False, index=True)


class ReportJob(SQLModel, table=True):
    """A report file a supervisor asked for (/xuat, /bieudo), made off the request's
    transaction; kept here so a restart finishes what a crash interrupted."""

    __table_args__ = (Index("ix_reportjob_status", "status", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str  # "xuat" (Excel workbook) | "bieudo" (PNG chart)
    channel: str
    chat_id: str
    chat_kind: str = "private"
    thread_id: str | None = None
    requester: str  # "channel:id"
    period_start: datetime | None = _ts(nullable=False)
    period_end: datetime | None = _ts(nullable=False)
    period_label: str
    period_slug: str
    areas: str | None = None  # space-separated area codes of a supervisor limited to some
    status: str = "pending"  # pending | done | failed
    attempts: int = 0
    requested_at: datetime | None = _ts(nullable=False)
    finished_at: datetime | None = _ts()


class Instance(SQLModel, table=True):
    """A running bot process, seen by its heartbeat (`hotline status`); its row is removed at
    a clean stop, and a crashed one's simply stops being refreshed."""

    id: str = Field(primary_key=True)  # host:pid
    host: str
    pid: int
    leader: bool = False  # polls the platforms and runs the scheduler
    started_at: datetime | None = _ts(nullable=False)
    seen_at: datetime | None = _ts(nullable=False, index=True)
