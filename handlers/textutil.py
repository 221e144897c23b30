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
