"""Data access used by the handlers and the runtime: small functions over one session."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Table, delete, func, insert, or_, select
from sqlalchemy.dialects.postgresql import Insert as PgInsert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.instrumentation import manager_of_class
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import SQLModel, col

from storage.db import defer, defer_insert, flush_deferred, is_deferred
from storage.models import (
    Ban,
    ChatState,
    Invite,
    MessageLink,
    OutboxMessage,
    ProcessedUpdate,
    ReportJob,
    Ticket,
    TicketEvent,
    TicketStatus,
    User,
)

EVENTS = TicketEvent.__table__  # type: ignore[attr-defined]
OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]
TICKETS = Ticket.__table__  # type: ignore[attr-defined]
_TICKET_COLUMNS = tuple(c.key for c in TICKETS.columns if c.key != "id")
_TICKET_DEFAULTS = {name: f.get_default(call_default_factory=True) for name, f in Ticket.model_fields.items()}
_TICKET_MANAGER = manager_of_class(Ticket)
_ADD_TICKET = insert(TICKETS).returning(TICKETS.c.id)
STATES = ChatState.__table__  # type: ignore[attr-defined]
PROCESSED = ProcessedUpdate.__table__  # type: ignore[attr-defined]
QUEUED = "hotline_queued"  # session.info: outgoing messages queued in this transaction

# --- inbound dedupe -------------------------------------------------------------------------


def _insert(session: AsyncSession, model: type[SQLModel] | Table) -> PgInsert | SqliteInsert:
    """INSERT for this session's dialect, so that ON CONFLICT is available (SQLite, PostgreSQL)."""
    dialect = session.get_bind().dialect.name
    return (pg_insert if dialect == "postgresql" else sqlite_insert)(model)


async def mark_processed(session: AsyncSession, key: str, now: datetime) -> bool:
    """Record a delivery; False when it was already handled (a redelivery).

    One INSERT … ON CONFLICT DO NOTHING: a concurrent delivery of the same update waits for
    the first one's transaction instead of failing it.
    """
    return (await mark_processed_many(session, [key], now))[0]


async def mark_processed_many(session: AsyncSession, keys: Sequence[str], now: datetime) -> list[bool]:
    """`mark_processed` for a batch's deliveries in one INSERT … ON CONFLICT DO NOTHING
    RETURNING: for each key, whether it is new (a key given twice is new only the first time)."""
    unique = list(dict.fromkeys(keys))
    if not unique:
        return []
    stmt = _insert(session, PROCESSED).on_conflict_do_nothing().returning(PROCESSED.c.key)
    new = set((await session.execute(stmt, [{"key": k, "at": now} for k in unique])).scalars())
    flags = []
    for key in keys:
        flags.append(key in new)
        new.discard(key)
    return flags


async def unmark_processed(session: AsyncSession, keys: Sequence[str]) -> None:
    """Forget deliveries recorded in this transaction that it did not handle (handled next)."""
    if keys:
        await session.execute(delete(ProcessedUpdate).where(col(ProcessedUpdate.key).in_(keys)))


# --- what a batch looks up, loaded at once --------------------------------------------------

PRELOADED = "hotline_preloaded"  # session.info: the rows `preload` loaded (the identity map is weak)
USERS = "hotline_users"  # session.info: identity → its User, or None for none
NOT_BANNED = "hotline_not_banned"  # session.info: identities known to have no ban
NO_STATE = "hotline_no_state"  # session.info: chat-state keys known to have no row


