"""Logs: JSON lines on request, secrets masked even if some code tried to log them."""

from __future__ import annotations

import json
import logging

from bot.logs import JsonFormatter, SecretFilter


def test_secret_filter_masks_tokens_and_json_lines_parse():
    record = logging.LogRecord("x", logging.ERROR, __file__, 1,
                               "POST https://api/bot%s/sendMessage failed", ("123:ABCDEF",), None)
    assert SecretFilter(["123:ABCDEF"]).filter(record)
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert "123:ABCDEF" not in line and entry["msg"].endswith("bot***/sendMessage failed")
    assert entry["level"] == "ERROR"


def test_tracebacks_and_send_errors_never_carry_a_token():
    """An exception whose text echoes the request path (an HTML error page, a network error
    naming the URL), logged with its traceback and kept as a send error's reason."""
    import io

    from aiogram.exceptions import TelegramNetworkError
    from aiogram.methods import SendMessage

    from bot.channels.telegram import _reason  # a send error's reason
    from bot.logs import setup_logging
    from tests.fakes.telegram_server import TOKEN

    root = logging.getLogger()
    saved = root.handlers[:], root.level
    stream = io.StringIO()
    try:
        for fmt in ("text", "json"):
            setup_logging("INFO", fmt, [], stream=stream)  # no secrets given: the shape is enough
            try:
                raise RuntimeError(f"<html><p>POST /bot{TOKEN}/sendMessage</p></html>")
            except RuntimeError:
                logging.getLogger("x").exception("send failed for %s", f"bot{TOKEN}")
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    log = stream.getvalue()
    assert "RuntimeError" in log and "/bot***/sendMessage" in log
    assert TOKEN not in log and TOKEN.split(":")[1] not in log
    err = TelegramNetworkError(SendMessage(chat_id=1, text="x"),
                               f"ClientOSError: Can not write request body for http://h/bot{TOKEN}/sendMessage")
    assert TOKEN.split(":")[1] not in _reason(err)
