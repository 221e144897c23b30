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
    """Wrong arguments. Raised without a usage inside a command, it is answered with that
    command's usage line from the registry (handlers/commands.py); `more` is added after it."""

    def __init__(self, usage: str | None = None, more: str = ""):
        if usage is None:
            super().__init__("")
        else:
            super().__init__(common.USAGE, usage=usage + more)
        self.usage = usage
        self.more = more


class TicketNotFound(HotlineError):
    def __init__(self, number: int | str):
        super().__init__(common.TICKET_NOT_FOUND, number=number)


class NotAllowed(HotlineError):
    def __init__(self, what: str = common.NOT_ALLOWED):
        super().__init__(what)
