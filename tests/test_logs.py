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
