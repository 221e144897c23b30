"""The Zalo channel: Zalo Bot API updates in, the outbox's messages out.

Zalo has no buttons and no reply-to-message, so choices go out as a numbered list (the core
maps a typed "1", "2"… back to the choice) and staff answer with `/tl N …`. Updates carry no
offset: each becomes an `Inbound` whose `update_key` is Zalo's message id, which the core
dedupes in the database, so a redelivered event never opens a second ticket.

Two ways in, never both: `mode = "polling"` runs one sequential long-poll loop (after making
sure no webhook is set); `mode = "webhook"` serves a POST endpoint and registers it. Zalo's
docs advise the webhook for production. Live webhook calls carry the update flat
(`{"event_name": …, "message": …}`), the docs show it wrapped in `{"ok": true, "result": …}`:
both are read (as openclaw's Zalo extension does, `extensions/zalo/src/monitor.webhook.ts`).

Only 401 stops the channel (a bad token); 403, 404, 5xx and network errors are retried with
backoff for as long as they last, and the supervisors hear of an outage that lasts
(`bot/channels/outage.py`). Zalo sends no `retry_after` with its 429, so the channel backs off
by itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from collections import Counter
from datetime import UTC, datetime
from functools import partial
from pathlib import PurePath
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from bot.channels.base import (
    Backoff,
    Failure,
    OnInbound,
    PartSends,
    SendError,
    Step,
    numbered,
    split_text,
)
from bot.channels.config import ChannelConfig
from bot.channels.outage import Alert, OutageWatch
from bot.channels.zalo_api import (
    POLL_TIMEOUT,
    TEXT_LIMIT,
    WebhookInfo,
    ZaloApi,
    ZaloError,
    ZaloMessage,
    ZaloUpdate,
)
from handlers.messages import Attachment, ChatRef, Identity, Inbound, Outgoing, Sent, StorageUnavailable
from handlers.texts import common

log = logging.getLogger(__name__)

NAME = "zalo"
DEFAULT_PATH = "/zalo"
SECRET_HEADER = "X-Bot-Api-Secret-Token"
MAX_BODY = 64 * 1024  # one event is a few hundred bytes; anything far larger is not Zalo

TEXT = "message.text.received"
IMAGE = "message.image.received"
STICKER = "message.sticker.received"
VOICE = "message.voice.received"
UNSUPPORTED = "message.unsupported.received"
KNOWN_EVENTS = (TEXT, IMAGE, STICKER, VOICE, UNSUPPORTED)


def webhook_update(body: bytes) -> ZaloUpdate:
    """The update in a webhook call's body: the body itself (live traffic) or its `result`
    (the documented wrapper). ValueError when it is neither."""
    try:
        data = json.loads(body)
    except RecursionError:  # nested deeper than the parser goes: not an update either
        raise ValueError("the body is nested too deeply") from None
    if not isinstance(data, dict):
        raise ValueError("the body is not a JSON object")
    if isinstance(data.get("result"), dict):
        data = data["result"]
    if not data.get("event_name") and not data.get("message"):
        raise ValueError("the body carries no event")
    return ZaloUpdate.model_validate(data)


def to_inbound(update: ZaloUpdate) -> Inbound | None:
    """The handlers' message for one Zalo event; None when there is nothing to handle (an
    unknown event, or a withheld one that came without a message, so nobody to answer).

    Raises ValidationError when a known event lacks what it must carry.
    """
    event = update.event_name
    if not event and update.message and update.message.get("text"):
        event = TEXT  # the documented getUpdates sample shows a text message without a name
    if event not in KNOWN_EVENTS or (event == UNSUPPORTED and not update.message):
        return None
    msg = ZaloMessage.model_validate(update.message or {})
    text = msg.text
    attachments: tuple[Attachment, ...] = ()
    # Live payloads name media fields differently from the docs: read every spelling.
    if event == IMAGE:
        text = msg.caption or msg.text
        attachments = (Attachment("photo", ref=msg.link("photo_url", "photo", "url")),)
    elif event == STICKER:
        attachments = (Attachment("sticker", ref=msg.link("url", "sticker") or msg.sticker),)
    elif event == VOICE:
        attachments = (Attachment("voice", ref=msg.link("voice_url", "url")),)
    elif event == UNSUPPORTED:
        text = ""
        attachments = (Attachment("unsupported"),)
    return Inbound(
        sender=Identity(NAME, msg.sender.id),
        chat=ChatRef(NAME, msg.chat.id, "group" if msg.chat.chat_type.upper() == "GROUP" else "private"),
        text=text,
        display_name=msg.sender.name,
        message_id=msg.message_id,
        update_key=msg.message_id,
        attachments=attachments,
        extras={"event_name": event, "date": msg.date},
    )


def _problem(err: ValidationError) -> str:
    """Where a payload was malformed, without echoing its content (pydantic's text would)."""
    return ", ".join(".".join(str(p) for p in e["loc"]) or "body" for e in err.errors()[:3])


class ZaloChannel:
    """The Zalo Bot API adapter (polling or webhook, as the config says)."""

    name = NAME

    def __init__(
        self,
        cfg: ChannelConfig,
        *,
        poll_timeout: int | None = None,
        backoff: Backoff | None = None,
        alert: Alert | None = None,
    ):
        self.cfg = cfg
        self.mode = cfg.mode
        self.api = ZaloApi(cfg.token, cfg.api_base, poll_timeout=poll_timeout or POLL_TIMEOUT)
        self.backoff = backoff or Backoff()
        self.throttle = Backoff(base=2.0, cap=120.0)  # our own wait after a 429 on a send
        self.outage = OutageWatch("Zalo", alert, cfg.outage_alert_minutes * 60)
        # every event received, by name (one of KNOWN_EVENTS or "other": a bounded set, as
        # /metrics shows it), and "unsupported_without_message"
        self.events: Counter[str] = Counter()
        self.path = cfg.webhook_path or DEFAULT_PATH
        self.stopped_reason: str | None = None  # set when the loop ends by itself
        self._on_inbound: OnInbound | None = None
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._runner: web.AppRunner | None = None
        self._parts = PartSends()  # a long message half sent is not repeated from the start

    def __repr__(self) -> str:
        return f"ZaloChannel(mode={self.mode!r}, base={self.api.base!r})"

    # lifecycle

    async def start(self, on_inbound: OnInbound) -> None:
        self._on_inbound = on_inbound
        self._stopping.clear()
        if self.mode == "webhook":
            secret = self.cfg.webhook_secret.get_secret_value()
            if not self.cfg.webhook_url or not 8 <= len(secret) <= 256:
                raise ValueError(
                    "zalo webhook mode needs zalo.webhook_url and a zalo.webhook_secret "
                    "of 8 to 256 characters"
                )
            await self._serve()
            self._task = asyncio.create_task(self._register_webhook(), name="zalo-set-webhook")
        else:
            self._task = asyncio.create_task(self._poll(), name="zalo-polling")

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            task, self._task = self._task, None
            _, pending = await asyncio.wait({task}, timeout=5)  # a message being handled ends
            if pending:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            elif not task.cancelled() and task.exception() is not None:
                log.error("zalo: the receiving loop had failed: %r", task.exception())
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self.api.close()

    @property
    def webhook_port(self) -> int | None:
        """The port the webhook server listens on (useful when configured as 0)."""
        if self._runner is None or not self._runner.addresses:
            return None
        return int(self._runner.addresses[0][1])

    async def _pause(self, seconds: float) -> bool:
        """Sleep unless stopped first; True when the channel is stopping."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        return self._stopping.is_set()

    async def _until_stopped(self, call: Any) -> Any:
        """Await an API call, abandoning it when stop() comes first (returns None then)."""
        work = asyncio.ensure_future(call)
        stop = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait({work, stop}, return_when=asyncio.FIRST_COMPLETED)
        except BaseException:  # this loop itself is being cancelled: leave nothing behind
            work.cancel()
            raise
        finally:
            stop.cancel()
        if not work.done():  # stopping: a poll in flight carries nothing yet, drop it
            work.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await work
            return None
        return work.result()  # a finished call is used even while stopping: never lose an update

    # polling

    async def _poll(self) -> None:
        webhook_cleared = False
        while not self._stopping.is_set():
            try:
                if not webhook_cleared:
                    info = await self._until_stopped(self.api.delete_webhook())
                    webhook_cleared = info is not None
                    if webhook_cleared:
                        log.info("zalo: no webhook set; long polling")
                    continue
                update = await self._until_stopped(self.api.get_updates())
            except ZaloError as err:
                if await self._failed(err, "polling stopped"):
                    return
                continue
            except Exception:
                delay = self.backoff.next()
                log.exception("zalo: unexpected error while polling; retrying in %.1fs", delay)
                if await self._pause(delay):
                    return
                continue
            self.backoff.reset()
            await self.outage.succeeded()
            if update is None:
                continue
            inbound = self._interpret(update)
            # A polled update is gone from Zalo once answered (no offset to rewind), so while
            # the database is down the loop keeps this one and fetches nothing new.
            while inbound is not None and not await self._dispatch(inbound):
                delay = self.backoff.next()
                log.warning("zalo: storage unavailable; message %s kept, retrying in %.1fs",
                            inbound.message_id, delay)
                if await self._pause(delay):
                    log.error("zalo: stopped before message %s could be stored; it is lost",
                              inbound.message_id)
                    return
            self.backoff.reset()

    async def _failed(self, err: ZaloError, what: str) -> bool:
        """A failed call of a loop that retries it: True when the loop must end (the token was
        rejected, or the channel stopped during the backoff)."""
        if err.unauthorized:
            await self._token_rejected(err, what)
            return True
        delay = self.backoff.next()
        log.warning("zalo: %s; retrying in %.1fs", err, delay)
        await self.outage.failed(str(err))
        return await self._pause(delay)

    async def _token_rejected(self, err: ZaloError, what: str) -> None:
        """401: one log line, one notice to the supervisors; the loop then ends."""
        self.stopped_reason = "the bot token was rejected"
        log.error("zalo: the bot token was rejected (%s); %s. Check zalo.token (or "
                  "HOTLINE_ZALO_TOKEN) and restart.", err, what)
        await self.outage.unauthorized()

    def _interpret(self, update: ZaloUpdate) -> Inbound | None:
        """The Inbound for an update, or None (logged, without content) when it is skipped."""
        self.events[update.event_name if update.event_name in KNOWN_EVENTS else "other"] += 1
        if update.event_name == UNSUPPORTED and not update.message:
            # Zalo withheld the content and named no sender: nobody to answer, not an error
            self.events["unsupported_without_message"] += 1
            log.info("zalo: %s without a message (content withheld by Zalo); counted",
                     UNSUPPORTED)
            return None
        try:
            inbound = to_inbound(update)
        except ValidationError as err:
            log.warning("zalo: malformed %s event skipped (%s)", update.event_name[:64],
                        _problem(err))
            return None
        if inbound is None:
            log.info("zalo: event %r not handled; skipped", update.event_name[:64])
        return inbound

    async def _dispatch(self, inbound: Inbound) -> bool:
        """Hand one message to the core; False only when it could not be stored."""
        assert self._on_inbound is not None
        try:
            await self._on_inbound(inbound)
        except StorageUnavailable:
            return False
        except Exception:  # the core answers its own errors; this guards the loop all the same
            log.exception("zalo: handling message %s failed", inbound.message_id)
        return True

    # webhook

    async def _serve(self) -> None:
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_post(self.path, self._on_webhook)
        self._runner = web.AppRunner(app, shutdown_timeout=5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.cfg.webhook_host, self.cfg.webhook_port)
        await site.start()
        log.info("zalo: webhook endpoint listening on %s:%s%s",
                 self.cfg.webhook_host, self.webhook_port, self.path)

    async def _register_webhook(self) -> None:
        while not self._stopping.is_set():
            try:
                info = await self._until_stopped(self._set_webhook())
            except ZaloError as err:
                if await self._failed(err, "webhook not set"):
                    return
                continue
            if info is not None:
                self.backoff.reset()
                await self.outage.succeeded()
                log.info("zalo: webhook registered")
            return

    async def _set_webhook(self) -> WebhookInfo:
        return await self.api.set_webhook(
            self.cfg.webhook_url, self.cfg.webhook_secret.get_secret_value()
        )

    async def _on_webhook(self, request: web.Request) -> web.Response:
        """Check the secret and the size before reading; store the message, then say 200."""
        expected = self.cfg.webhook_secret.get_secret_value().encode()
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not expected or not hmac.compare_digest(given, expected):
            log.warning("zalo: webhook call refused: missing or wrong secret token")
            return web.json_response({"ok": False, "description": "unauthorized"}, status=401)
        if request.content_length is not None and request.content_length > MAX_BODY:
            return web.json_response({"ok": False, "description": "too large"}, status=413)
        try:
            body = await request.read()  # bounded by client_max_size, also when chunked
        except web.HTTPRequestEntityTooLarge:
            return web.json_response({"ok": False, "description": "too large"}, status=413)
        try:
            update = webhook_update(body)
        except ValueError as err:
            why = _problem(err) if isinstance(err, ValidationError) else type(err).__name__
            log.warning("zalo: webhook body not understood (%s)", why)
            return web.json_response({"ok": False, "description": "bad request"}, status=400)
        inbound = self._interpret(update)
        if inbound is not None and not await self._dispatch(inbound):
            # not stored: no acknowledgement, so Zalo delivers it again
            log.warning("zalo: storage unavailable; webhook message %s refused for redelivery",
                        inbound.message_id)
            return web.json_response({"ok": False, "description": "try again"}, status=503)
        return web.json_response({"ok": True})

    async def webhook(self, action: str) -> str:
        """`hotline webhook set|delete|info --channel zalo`: one line saying what is now true."""
        try:
            if action == "set":
                secret = self.cfg.webhook_secret.get_secret_value()
                if not self.cfg.webhook_url or not 8 <= len(secret) <= 256:
                    raise ValueError("set needs zalo.webhook_url and a zalo.webhook_secret "
                                     "of 8 to 256 characters")
                info = await self._set_webhook()
                return f"zalo: webhook set to {info.url or self.cfg.webhook_url}"
            if action == "delete":
                await self.api.delete_webhook()
                return "zalo: webhook deleted (polling mode can be used)"
            if action == "info":
                info = await self.api.get_webhook_info()
                if not info.url:
                    return "zalo: no webhook set (polling mode)"
                when = ""
                if info.updated_at:
                    at = datetime.fromtimestamp(info.updated_at / 1000, UTC)
                    when = f", updated {at:%Y-%m-%d %H:%M} UTC"
                return f"zalo: webhook {info.url}{when}"
            raise ValueError(f"unknown webhook action {action!r}: use set, delete or info")
        finally:
            if self._task is None and self._runner is None:  # used outside a running bot
                await self.api.close()

    # sending

    async def send(self, message: Outgoing) -> Sent:
        """A photo by its link (`sendPhoto`), then the text with choices as a numbered list,
        split at 2,000 UTF-16 units; each a step, so a retry sends only what did not go out.

        Zalo cannot copy a message (`copy_from` is dropped: the text names the attachment)
        nor upload a file (noted in the text).
        """
        chat_id = message.chat.chat_id
        text = numbered(message)
        if message.file_path:
            # The Bot API sends photos by public URL only and has no documents: say so.
            name = PurePath(message.file_path).name
            text += "\n\n" + common.FILE_NOT_SENT_ON_ZALO.format(name=name)
        steps: list[Step] = []
        if message.photo_url:
            steps.append(partial(self._send_photo, chat_id, message.photo_url))
        parts = split_text(text, TEXT_LIMIT)
        steps += [partial(self._send_part, chat_id, p) for p in parts]
        if not steps:
            return Sent(())
        content = [message.photo_url or "", *parts]
        return await self._parts.send(chat_id, content, steps)

    async def _send_part(self, chat_id: str, text: str) -> str:
        try:
            sent = await self.api.send_message(chat_id, text)
        except ZaloError as err:
            raise await self._send_error(err) from None
        await self._sent()
        return sent.message_id

    async def _send_photo(self, chat_id: str, url: str) -> str:
        """The photo itself; when Zalo refuses it (cannot fetch the link) the text that
        follows still carries the link, so "" (nothing sent) rather than a failure."""
        try:
            sent = await self.api.send_photo(chat_id, url)
        except ZaloError as err:
            if err.kind is Failure.PERMANENT:
                log.warning("zalo: photo not sent to %s (%s); its link goes in the text",
                            chat_id, err)
                return ""
            raise await self._send_error(err) from None
        await self._sent()
        return sent.message_id

    async def _sent(self) -> None:
        self.throttle.reset()
        await self.outage.succeeded()

    async def _send_error(self, err: ZaloError) -> SendError:
        """Zalo's error as the outbox understands it (never with the token or the text)."""
        # no retry_after from Zalo on a 429: our own growing wait pauses the whole channel
        rate_limited = err.kind is Failure.RATE_LIMITED
        wait = (err.retry_after or self.throttle.next()) if rate_limited else err.retry_after
        return await self.outage.send_error(err.kind, str(err), wait)
