"""Vietnamese text folding: cadres type with or without diacritics, so we compare folded."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_NON_WORD = re.compile(r"[^\w\s]")


def fold(text: str) -> str:
    """Lowercase, strip diacritics (đ → d), drop punctuation, squeeze spaces."""
    text = unicodedata.normalize("NFD", text.lower().replace("đ", "d").replace("Đ", "d"))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    text = _NON_WORD.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def normalize(text: str) -> str:
    """Lowercase with diacritics kept (NFC), squeezed spaces: for exact-name comparison."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text).lower()).strip()


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
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())
