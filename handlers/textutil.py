"""Text as the handlers keep and show it. Folding (`fold`) is storage's: the handbook index
stores folded terms; it is imported here too, where the handlers have always found it."""

from __future__ import annotations

import re

from storage.folding import fold as fold

_BAD_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")


def storable(text: str) -> str:
    """Text every database keeps and every platform sends: a lone UTF-16 surrogate becomes
    U+FFFD, NUL and other control characters (PostgreSQL refuses NUL) are dropped; tabs and
    line breaks stay (\r\n becomes \n)."""
    if not _BAD_CHARS.search(text):
        return text
    return _BAD_CHARS.sub(lambda m: "\ufffd" if m[0] >= "\ud800" else "", text.replace("\r\n", "\n"))


def one_line(text: str) -> str:
    """User text shown inside one line of a card: no line breaks, no invisible characters."""
    joined = " ".join(text.split())
    # Every whitespace character but the space is unprintable, and split() cuts at each, so
    # unless the text holds another unprintable character (rare) that is the answer: the
    # per-character pass took a tenth of a month's export.
    if joined.isprintable():
        return joined
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())
