"""Vietnamese text folding: cadres type with or without diacritics, so text is compared folded.

It lives in storage because the handbook index stores folded terms: the folded form is a
format of stored data, and handlers fold what they compare with the same function.
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_NON_WORD = re.compile(r"[^\w\s]")


class _Marks(dict[int, str | None]):
    """A `str.translate` table that drops combining marks (category Mn) and keeps the rest,
    filled on the first sight of each character: the pass over the characters runs in C
    (a generator over them was ~450 Python calls per question)."""

    def __missing__(self, code: int) -> str | None:
        char = chr(code)
        kept = None if unicodedata.category(char) == "Mn" else char
        self[code] = kept
        return kept


_MARKS = _Marks()


def fold(text: str) -> str:
    """Lowercase, strip diacritics (đ → d), drop punctuation, squeeze spaces."""
    text = unicodedata.normalize("NFD", text.lower().replace("đ", "d").replace("Đ", "d"))
    text = text.translate(_MARKS)
    text = _NON_WORD.sub(" ", text)
    return _SPACES.sub(" ", text).strip()
