"""Logging set-up: plain lines or one JSON object per line, never a token.

Logs carry ticket numbers and identities, not message text; request URLs (which hold bot
tokens) are never logged, and as a last guard any configured secret is masked.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TextIO

# A bot token in a request path (`/bot<token>/method`, what an HTML error page echoes) and a
# Telegram-shaped token anywhere (`123456789:AA…`); Zalo's sit in the same path position.
_TOKEN_PATTERNS = (
    re.compile(r"(?<=/bot)[^/\s?#\"'<>]{6,}"),
    re.compile(r"(?<![0-9])\d{5,}:[A-Za-z0-9_-]{20,}"),
)
_known: set[str] = set()  # the configured secrets, once logging is set up


def mask(text: str, secrets: Iterable[str] = ()) -> str:
    """The text with every bot token and known secret replaced by ***."""
    for s in sorted({*_known, *(s for s in secrets if len(s) >= 6)}, key=len, reverse=True):
        text = text.replace(s, "***")
    for pattern in _TOKEN_PATTERNS:
        text = pattern.sub("***", text)
    return text


class SecretFilter(logging.Filter):
    """Masks secrets in the record itself: its message, its traceback and stack (formatted
    here, once, so that every formatter after this filter sees only the masked text)."""

    def __init__(self, secrets: Iterable[str]):
        super().__init__()
        self.secrets = [s for s in secrets if len(s) >= 6]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask(message, self.secrets)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask(record.exc_text, self.secrets)
        if record.stack_info:
            record.stack_info = mask(record.stack_info, self.secrets)
        return True


class MaskingFormatter(logging.Formatter):
    """The last guard: whatever the inner formatter produced, masked."""

    def __init__(self, inner: logging.Formatter, secrets: Iterable[str]):
        super().__init__()
        self.inner = inner
        self.secrets = [s for s in secrets if len(s) >= 6]

    def format(self, record: logging.LogRecord) -> str:
        return mask(self.inner.format(record), self.secrets)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(
    level: str, fmt: str, secrets: Iterable[str] = (), stream: TextIO | None = None
) -> None:
    secrets = [s for s in secrets if len(s) >= 6]
    _known.update(secrets)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(SecretFilter(secrets))
    inner = (
        JsonFormatter() if fmt == "json"
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    handler.setFormatter(MaskingFormatter(inner, secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # the HTTP libraries' own request logs may show URLs, which carry bot tokens; aiosqlite's
    # debug lines show every statement's parameters, which carry what people wrote
    for noisy in ("aiohttp.access", "aiohttp.client", "apscheduler", "aiosqlite", "asyncpg"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
