"""Waiting for what a running bot does, without fixed sleeps: poll a condition, bounded."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from typing import Any


async def eventually(check: Callable[[], Any], what: str, timeout: float = 600.0) -> Any:
    """Poll `check` until it returns something truthy; fail naming `what` after `timeout`
    (generous: it bounds a failure only; beside CPU burners a 2-core machine ran a minute's
    bound out)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not (value := check()):
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)
    return value


async def eventually_async(check: Callable[[], Awaitable[Any]], what: str, timeout: float = 600.0) -> Any:
    """`eventually` for a check that must await (an HTTP call, a query)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not (value := await check()):
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)
    return value


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
