"""Domain errors: raised anywhere in a handler, answered in Vietnamese in one place (core)."""

from __future__ import annotations

from handlers.texts import common


class HotlineError(Exception):
    """An error the user sees: a text of the catalog (handlers/texts), its fields filled in."""

    def __init__(self, text: str, **fields: object):
        if fields:
            text = text.format(**fields)
        super().__init__(text)
        self.text = text


class UsageError(HotlineError):
    def __init__(self, usage: str):
        super().__init__(common.USAGE, usage=usage)


class TicketNotFound(HotlineError):
    def __init__(self, number: int | str):
        super().__init__(common.TICKET_NOT_FOUND, number=number)


class NotAllowed(HotlineError):
    def __init__(self, what: str = common.NOT_ALLOWED):
        super().__init__(what)