async def preload(session: AsyncSession, identities: Sequence[str], state_keys: Sequence[str]) -> None:
    """What a batch's messages look up one by one — the speakers' users and bans, their chat
    states — in one SELECT each; `get_user`, `is_banned` and `get_state` then answer from the
    session for the rest of the transaction (the writes below keep those answers true)."""
    who, keys = set(identities), set(state_keys)
    users = (await session.execute(select(User).where(col(User.identity).in_(who)))).scalars().all()
    bans = (await session.execute(select(Ban).where(col(Ban.identity).in_(who)))).scalars().all()
    states = (await session.execute(select(ChatState).where(col(ChatState.key).in_(keys)))).scalars().all()
    session.info.setdefault(PRELOADED, []).extend([*users, *bans, *states])
    known = session.info.setdefault(USERS, {})
    for identity in who:
        known.setdefault(identity, None)
    known.update({u.identity: u for u in users})
    session.info.setdefault(NOT_BANNED, set()).update(who - {b.identity for b in bans})
    session.info.setdefault(NO_STATE, set()).update(keys - {s.key for s in states})


# --- users ----------------------------------------------------------------------------------


def add_user(session: AsyncSession, user: User) -> None:
    session.add(user)
    session.info.get(USERS, {}).pop(user.identity, None)  # looked up from now on (flushed first)


async def get_user(session: AsyncSession, identity: str) -> User | None:
    known: dict[str, User | None] = session.info.get(USERS, {})
    if identity in known:
        return known[identity]
    return (await session.execute(select(User).where(col(User.identity) == identity))).scalar_one_or_none()


async def user_by_id(session: AsyncSession, user_id: int) -> User | None:
    return await session.get(User, user_id)


async def is_banned(session: AsyncSession, identity: str) -> bool:
    if identity in session.info.get(NOT_BANNED, ()):
        return False
    return await session.get(Ban, identity) is not None


async def ban(session: AsyncSession, identity: str, by: str, reason: str, now: datetime) -> None:
    """Ban someone (a ban already in place is kept as it was)."""
    if not await is_banned(session, identity):
        session.info.get(NOT_BANNED, set()).discard(identity)
        session.add(Ban(identity=identity, by=by, reason=reason, at=now))


async def unban(session: AsyncSession, identity: str) -> bool:
    """Lift a ban; False when there was none."""
    row = await session.get(Ban, identity)
    if row is None:
        return False
    await session.delete(row)
    return True


def add_invite(session: AsyncSession, invite: Invite) -> None:
    session.add(invite)


async def get_invite(session: AsyncSession, code: str) -> Invite | None:
    return await session.get(Invite, code.upper())


# --- conversation state ---------------------------------------------------------------------


async def get_state(session: AsyncSession, key: str) -> ChatState | None:
    if key in session.info.get(NO_STATE, ()):
        return None
    if is_deferred(session, (STATES, key)):
        await flush_deferred(session)
    return await session.get(ChatState, key)


async def set_state(
    session: AsyncSession, key: str, now: datetime, *, state: str | None = None,
    data: dict[str, object] | None = None, choices: Sequence[str] | None = None,
) -> None:
    """Update only the parts given; a state row is created on first use.

    One INSERT … ON CONFLICT DO UPDATE: two transactions creating the same row (the first
    cards into a group) no longer fail one of them with a unique-key error. Deferred to the
    commit with the transaction's other chat states (`get_state` writes them first).
    """
    values: dict[str, object] = {"updated_at": now}
    if state is not None:
        values["state"] = state
    if data is not None:
        values["data"] = json.dumps(data, ensure_ascii=False)
    if choices is not None:
        values["choices"] = json.dumps(list(choices), ensure_ascii=False)
    if is_deferred(session, (STATES, key)):  # this chat's earlier write goes first
        await flush_deferred(session)
    defer(session, _state_upsert(session, tuple(values)), {"key": key, **values}, key=(STATES, key))
    session.info.get(NO_STATE, set()).discard(key)  # the row will exist: read it when asked
    # a row this session already loaded shows the new values, without a flush or a reload
    loaded = session.identity_map.get(session.identity_key(ChatState, key))
    if loaded is not None:
        for name, value in values.items():
            set_committed_value(loaded, name, value)


_UPSERTS: dict[tuple[str, tuple[str, ...]], PgInsert | SqliteInsert] = {}


