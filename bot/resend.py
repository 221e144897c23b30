"""Rows the outbox gave up on during a past outage go out again.

Before non-JSON answers (an HTML 502 page) were known to be an outage, the sender gave such a
row up after a dozen tries, recording only the error's name; the message was never sent. At
start those rows are queued again, in their order, and the outage's end delivers them.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import update
from sqlmodel import col

from bot.channels.base import TRANSIENT_NAMES
from handlers.texts import ops
from storage.db import Database
from storage.models import OutboxMessage

log = logging.getLogger(__name__)



async def resend_outage_failures(db: Database, now: datetime) -> int:
    """Queue again every failed row whose recorded error was an outage; how many."""
    reasons = [ops.GIVEN_UP.format(error=name) for name in sorted(TRANSIENT_NAMES)]
    async with db.session() as session:
        result = await session.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.status) == "failed", col(OutboxMessage.last_error).in_(reasons))
            .values(status="pending", attempts=0, next_attempt_at=now)
        )
    count = result.rowcount or 0  # type: ignore[attr-defined]
    if count:
        log.warning("outbox: %d message(s) given up during a past outage are sent again", count)
    return count
