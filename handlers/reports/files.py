"""Where report files go: a fresh name each, old ones pruned."""

from __future__ import annotations

import time as systime
import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from handlers.reports.periods import Period

KEEP_DAYS = 7  # generated files older than this are removed when a new one is made


def output_path(
    folder: str | Path, stem: str, period: Period, now: datetime, tz: ZoneInfo, suffix: str
) -> Path:
    """A fresh file name in the exports folder (created), pruning files older than KEEP_DAYS."""
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    cutoff = systime.time() - KEEP_DAYS * 86400
    for old in target.glob("hotline-*"):
        try:
            if old.is_file() and old.stat().st_mtime < cutoff:
                old.unlink()
        except OSError:
            pass  # another export removed it, or it is in use: not worth failing a report
    stamp = now.astimezone(tz).strftime("%Y%m%d-%H%M%S")
    return target / f"hotline-{stem}-{period.slug}-{stamp}-{uuid.uuid4().hex[:6]}{suffix}"