def _state_upsert(session: AsyncSession, names: tuple[str, ...]) -> PgInsert | SqliteInsert:
    """The chat-state upsert of these columns, built once per dialect and columns and given
    its values as parameters (built with its values each time, it cost ~600 Python calls)."""
    dialect = session.get_bind().dialect.name
    stmt = _UPSERTS.get((dialect, names))
    if stmt is None:
        insert_ = _insert(session, STATES)
        stmt = _UPSERTS[(dialect, names)] = insert_.on_conflict_do_update(
            index_elements=["key"], set_={name: insert_.excluded[name] for name in names})
    return stmt


# --- tickets --------------------------------------------------------------------------------


def new_ticket(**values: object) -> Ticket:
    """A ticket for `add_ticket`, built the way the ORM builds the rows it loads (the model's
    defaults, then `values`): SQLModel's constructor validates and instruments each of the
    ~30 fields, ~680 Python calls a ticket."""
    ticket: Ticket = _TICKET_MANAGER.new_instance()
    ticket.__dict__.update(_TICKET_DEFAULTS, **values)
    return ticket


async def add_ticket(session: AsyncSession, ticket: Ticket) -> int:
    """Store a new ticket; its number (the database gives it at once, for the history). One
    INSERT … RETURNING, not the unit of work: the ticket is not kept in the session (changes
    to it later in this transaction are not saved; load it with `get_ticket` to change it)."""
    row = ticket.__dict__
    number: int = (await session.execute(_ADD_TICKET, {c: row[c] for c in _TICKET_COLUMNS})).scalar_one()
    set_committed_value(ticket, "id", number)
    return number


async def get_ticket(session: AsyncSession, number: int) -> Ticket | None:
    return await session.get(Ticket, number)


async def add_event(
    session: AsyncSession, ticket_id: int, kind: str, actor: str, now: datetime,
    text: str = "", actor_name: str = "",
) -> None:
    """A history line, written with the transaction's other lines in one INSERT (deferred)."""
    defer_insert(session, EVENTS, {"ticket_id": ticket_id, "kind": kind, "actor": actor,
                                   "actor_name": actor_name, "text": text, "at": now})


async def ticket_events(session: AsyncSession, ticket_id: int) -> Sequence[TicketEvent]:
    await flush_deferred(session)  # the lines this transaction added are history too
    q = select(TicketEvent).where(col(TicketEvent.ticket_id) == ticket_id).order_by(col(TicketEvent.id))
    return (await session.execute(q)).scalars().all()


async def last_answer(session: AsyncSession, ticket_id: int) -> str | None:
    """The text of the newest answer given on a ticket."""
    await flush_deferred(session)
    q = (
        select(col(TicketEvent.text))
        .where(col(TicketEvent.ticket_id) == ticket_id, col(TicketEvent.kind) == "answer")
        .order_by(col(TicketEvent.id).desc())
    )
    return (await session.execute(q)).scalars().first()


async def tickets_of_asker(session: AsyncSession, user_id: int, limit: int = 15) -> Sequence[Ticket]:
    q = select(Ticket).where(col(Ticket.asker_id) == user_id).order_by(col(Ticket.id).desc()).limit(limit)
    return (await session.execute(q)).scalars().all()


async def open_tickets_of_group(session: AsyncSession, group_key: str) -> Sequence[Ticket]:
    q = (
        select(Ticket)
        .where(col(Ticket.group_key) == group_key, col(Ticket.status).in_(TicketStatus.OPEN))
        .order_by(col(Ticket.id))
    )
    return (await session.execute(q)).scalars().all()


async def overdue_tickets(session: AsyncSession, now: datetime, limit: int = 50) -> Sequence[Ticket]:
    q = (
        select(Ticket)
        .where(col(Ticket.status).in_(TicketStatus.OPEN), col(Ticket.due_at) < now)
        .order_by(col(Ticket.due_at))
        .limit(limit)
    )
    return (await session.execute(q)).scalars().all()


