"""Vietnamese text folding: cadres type with or without diacritics, so text is compared folded.

It lives in storage because the handbook index stores folded terms: the folded form is a
format of stored data, and handlers fold what they compare with the same function.
"""

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
