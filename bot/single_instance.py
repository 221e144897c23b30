"""SQLite serves one running bot: a second `hotline run` on the same file refuses to start.

Two processes on one SQLite file both poll and both send (doubled acks and cards); the
lock file next to the database is held with flock for the life of the process, so the kernel
releases it when the process dies, even by SIGKILL — no stale lock to clean up.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO


class AlreadyRunning(Exception):
    """One line: which file, and what to do instead."""


class SingleInstance:
    def __init__(self, database: str):
        self.path = Path(database).with_name(Path(database).name + ".lock")
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        file = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            file.seek(0)
            holder = file.read().strip() or "?"
            file.close()
            raise AlreadyRunning(
                f"another hotline (pid {holder}) already runs on {self.path.with_suffix('')}: "
                "SQLite serves one instance; to run several, use PostgreSQL "
                "([database] url = \"postgresql+asyncpg://…\")"
            ) from None
        file.truncate(0)
        file.write(f"{os.getpid()}\n")
        file.flush()
        self._file = file

    def release(self) -> None:
        if self._file is not None:
            self._file.close()  # closing the descriptor drops the flock
            self._file = None
