"""Whole bots as subprocesses (`python -m bot run`), as operators run them: started, killed,
stopped, their logs read; and the Telegram config they share."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.fakes.telegram_server import FakeTelegram

SECRET = "tg-instances-secret-123"
BOSS = 900


def group_chat(i: int) -> int:
    """The working group of area i."""
    return -1000 - i


def area_word(i: int) -> str:
    """A word that routes a question to area i."""
    return f"chude{i:02d}"


def telegram_config(
    path: Path, server: FakeTelegram, db_url: str, *, areas: int = 1,
    webhook_port: int | None = None, ops_port: int | None = None, tick_seconds: float = 60,
    response_hours: float = 8, schedule: str = "", lease: float = 60,
) -> Path:
    """A bot on the fake Telegram server, polling or with a webhook listener on
    `webhook_port`; `areas` areas, each with its own group (Telegram allows ~20 messages a
    minute into one group: many cards need many groups); `schedule`: more [schedule] lines;
    `lease`: the sender's claim lease in seconds (how long a killed instance's rows wait)."""
    mode = (
        # the public https address a TLS proxy serves; the tests post to the port directly
        f'mode = "webhook"\nwebhook_url = "https://hotline.example.invalid/telegram"\n'
        f'webhook_host = "127.0.0.1"\nwebhook_port = {webhook_port}\nwebhook_secret = "{SECRET}"'
        if webhook_port else 'mode = "polling"'
    )
    ops = f'[ops]\nhost = "127.0.0.1"\nport = {ops_port}\n' if ops_port else ""
    areas_text = "".join(
        f'[[areas]]\ncode = "a{i:02d}"\nname = "Lĩnh vực {i:02d}"\nkeywords = ["{area_word(i)}"]\n'
        f'first_response_hours = {response_hours}\n'
        f'[[groups]]\nchannel = "telegram"\nchat_id = {group_chat(i)}\nname = "Tổ {i:02d}"\n'
        f'areas = ["a{i:02d}"]\n'
        for i in range(areas)
    )
    path.write_text(
        f"""
[database]
url = "{db_url}"
[telegram]
token = "{server.token}"
api_base = "{server.base_url}"
{mode}
[console]
enabled = false
[registration]
policy = "open"
[roles]
supervisors = ["telegram:{BOSS}"]
[limits]
flood_per_minute = 0
[outbox]
claim_lease_seconds = {lease}
[schedule]
business_hours = false
tick_seconds = {tick_seconds}
{schedule}
{ops}
{areas_text}
""",
        "utf-8",
    )
    return path


class BotProcess:
    """One `hotline run`; its output goes to `log`."""

    def __init__(self, config: Path, log: Path):
        self.config, self.log = config, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bot", "run", "--config", str(self.config)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, cwd=self.config.parent,
                env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},
            )

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def output(self) -> str:
        return self.log.read_text("utf-8") if self.log.exists() else ""

    def kill(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> int | None:
        """SIGTERM, wait; the exit code (None if it had to be killed)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=120)  # a bound: at load 15 a clean stop outlasted 30 s
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                return None
        return self.proc.returncode
