"""A fake Telegram Bot API on 127.0.0.1: real envelopes, queued updates with offsets and long
polling, webhook delivery, recorded sends, and failures on demand."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

TOKEN = "123456789:AAFakeTelegramTokenForTestsOnly_abcdefg"
BOT_ID = 123456789
TEXT_LIMIT = 4096


@dataclass
class Sent:
    method: str
    chat_id: str
    text: str
    message_id: int
    thread_id: int | None = None
    reply_markup: dict[str, Any] | None = None
    payload: dict[str, Any] = field(default_factory=dict)

    @property
    def buttons(self) -> list[tuple[str, str]]:
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [(b["text"], b["callback_data"]) for row in rows for b in row]


@dataclass
class Failure:
    method: str | None
    status: int
    description: str
    retry_after: int | None
    skip: int = 0  # matching calls let through before this one fails
    html: bool = False  # an HTML error page echoing the request path, as a proxy answers


def user(uid: int, name: str = "") -> dict[str, Any]:
    return {"id": uid, "is_bot": False, "first_name": name or f"User{uid}"}


class FakeTelegram:
    def __init__(self, token: str = TOKEN):
        self.token = token
        self.sent: list[Sent] = []
        self.calls: list[str] = []
        self.failures: list[Failure] = []
        self.failed: dict[int, int] = {}  # HTTP status → how many times it was answered
        self.answered_callbacks: list[str] = []
        self.commands: list[dict[str, Any]] = []
        self.admins: set[tuple[int, int]] = set()  # (chat_id, user_id)
        self.webhook: dict[str, Any] | None = None
        self.confirmed_offset = 0
        self._updates: list[dict[str, Any]] = []
        self._new_update = asyncio.Event()
        self._update_ids = itertools.count(1000)
        self._message_ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._outage: tuple[float, str | None, int, bool] | None = None  # until, method, status, html
        self.outage_calls = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # --- what tests drive --------------------------------------------------------------------

    def fail(self, times: int = 1, *, method: str | None = None, status: int = 500,
             description: str = "Internal Server Error", retry_after: int | None = None,
             skip: int = 0, html: bool = False) -> None:
        for _ in range(times):
            self.failures.append(Failure(method, status, description, retry_after, skip, html))

    def fail_for(self, seconds: float, *, method: str | None = None, status: int = 502,
                 html: bool = True) -> None:
        """Every call (of `method`) fails for `seconds` from now (a proxy's 502 page by default)."""
        self._outage = (asyncio.get_running_loop().time() + seconds, method, status, html)

    def message(
        self, uid: int, text: str = "", *, chat_id: int | None = None, chat_type: str = "private",
        reply_to: int | None = None, thread_id: int | None = None, name: str = "",
        photo: str | None = None, caption: str | None = None, document: str | None = None,
    ) -> dict[str, Any]:
        """Queue a message update; returns it (with update_id and message_id)."""
        chat = {"id": chat_id or uid, "type": chat_type}
        if chat_type != "private":
            chat["title"] = "Nhóm"
            if thread_id:
                chat["is_forum"] = True
        msg: dict[str, Any] = {
            "message_id": next(self._message_ids), "date": int(time.time()),
            "chat": chat, "from": user(uid, name),
        }
        if text:
            msg["text"] = text
        if photo:
            msg["photo"] = [{"file_id": photo, "file_unique_id": photo + "u", "width": 90, "height": 90}]
        if document:
            msg["document"] = {"file_id": document, "file_unique_id": document + "u",
                               "file_name": f"{document}.pdf", "mime_type": "application/pdf"}
        if caption:
            msg["caption"] = caption
        if thread_id:
            msg["message_thread_id"] = thread_id
            msg["is_topic_message"] = True
        if reply_to is not None:
            original = next(s for s in self.sent if s.message_id == reply_to)
            msg["reply_to_message"] = {
                "message_id": reply_to, "date": int(time.time()), "chat": chat,
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "Hotline"},
                "text": original.text,
            }
        return self.queue({"message": msg})

    def press(self, uid: int, sent: Sent, data: str) -> dict[str, Any]:
        """Queue a button press on a message the bot sent."""
        chat = {"id": int(sent.chat_id), "type": "private" if int(sent.chat_id) > 0 else "supergroup"}
        return self.queue({"callback_query": {
            "id": str(next(self._update_ids)), "from": user(uid), "chat_instance": "ci",
            "data": data,
            "message": {"message_id": sent.message_id, "date": int(time.time()), "chat": chat,
                        "from": {"id": BOT_ID, "is_bot": True, "first_name": "Hotline"},
                        "text": sent.text},
        }})

    def queue(self, update: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": next(self._update_ids), **update}
        self._updates.append(update)
        self._new_update.set()
        return update

    async def deliver(self, update: dict[str, Any], secret: str | None) -> int:
        """POST an update to the registered webhook, as Telegram does; the HTTP status."""
        assert self.webhook is not None
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        async with aiohttp.ClientSession() as session, session.post(
            self.webhook["url"], json=update, headers=headers
        ) as resp:
            return resp.status

    def to(self, chat_id: int | str) -> list[Sent]:
        return [s for s in self.sent if s.chat_id == str(chat_id)]

    def texts_to(self, chat_id: int | str) -> list[str]:
        return [s.text for s in self.to(chat_id)]

    # --- the API -----------------------------------------------------------------------------

    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            return dict(await request.json())
        form = await request.post()
        params: dict[str, Any] = {}
        for key, value in form.items():
            if isinstance(value, str):
                try:
                    params[key] = json.loads(value)
                except ValueError:
                    params[key] = value
            else:  # an uploaded file
                params[key] = {"filename": value.filename, "size": len(value.file.read())}
        return params

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return self._error(401, "Unauthorized")
        method = request.match_info["method"]
        params = await self._params(request)
        self.calls.append(method)
        if self._outage is not None and self._outage[1] in (None, method):
            until, _, status, html = self._outage
            if asyncio.get_running_loop().time() < until:
                self.outage_calls += 1
                return self._failure(Failure(method, status, "Bad Gateway", None, html=html), request)
            self._outage = None
        for i, failure in enumerate(self.failures):
            # a failure for any method spares polling; one named for getUpdates fails it
            if failure.method == method or (failure.method is None
                                            and method not in ("getUpdates", "getMe")):
                if failure.skip:
                    failure.skip -= 1
                    break
                del self.failures[i]
                self.failed[failure.status] = self.failed.get(failure.status, 0) + 1
                return self._failure(failure, request)
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return self._error(404, "Not Found: method not found")
        return await handler(params)

    def _failure(self, failure: Failure, request: web.Request) -> web.Response:
        if failure.html:  # nginx-style page; the path (with the token) echoed back
            page = (f"<html><head><title>{failure.status} {failure.description}</title>"
                    f"</head><body><h1>{failure.description}</h1><p>POST {request.path}"
                    "</p><hr><center>nginx</center></body></html>")
            return web.Response(status=failure.status, text=page, content_type="text/html")
        extra = {"retry_after": failure.retry_after} if failure.retry_after else None
        return self._error(failure.status, failure.description, extra)

    @staticmethod
    def _ok(result: Any) -> web.Response:
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    def _error(code: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
        if parameters:
            body["parameters"] = parameters
        return web.json_response(body, status=code)

    async def _m_getMe(self, params: dict[str, Any]) -> web.Response:
        return self._ok({"id": BOT_ID, "is_bot": True, "first_name": "Hotline", "username": "hotline_bot"})

    async def _m_getUpdates(self, params: dict[str, Any]) -> web.Response:
        if self.webhook is not None:
            return self._error(409, "Conflict: can't use getUpdates method while webhook is active")
        offset = int(params.get("offset") or 0)
        if offset:
            self.confirmed_offset = max(self.confirmed_offset, offset)
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        timeout = min(float(params.get("timeout") or 0), 1.0)
        if not self._updates and timeout:
            self._new_update.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), timeout)
        limit = int(params.get("limit") or 100)
        return self._ok(self._updates[:limit])

    async def _m_setWebhook(self, params: dict[str, Any]) -> web.Response:
        self.webhook = {"url": params["url"], "secret_token": params.get("secret_token")}
        return self._ok(True)

    async def _m_deleteWebhook(self, params: dict[str, Any]) -> web.Response:
        self.webhook = None
        return self._ok(True)

    async def _m_getWebhookInfo(self, params: dict[str, Any]) -> web.Response:
        return self._ok({"url": (self.webhook or {}).get("url", ""), "has_custom_certificate": False,
                         "pending_update_count": len(self._updates)})

    async def _m_setMyCommands(self, params: dict[str, Any]) -> web.Response:
        self.commands.append(params)
        return self._ok(True)

    async def _m_getChatMember(self, params: dict[str, Any]) -> web.Response:
        uid = int(params["user_id"])
        status = "administrator" if (int(params["chat_id"]), uid) in self.admins else "member"
        member: dict[str, Any] = {"status": status, "user": user(uid)}
        if status == "administrator":
            member.update(can_be_edited=False, is_anonymous=False, can_manage_chat=True,
                          can_delete_messages=True, can_manage_video_chats=True,
                          can_restrict_members=True, can_promote_members=False,
                          can_change_info=True, can_invite_users=True, can_post_stories=False,
                          can_edit_stories=False, can_delete_stories=False,
                          can_send_welcome_messages=False)
        return self._ok(member)

    async def _m_answerCallbackQuery(self, params: dict[str, Any]) -> web.Response:
        self.answered_callbacks.append(str(params["callback_query_id"]))
        return self._ok(True)

    def _record(self, method: str, params: dict[str, Any], text: str) -> web.Response:
        message_id = next(self._message_ids)
        chat_id = str(params["chat_id"])
        thread = params.get("message_thread_id")
        self.sent.append(Sent(method, chat_id, text, message_id, int(thread) if thread else None,
                              params.get("reply_markup"), params))
        chat = {"id": int(chat_id), "type": "private" if int(chat_id) > 0 else "supergroup"}
        result = {"message_id": message_id, "date": int(time.time()), "chat": chat, "text": text,
                  "from": {"id": BOT_ID, "is_bot": True, "first_name": "Hotline"}}
        return self._ok(result)

    async def _m_sendMessage(self, params: dict[str, Any]) -> web.Response:
        text = str(params.get("text", ""))
        if not 1 <= len(text) <= TEXT_LIMIT:
            return self._error(400, "Bad Request: message text is empty or too long")
        if int(params["chat_id"]) == 666:
            return self._error(403, "Forbidden: bot was blocked by the user")
        return self._record("sendMessage", params, text)

    async def _m_copyMessage(self, params: dict[str, Any]) -> web.Response:
        response = self._record("copyMessage", params, f"[copy of {params['message_id']}]")
        return self._ok({"message_id": self.sent[-1].message_id}) if response.status == 200 else response

    async def _m_sendDocument(self, params: dict[str, Any]) -> web.Response:
        return self._record("sendDocument", params, str(params.get("caption", "")))

    async def _m_sendPhoto(self, params: dict[str, Any]) -> web.Response:
        return self._record("sendPhoto", params, str(params.get("caption", "")))