async def counts_since(
    session: AsyncSession, since: datetime
) -> tuple[dict[str, int], dict[str, int]]:
    """Tickets created since a moment, counted by status and by area."""
    base = select(func.count()).select_from(Ticket).where(col(Ticket.created_at) >= since)
    rows = await session.execute(base.add_columns(col(Ticket.status)).group_by(col(Ticket.status)))
    by_status = {status: n for n, status in rows.all()}
    by_area = {
        a: n
        for n, a in (
            await session.execute(base.add_columns(col(Ticket.area_code)).group_by(col(Ticket.area_code)))
        ).all()
    }
    return by_status, by_area


async def ticket_for_message(
    session: AsyncSession, channel: str, chat_id: str, message_id: str
) -> Ticket | None:
    link = await session.get(MessageLink, (channel, chat_id, message_id))
    return None if link is None else await session.get(Ticket, link.ticket_id)


# --- outbox ---------------------------------------------------------------------------------


def queue(
    session: AsyncSession, *, channel: str, chat_id: str, text: str, now: datetime,
    chat_kind: str = "private", thread_id: str | None = None, choices: str = "[]",
    copy_from: str | None = None, ticket_id: int | None = None, file_path: str | None = None,
    file_kind: str = "document", photo_url: str | None = None,
) -> None:
    """An outgoing message, written in the transaction of the change that caused it (deferred:
    the transaction's messages go in one INSERT before its commit, in the order queued)."""
    defer_insert(session, OUTBOX, {
        "channel": channel, "chat_id": chat_id, "chat_kind": chat_kind, "thread_id": thread_id,
        "text": text, "choices": choices, "copy_from": copy_from, "file_path": file_path,
        "file_kind": file_kind, "photo_url": photo_url, "ticket_id": ticket_id,
        "status": "pending", "attempts": 0, "last_error": None, "created_at": now,
        "next_attempt_at": now, "sent_at": None, "claimed_by": None, "claimed_until": None,
    })
    session.info[QUEUED] = session.info.get(QUEUED, 0) + 1


def queue_message(session: AsyncSession, message: OutboxMessage) -> None:
    """`queue` for a message built as a row (pending, due at its creation)."""
    assert message.created_at is not None and message.next_attempt_at == message.created_at
    queue(session, channel=message.channel, chat_id=message.chat_id, text=message.text,
          now=message.created_at, chat_kind=message.chat_kind, thread_id=message.thread_id,
          choices=message.choices, copy_from=message.copy_from, ticket_id=message.ticket_id,
          file_path=message.file_path, file_kind=message.file_kind, photo_url=message.photo_url)


def queued(session: AsyncSession) -> int:
    """How many outgoing messages this transaction has queued."""
    return int(session.info.get(QUEUED, 0))


def add_report_job(session: AsyncSession, job: ReportJob) -> None:
    session.add(job)


async def get_report_job(session: AsyncSession, job_id: int) -> ReportJob | None:
    return await session.get(ReportJob, job_id)


def _routing_label_filter() -> ColumnElement[bool]:
    """Tickets whose area a person confirmed: chosen by the cadre, corrected by staff, or
    answered by the group it was routed to (old tickets, before routed_by, count by the answer)."""
    return or_(
        col(Ticket.routed_by).in_(("cadre", "transfer")),
        col(Ticket.first_response_at).is_not(None),
    )


async def count_routing_labels(session: AsyncSession) -> int:
    query = select(func.count()).select_from(Ticket).where(_routing_label_filter())
    return int((await session.execute(query)).scalar_one())


async def routing_labels(session: AsyncSession) -> list[tuple[int, str, str, str | None]]:
    """(ticket id, question, final area, how it was decided) of every labelled ticket."""
    query = select(col(Ticket.id), col(Ticket.question), col(Ticket.area_code), col(Ticket.routed_by)).where(
        _routing_label_filter()
    ).order_by(col(Ticket.id))
    # (an id is never NULL; the test only tells the type checker so)
    return [(i, q, a, r) for i, q, a, r in (await session.execute(query)).all() if i is not None]
