"""A fake Zalo Bot API on 127.0.0.1: the real paths and envelopes, driven by the test.

    server = FakeZaloServer()
    await server.start()                  # server.base_url goes into [zalo] api_base
    server.queue(text_event("u1", "hi"))  # the next getUpdates answers it
    server.fail(2, method="sendMessage")  # the next two sendMessage calls answer HTTP 500
    await server.deliver(event)           # POST to the webhook the bot registered
    server.texts_to("u1")                 # what the bot sent to that chat

Like Zalo: `getUpdates` answers one event per call, or waits out its `timeout` (capped by
`max_poll_seconds` so tests stay quick) and answers `{"ok": false, "error_code": 408}`; it is
refused while a webhook is set; `sendMessage` text must be 1–2,000 UTF-16 code units; a wrong
token is answered 401.

Two shapes, as in ../shared/platforms.md: `live=True` plays the service as captured in live
traffic (webhook bodies flat, `{"event_name": …, "message": …}`; media in `photo_url` /
`voice_url`; the empty poll's 408 envelope with HTTP status 200), the default plays the docs
(webhook bodies wrapped in `{"ok": true, "result": …}`, media in `photo` / `url`, HTTP 408).
`proxy` plays the TLS reverse proxy in front of the bot: webhook calls for the registered
https:// URL go to that local address instead.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

TOKEN = "1459232241454765289:FakeZaloTokenAbcdefGhijklmnOpqrstuvWxyz"
TEXT_LIMIT = 2000
_REGISTERED = object()  # deliver(): use the secret the bot registered


@dataclass
class Sent:
    """One message the bot posted."""

    method: str
    chat_id: str
    text: str
    message_id: str
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass
class Failure:
    method: str | None  # None: whatever method comes next
    status: int
    error_code: int | None  # None: a bare HTTP error page, no envelope
    description: str
    retry_after: float | None
    skip: int = 0  # matching calls let through before this one fails
    stall: float = 0.0  # seconds to hang first (longer than the client waits: a timeout)


_ids = itertools.count(1)


def _message_id() -> str:
    return f"{next(_ids):020x}"


def message_event(
    event_name: str,
    user_id: str,
    *,
    chat_id: str | None = None,
    chat_type: str = "PRIVATE",
    display_name: str | None = None,
    message_id: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """An update as Zalo sends it (the `result` of getUpdates, or of a webhook call's body)."""
    message: dict[str, Any] = {
        "message_id": message_id or _message_id(),
        "date": int(time.time() * 1000),
        "from": {"id": user_id, "display_name": display_name or user_id.capitalize(),
                 "is_bot": False},
        "chat": {"id": chat_id or user_id, "chat_type": chat_type},
    }
    message.update(fields)
    return {"event_name": event_name, "message": message}


def text_event(user_id: str, text: str, **kw: Any) -> dict[str, Any]:
    return message_event("message.text.received", user_id, text=text, **kw)


def image_event(user_id: str, url: str, caption: str = "", *, live: bool = True,
                **kw: Any) -> dict[str, Any]:
    """Live traffic: `photo_url` and `message_type: "CHAT_PHOTO"`; the docs: `photo`."""
    media = {"photo_url": url, "message_type": "CHAT_PHOTO"} if live else {"photo": url}
    return message_event("message.image.received", user_id, caption=caption, **media, **kw)


def voice_event(user_id: str, url: str, *, live: bool = True, **kw: Any) -> dict[str, Any]:
    """Live traffic: `voice_url` (an .aac file); the docs: `url`."""
    media = {"voice_url": url} if live else {"url": url}
    return message_event("message.voice.received", user_id, **media, **kw)


def sticker_event(user_id: str, sticker: str, url: str, **kw: Any) -> dict[str, Any]:
    return message_event("message.sticker.received", user_id, sticker=sticker, url=url, **kw)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class FakeZaloServer:
    def __init__(self, token: str = TOKEN, *, max_poll_seconds: float = 0.3, live: bool = False):
        self.token = token
        self.max_poll_seconds = max_poll_seconds
        self.live = live
        self.empty_poll_status = 200 if live else 408  # the 408 envelope's HTTP status
        self.proxy: str | None = None  # "http://127.0.0.1:PORT": where webhook calls go
        self.sent: list[Sent] = []
        self.calls: list[str] = []  # every method called with the right token, in order
        self.call_times: list[tuple[str, float, int]] = []  # (method, loop time, HTTP status)
        self.empty_polls = 0
        self.webhook: dict[str, Any] | None = None
        self.forbidden_chats: set[str] = set()  # sendMessage there answers 403
        self._failures: list[Failure] = []
        self._outage: tuple[float, tuple[int, ...], str | None] | None = None
        self.outage_calls = 0
        self._updates: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/{bot}/{method}", self._handle)
        # access_log=None: this plays Zalo's side, whose request paths hold the token.
        # handler_cancellation: a poll whose client went away must not swallow an event.
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=1
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # what the test drives

    def queue(self, event: dict[str, Any]) -> dict[str, Any]:
        """Deliver `event` to the next getUpdates call."""
        self._updates.put_nowait(event)
        return event

    def fail_for(self, seconds: float, statuses: tuple[int, ...] = (403, 500, 502, 503),
                 method: str | None = None) -> None:
        """From now on, for `seconds`, every call (of `method`) fails, cycling through
        `statuses` (403 with Zalo's own envelope, the 5xx as bare error pages)."""
        self._outage = (asyncio.get_running_loop().time() + seconds, statuses, method)

    def fail(
        self,
        times: int = 1,
        *,
        method: str | None = None,
        status: int = 500,
        error_code: int | None = None,
        description: str = "",
        retry_after: float | None = None,
        skip: int = 0,
        stall: float = 0.0,
    ) -> None:
        """Answer the next `times` calls (of `method`), after `skip` good ones, with an error."""
        for i in range(times):
            self._failures.append(
                Failure(method, status, error_code, description, retry_after, skip if i == 0 else 0,
                        stall)
            )

    @property
    def pending_failures(self) -> int:
        return len(self._failures)

    async def deliver(
        self, event: dict[str, Any], *, secret: Any = _REGISTERED, body: bytes | None = None
    ) -> int:
        """POST one event to the registered webhook, as Zalo does; the bot's HTTP status."""
        assert self.webhook is not None, "no webhook registered"
        headers = {"Content-Type": "application/json"}
        token = self.webhook["secret_token"] if secret is _REGISTERED else secret
        if token is not None:
            headers["X-Bot-Api-Secret-Token"] = token
        update = event if self.live else {"ok": True, "result": event}
        data = body if body is not None else json.dumps(update).encode()
        url = self.webhook["url"]
        if self.proxy is not None:  # TLS ends at the proxy, which forwards the path over HTTP
            url = self.proxy + urlsplit(url).path
        async with (
            aiohttp.ClientSession() as session,
            session.post(url, data=data, headers=headers) as resp,
        ):
            await resp.read()
            return resp.status

    def texts_to(self, chat_id: str) -> list[str]:
        return [s.text for s in self.sent if s.chat_id == chat_id]

    # the API

    async def _handle(self, request: web.Request) -> web.Response:
        prefix, method = request.match_info["bot"], request.match_info["method"]
        if not prefix.startswith("bot") or prefix[3:] != self.token:
            return self._error(401, 401, "Unauthorized")
        self.calls.append(method)
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return self._error(400, 400, "Bad Request: body must be JSON")
        if not isinstance(body, dict):
            return self._error(400, 400, "Bad Request: body must be a JSON object")
        failure = self._outage_failure(method) or self._take_failure(method)
        now = asyncio.get_running_loop().time()
        self.call_times.append((method, now, failure.status if failure else 200))
        if failure is not None:
            if failure.stall:
                await asyncio.sleep(failure.stall)  # nothing recorded: the request is lost
            if failure.error_code is None:
                return web.Response(status=failure.status, text="upstream failure")
            params = {"retry_after": failure.retry_after} if failure.retry_after else None
            return self._error(failure.status, failure.error_code,
                               failure.description or "Injected failure", params)
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return self._error(404, 404, f"Not Found: method {method}")
        return await handler(body)

    def _outage_failure(self, method: str) -> Failure | None:
        if self._outage is None:
            return None
        until, statuses, only = self._outage
        if asyncio.get_running_loop().time() >= until:
            self._outage = None
            return None
        if only not in (None, method):
            return None
        status = statuses[self.outage_calls % len(statuses)]
        self.outage_calls += 1
        if status < 500:  # Zalo's table: 403 "Internal server error", 404, 429 in envelopes
            return Failure(method, status, status, "Internal server error", None)
        return Failure(method, status, None, "", None)

    def _take_failure(self, method: str) -> Failure | None:
        for i, failure in enumerate(self._failures):
            if failure.method in (None, method):
                if failure.skip:
                    failure.skip -= 1
                    return None
                return self._failures.pop(i)
        return None

    @staticmethod
    def _ok(result: Any = None) -> web.Response:
        data: dict[str, Any] = {"ok": True}
        if result is not None:
            data["result"] = result
        return web.json_response(data)

    @staticmethod
    def _error(
        status: int, code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> web.Response:
        data: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
        if parameters:
            data["parameters"] = parameters
        return web.json_response(data, status=status)

    @staticmethod
    def _now_ms() -> int:
        return int(time.time() * 1000)

    async def _m_getMe(self, body: dict[str, Any]) -> web.Response:
        return self._ok({"id": self.token.split(":")[0], "account_name": "bot.FakeHotline",
                         "account_type": "BASIC", "can_join_groups": False})

    async def _m_getUpdates(self, body: dict[str, Any]) -> web.Response:
        if self.webhook is not None:
            return self._error(409, 409, "Conflict: getUpdates is disabled while a webhook is set")
        try:
            wait = min(float(body.get("timeout", 30)), self.max_poll_seconds)
        except (TypeError, ValueError):
            return self._error(400, 400, "Bad Request: timeout must be a number")
        try:
            event = await asyncio.wait_for(self._updates.get(), timeout=max(wait, 0))
        except TimeoutError:
            self.empty_polls += 1
            return self._error(self.empty_poll_status, 408, "Request timeout")
        return self._ok(event)

    async def _m_setWebhook(self, body: dict[str, Any]) -> web.Response:
        url, secret = body.get("url"), body.get("secret_token")
        if not isinstance(url, str) or not url:
            return self._error(400, 400, "Bad Request: url is required")
        if not isinstance(secret, str) or not 8 <= len(secret) <= 256:
            return self._error(400, 400, "Bad Request: secret_token must be 8-256 characters")
        self.webhook = {"url": url, "secret_token": secret, "updated_at": self._now_ms()}
        return self._ok({"url": url, "updated_at": self.webhook["updated_at"]})

    async def _m_deleteWebhook(self, body: dict[str, Any]) -> web.Response:
        self.webhook = None
        return self._ok({"url": "", "updated_at": self._now_ms()})

    async def _m_getWebhookInfo(self, body: dict[str, Any]) -> web.Response:
        if self.webhook is None:
            return self._ok({"url": "", "updated_at": self._now_ms()})
        return self._ok({"url": self.webhook["url"], "updated_at": self.webhook["updated_at"]})

    def _check_chat(self, body: dict[str, Any]) -> web.Response | str:
        chat_id = body.get("chat_id")
        if not isinstance(chat_id, str) or not chat_id:
            return self._error(400, 400, "Bad Request: chat_id is required")
        if chat_id in self.forbidden_chats:
            return self._error(403, 403, "Forbidden: the user has not allowed messages")
        return chat_id

    def _record(self, method: str, chat_id: str, text: str, body: dict[str, Any]) -> web.Response:
        message_id = _message_id()
        self.sent.append(Sent(method, chat_id, text, message_id, body))
        return self._ok({"message_id": message_id, "date": self._now_ms()})

    async def _m_sendMessage(self, body: dict[str, Any]) -> web.Response:
        chat = self._check_chat(body)
        if isinstance(chat, web.Response):
            return chat
        text = body.get("text")
        if not isinstance(text, str) or not 1 <= utf16_len(text) <= TEXT_LIMIT:
            return self._error(400, 400, "Bad Request: text must be 1-2000 characters")
        return self._record("sendMessage", chat, text, body)

    async def _m_sendPhoto(self, body: dict[str, Any]) -> web.Response:
        chat = self._check_chat(body)
        if isinstance(chat, web.Response):
            return chat
        if not isinstance(body.get("photo"), str) or not body["photo"]:
            return self._error(400, 400, "Bad Request: photo is required")
        caption = body.get("caption", "")
        if utf16_len(caption) > TEXT_LIMIT:
            return self._error(400, 400, "Bad Request: caption must be at most 2000 characters")
        return self._record("sendPhoto", chat, caption, body)

    async def _m_sendSticker(self, body: dict[str, Any]) -> web.Response:
        chat = self._check_chat(body)
        if isinstance(chat, web.Response):
            return chat
        return self._record("sendSticker", chat, "", body)

    async def _m_sendChatAction(self, body: dict[str, Any]) -> web.Response:
        chat = self._check_chat(body)
        if isinstance(chat, web.Response):
            return chat
        return self._ok()
