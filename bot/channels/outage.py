"""Telling the supervisors when a platform stays unreachable, and when it is back.

A channel reports each failed and each good call; one short failure says nothing (the
loops retry on their own), so the supervisors hear of an outage once it has lasted
`after` seconds, once more when the platform answers again, and once if the token is
refused. Messages never wait on this: the outbox keeps them until the platform is back.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from bot.channels.base import Failure, SendError
from handlers.texts import supervisor as t

log = logging.getLogger(__name__)

Alert = Callable[[str], Awaitable[None]]  # writes a notice to every supervisor (the outbox)


def _duration(seconds: float) -> str:
    if seconds < 60:
        return t.SECONDS.format(n=max(1, round(seconds)))
    minutes = round(seconds / 60)
    if minutes < 120:
        return t.MINUTES.format(n=minutes)
    return t.HOURS_MINUTES.format(hours=minutes // 60, minutes=minutes % 60)


class OutageWatch:
    """Failures and successes of one channel's calls, turned into at most two notices."""

    def __init__(
        self,
        label: str,
        alert: Alert | None,
        after: float,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self.label = label  # "Zalo"
        self.alert = alert
        self.after = after
        self.monotonic = monotonic
        self.down_since: float | None = None
        self.alerted = False  # the supervisors were told of the current outage
        self.token_alerted = False
        self.notices = 0  # how many notices went out (tests, status)

    async def failed(self, reason: str) -> None:
        """A transient failure: after `after` seconds of nothing but these, one notice."""
        now = self.monotonic()
        if self.down_since is None:
            self.down_since = now
        if self.alerted or now - self.down_since < self.after:
            return
        since = self.down_since
        # claimed before the await: a send failing meanwhile (the sender runs beside polling)
        # must not tell the supervisors a second time; given back if the notice was not queued
        self.alerted = True
        told = await self._tell(
            t.CHANNEL_DOWN.format(channel=self.label, lasted=_duration(now - since),
                                  reason=reason[:200])
        )
        if self.down_since == since:  # not over meanwhile (succeeded() resets it all)
            self.alerted = told
        if told:
            log.error("%s: unreachable for %.0fs; supervisors told", self.label.lower(), now - since)

    async def succeeded(self) -> None:
        """A good call: the outage (if any) is over; tell them if they were told it began."""
        if self.down_since is None:
            return
        seconds = self.monotonic() - self.down_since
        was_alerted, self.down_since, self.alerted = self.alerted, None, False
        if was_alerted:
            lasted = _duration(seconds)
            log.warning("%s: reachable again after %.0fs", self.label.lower(), seconds)
            await self._tell(
                t.CHANNEL_BACK.format(channel=self.label, lasted=lasted)
            )

    async def send_error(self, kind: Failure, reason: str, wait: float | None = None) -> SendError:
        """A failed send, as classify() judged it, as the outbox understands it; the outage
        and token notices told on the way. `wait`: how long to hold the message back."""
        if kind is Failure.UNAUTHORIZED:
            # a bad token is fixed by the operator and a restart; keep the message till then
            await self.unauthorized()
            return SendError(reason, retry_after=300.0)
        if kind is Failure.PERMANENT:  # bot blocked, chat not found, bad request, file too big
            return SendError(reason, permanent=True)
        if kind is Failure.TRANSIENT:
            await self.failed(reason)
        return SendError(reason, retry_after=wait)

    async def unauthorized(self) -> None:
        """The token was refused: the channel stops; one notice so someone fixes it."""
        if self.token_alerted:
            return
        self.token_alerted = True  # claimed before the await, as in failed()
        self.token_alerted = await self._tell(
            t.TOKEN_REFUSED.format(channel=self.label)
        )

    async def _tell(self, text: str) -> bool:
        if self.alert is None:
            return True
        try:
            await self.alert(text)
        except Exception as err:  # the database may be down too: try again on the next failure
            log.warning("%s: could not queue the supervisors' notice: %s",
                        self.label.lower(), type(err).__name__)
            return False
        self.notices += 1
        return True
