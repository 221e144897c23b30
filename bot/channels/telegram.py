"""The Telegram channel (aiogram 3): updates in, the outbox's messages out.

Long polling confirms an update's offset only after the core has stored it; a webhook
answers 200 only after storing, 401 to a wrong secret (before reading the body), 503 when
the database is down so that Telegram delivers again.

A failed call is decided as on every platform, by `classify()` (bot/channels/base.py) of the
Bot API's error code; the supervisors hear of an outage that lasts (bot/channels/outage.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import os
import random
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from functools import partial
from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    AiogramError,
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramConflictError,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import (
    AnswerCallbackQuery,
    CopyMessage,
    DeleteWebhook,
    GetChatMember,
    GetMe,
    GetUpdates,
    GetWebhookInfo,
    Response,
    SendDocument,
    SendMessage,
    SendPhoto,
    SetMyCommands,
    SetWebhook,
)
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    CallbackQuery,
    FSInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from aiohttp import web
from pydantic import ValidationError

from bot.channels.base import (
    PERMANENT_CODES,
    Backoff,
    Failure,
    OnInbound,
    PartSends,
    SendError,
    Step,
    classify,
    numbered,
    split_text,
)
from bot.channels.config import ChannelConfig
from bot.channels.outage import Alert, OutageWatch
from bot.logs import mask
from handlers.messages import Attachment, ChatRef, Identity, Inbound, Outgoing, Sent, StorageUnavailable

log = logging.getLogger(__name__)

NAME = "telegram"
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1024 * 1024
POLL_TIMEOUT = 25
ALLOWED_UPDATES = ["message", "callback_query"]



def _chat_id(value: str) -> int | str:
    return int(value) if value.lstrip("-").isdigit() else value


def _keyboard(message: Outgoing) -> InlineKeyboardMarkup | None:
    """Buttons for the choices; None when a command will not fit Telegram's 64 bytes."""
    if not message.choices or any(len(c.command.encode()) > 64 for c in message.choices):
        return None
    rows = [[InlineKeyboardButton(text=c.label[:64], callback_data=c.command)] for c in message.choices]
    return InlineKeyboardMarkup(inline_keyboard=rows)


# What a failed Bot API call raises: aiogram's errors, and the network's
PLATFORM_ERRORS = (TimeoutError, AiogramError, OSError)
# aiogram raises one exception type per HTTP status of the Bot API's answer
# (BaseSession.check_response); that status is the error code classify() decides on. Most
# specific first: TelegramEntityTooLarge is a TelegramNetworkError, the others TelegramAPIErrors.
_CODES: tuple[tuple[type[Exception], int], ...] = (
    (TelegramRetryAfter, 429), (TelegramUnauthorizedError, 401), (TelegramForbiddenError, 403),
    (TelegramNotFound, 404), (TelegramMigrateToChat, 400), (TelegramBadRequest, 400),
    (TelegramConflictError, 409), (TelegramEntityTooLarge, 413), (TelegramServerError, 500),
)


def error_code(err: BaseException) -> int | None:
    """The Bot API's error code behind an aiogram error; None when no answer came (network,
    timeout, an HTML page instead of JSON) or aiogram names none: an outage, to classify()."""
    return next((code for kind, code in _CODES if isinstance(err, kind)), None)


def failure(err: BaseException) -> Failure:
    return classify(error_code(err), PERMANENT_CODES["telegram"])


def _reason(err: BaseException) -> str:
    """Why a call failed, for the outbox row, the log and the supervisors: never the token
    (an error's message may hold the URL) nor the text sent."""
    if isinstance(err, TelegramAPIError) and error_code(err) is not None:
        return f"Telegram {error_code(err)}: {mask(err.message)[:200]}"
    if isinstance(err, ClientDecodeError):  # an HTML error page (a proxy's 502)
        return "Telegram answered with something other than its JSON (an error page?)"
    return f"Telegram unreachable: {type(err).__name__}"


# pydantic caches the Response[T] class aiogram parses every answer with in a weak
# dictionary: after a garbage collection it is rebuilt on the next answer (4.5 ms CPU instead of
# 0.3 ms per sendMessage answer, measured). The methods this adapter calls keep theirs here.
_RESPONSE_TYPES: list[type] = []


def keep_response_types() -> None:
    if not _RESPONSE_TYPES:
        methods = (AnswerCallbackQuery, CopyMessage, DeleteWebhook, GetChatMember, GetMe, GetUpdates,
                   GetWebhookInfo, SendDocument, SendMessage, SendPhoto, SetMyCommands, SetWebhook)
        _RESPONSE_TYPES.extend(Response[m.__returning__] for m in methods)  # type: ignore[name-defined]


class TelegramChannel:
    name = NAME

    def __init__(
        self,
        cfg: ChannelConfig,
        menus: Mapping[str, Sequence[tuple[str, str]]] | None = None,
        alert: Alert | None = None,
    ):
        """`menus`: the command menu of each chat kind ("private", "group") as (command,
        description) pairs, from the command registry (handlers/commands.py); `alert` tells
        the supervisors of an outage."""
        self.cfg = cfg
        self.menus = menus or {}
        self.outage = OutageWatch("Telegram", alert, cfg.outage_alert_minutes * 60)
        self.backoff = Backoff(base=2.0, cap=60.0)  # between failed polls
        keep_response_types()
        session = (
            AiohttpSession(api=TelegramAPIServer.from_base(cfg.api_base))
            if cfg.api_base
            else AiohttpSession()
        )
        self.bot = Bot(cfg.token.get_secret_value(), session=session)
        self._on_inbound: OnInbound | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._runner: web.AppRunner | None = None
        self._stopping = asyncio.Event()
        self._parts = PartSends()

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self, on_inbound: OnInbound) -> None:
        """Start-up calls (commands menu, webhook registration) run in the background and
        are retried through an outage: a platform down at start does not stop the bot."""
        self._on_inbound = on_inbound
        self._stopping.clear()  # started again when this instance becomes the leader again
        self._spawn(self._retrying("setMyCommands", self._set_commands))
        if self.cfg.mode == "webhook":
            secret = self.cfg.webhook_secret.get_secret_value()
            if not self.cfg.webhook_url or not secret:
                raise ValueError("telegram webhook mode needs telegram.webhook_url and webhook_secret")
            await self._serve_webhook()
            self._spawn(self._retrying("setWebhook", partial(
                self.bot.set_webhook, self.cfg.webhook_url, secret_token=secret,
                allowed_updates=ALLOWED_UPDATES)))
        else:
            self._spawn(self._poll())

    def _spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        self._tasks.append(asyncio.create_task(work, name="telegram"))

    async def _retrying(self, what: str, call: Callable[[], Awaitable[Any]]) -> bool:
        """Call until it succeeds (True), the token is rejected or the channel stops (False)."""
        failures = 0
        while not self._stopping.is_set():
            try:
                await call()
            except PLATFORM_ERRORS as err:
                kind = failure(err)
                if kind is Failure.UNAUTHORIZED:
                    log.error("telegram: %s: the token was rejected", what)
                    await self.outage.unauthorized()
                    return False
                if kind is Failure.PERMANENT:  # a config mistake (webhook URL): said loudly
                    log.error("telegram: %s refused: %s", what, _reason(err))
                    delay = 300.0
                else:
                    failures += 1
                    delay = getattr(err, "retry_after", None) or min(300.0, 0.5 * 2.0**failures)
                    log.warning("telegram: %s failed (%s), retrying in %.1fs",
                                what, type(err).__name__, delay)
                    if kind is Failure.TRANSIENT:
                        await self.outage.failed(_reason(err))
                await asyncio.sleep(float(delay) * random.uniform(0.8, 1.0))
            else:
                await self.outage.succeeded()
                return True
        return False

    async def stop(self) -> None:
        self._stopping.set()
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self.bot.session.close()

    async def webhook(self, action: str) -> str:
        """`hotline webhook set|delete|info --channel telegram`."""
        if action == "set":
            secret = self.cfg.webhook_secret.get_secret_value()
            if not self.cfg.webhook_url or not secret:
                return "telegram: set needs telegram.webhook_url and telegram.webhook_secret"
            await self.bot.set_webhook(self.cfg.webhook_url, secret_token=secret,
                                       allowed_updates=ALLOWED_UPDATES)
            return f"telegram: webhook set to {self.cfg.webhook_url}"
        if action == "delete":
            await self.bot.delete_webhook()
            return "telegram: webhook deleted (polling possible)"
        info = await self.bot.get_webhook_info()
        pending = f", {info.pending_update_count} pending" if info.pending_update_count else ""
        return f"telegram: webhook {info.url or '(none)'}{pending}"

    async def _set_commands(self) -> None:
        scopes: dict[str, BotCommandScopeAllPrivateChats | BotCommandScopeAllGroupChats] = {
            "private": BotCommandScopeAllPrivateChats(), "group": BotCommandScopeAllGroupChats(),
        }
        for kind, scope in scopes.items():
            await self.bot.set_my_commands(
                [BotCommand(command=c, description=d) for c, d in self.menus.get(kind, ())],
                scope=scope,
            )

    # --- inbound -----------------------------------------------------------------------------

    async def _dispatch(self, update: Update) -> None:
        """An update to its handler: what aiogram's Dispatcher did for the two kinds this bot
        takes, without its middleware and filter machinery (~350 Python calls per update)."""
        if update.message is not None:
            if update.message.chat.type in ("private", "group", "supergroup"):
                await self._on_message(update.message, update)
        elif update.callback_query is not None:
            await self._on_callback(update.callback_query, update)

    async def _on_message(self, message: Message, event_update: Update) -> None:
        assert self._on_inbound is not None
        if message.from_user is None or message.from_user.is_bot:
            return
        attachments: list[Attachment] = []
        if message.photo:
            attachments.append(Attachment("photo", message.photo[-1].file_id))
        if message.document:
            attachments.append(
                Attachment("document", message.document.file_id, message.document.file_name or "")
            )
        if message.sticker:
            attachments.append(Attachment("sticker", message.sticker.file_id))
        if message.voice:
            attachments.append(Attachment("voice", message.voice.file_id))
        text = message.text or message.caption or ""
        if not await self._addressed_here(text):
            return  # `/dong@other_bot 1` is for another bot in the group
        reply = message.reply_to_message
        reply_to = (
            str(reply.message_id)
            if reply is not None and reply.from_user is not None and reply.from_user.id == self.bot.id
            else None
        )
        is_admin = False
        if message.chat.type != "private" and text.lstrip().lower().startswith("/nhom"):
            is_admin = await self._is_admin(message.chat.id, message.from_user.id)
        await self._on_inbound(
            Inbound(
                sender=Identity(NAME, str(message.from_user.id)),
                chat=self._chat_ref(message),
                text=text,
                display_name=message.from_user.full_name,
                message_id=str(message.message_id),
                update_key=str(event_update.update_id),
                reply_to=reply_to,
                attachments=tuple(attachments),
                is_chat_admin=is_admin,
            )
        )

    async def _on_callback(self, query: CallbackQuery, event_update: Update) -> None:
        assert self._on_inbound is not None
        try:
            message = query.message
            if isinstance(message, Message) and query.data:
                await self._on_inbound(
                    Inbound(
                        sender=Identity(NAME, str(query.from_user.id)),
                        chat=self._chat_ref(message),
                        display_name=query.from_user.full_name,
                        message_id=str(message.message_id),
                        update_key=str(event_update.update_id),
                        callback=query.data,
                    )
                )
        finally:  # a press is always answered, or the user's button spins forever
            with contextlib.suppress(TelegramAPIError, OSError):
                await query.answer()

    async def _addressed_here(self, text: str) -> bool:
        """False for a command addressed to another bot (`/cmd@name`). Our name comes from
        getMe (cached by aiogram); while it cannot be had the update is not acknowledged."""
        head = text.lstrip().split(maxsplit=1)[0] if text.lstrip().startswith("/") else ""
        if "@" not in head:
            return True
        try:
            me = await self.bot.me()
        except Exception as err:
            log.warning("telegram: getMe failed (%s); the update will come again", type(err).__name__)
            raise StorageUnavailable() from None  # not stored, not acknowledged: redelivered
        return head.split("@", 1)[1].lower() == (me.username or "").lower()

    @staticmethod
    def _chat_ref(message: Message) -> ChatRef:
        thread = (
            str(message.message_thread_id)
            if message.is_topic_message and message.message_thread_id
            else None
        )
        return ChatRef(
            NAME, str(message.chat.id), "private" if message.chat.type == "private" else "group", thread
        )

    async def _is_admin(self, chat_id: int, user_id: int) -> bool:
        try:
            member = await self.bot.get_chat_member(chat_id, user_id)
        except Exception as err:  # unknown means "not an administrator"
            log.warning("telegram: getChatMember failed: %s", type(err).__name__)
            return False
        return member.status in ("creator", "administrator")

    async def _poll(self) -> None:
        """Long polling; the offset moves past an update only once the core has stored it."""
        # getUpdates does not work while a webhook is set
        if not await self._retrying("deleteWebhook", self.bot.delete_webhook):
            return
        offset: int | None = None
        while not self._stopping.is_set():
            try:
                updates = await self.bot.get_updates(
                    offset=offset, timeout=POLL_TIMEOUT, allowed_updates=ALLOWED_UPDATES,
                    request_timeout=POLL_TIMEOUT + 15,
                )
            except asyncio.CancelledError:
                raise
            except Exception as err:  # the platform, the network, or a bug: keep polling
                kind = failure(err) if isinstance(err, PLATFORM_ERRORS) else None
                if kind is Failure.UNAUTHORIZED:
                    log.error("telegram: the token was rejected; polling stops")
                    await self.outage.unauthorized()
                    return
                if kind is Failure.TRANSIENT:
                    await self.outage.failed(_reason(err))
                delay = getattr(err, "retry_after", None) or self.backoff.next()
                log.warning("telegram: polling failed (%s), retrying in %.1fs",
                            type(err).__name__, delay)
                await asyncio.sleep(float(delay))
                continue
            await self.outage.succeeded()
            try:
                if updates:
                    stored_to = await self._feed(updates)
                    offset = stored_to
                    if stored_to <= updates[-1].update_id:
                        raise StorageUnavailable()
                self.backoff.reset()
            except StorageUnavailable:
                delay = self.backoff.next()
                log.warning("telegram: storage unavailable; the update will be fetched again")
                await asyncio.sleep(min(30.0, delay))

    async def _feed(self, updates: list[Update]) -> int:
        """Handle a polled batch: different chats at once (the core stores them together in
        one transaction), each chat's updates in order. Returns the offset to confirm: past
        the whole batch, or the first update that could not be stored (every one before it
        was; those after it that were are recognised as redeliveries)."""
        chains: dict[object, list[Update]] = {}
        for update in updates:
            chains.setdefault(_chat_of(update), []).append(update)
        unstored: list[int] = []

        async def run(chain: list[Update]) -> None:
            for update in chain:
                try:
                    await self._dispatch(update)
                except StorageUnavailable:
                    unstored.append(update.update_id)  # and this chat's later ones wait too
                    return
                except Exception:  # a bad update must not block the ones after it
                    log.exception("telegram: update %s failed", update.update_id)

        await asyncio.gather(*(run(chain) for chain in chains.values()))
        return min(unstored) if unstored else updates[-1].update_id + 1

    async def _serve_webhook(self) -> None:
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_post(self.cfg.webhook_path or "/telegram", self._on_webhook)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.cfg.webhook_host, self.cfg.webhook_port)
        await site.start()

    async def _on_webhook(self, request: web.Request) -> web.Response:
        expected = self.cfg.webhook_secret.get_secret_value().encode()
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            return web.Response(status=401)
        if request.content_length is not None and request.content_length > MAX_BODY:
            return web.Response(status=413)
        try:
            payload: Any = await request.json()
            update = Update.model_validate(payload, context={"bot": self.bot})
        except web.HTTPRequestEntityTooLarge:  # a chunked body (no length) past the limit
            return web.Response(status=413)
        except (ValueError, ValidationError, RecursionError, web.HTTPException):
            return web.Response(status=400)  # RecursionError: JSON nested past the parser's depth
        try:
            await self._dispatch(update)
        except StorageUnavailable:
            return web.Response(status=503)
        except Exception:
            log.exception("telegram: update %s failed", update.update_id)
        return web.Response(status=200)

    # --- outbound ----------------------------------------------------------------------------

    async def send(self, message: Outgoing) -> Sent:
        """A copied message, a file, text in parts: each a step, so that a retry after a
        transient error (a 429 on the third part) sends only what did not go out."""
        chat_id = _chat_id(message.chat.chat_id)
        thread = int(message.chat.thread_id) if message.chat.thread_id else None
        keyboard = _keyboard(message)
        text = message.text if keyboard or not message.choices else numbered(message)
        steps: list[Step] = []
        if message.copy_from:
            steps.append(partial(self._copy, chat_id, thread, *message.copy_from))
        if message.photo_url:
            steps.append(partial(self._photo_link, chat_id, thread, message.photo_url))
        caption = None
        if message.file_path:
            if not os.path.isfile(message.file_path):  # removed while the message waited
                raise SendError("the file to send no longer exists", permanent=True)
            file = FSInputFile(message.file_path)
            caption = text[:CAPTION_LIMIT] if len(text) <= CAPTION_LIMIT else None
            upload = self.bot.send_photo if message.file_kind == "photo" else self.bot.send_document
            steps.append(self._step(lambda: upload(chat_id, file, caption=caption,
                                                   message_thread_id=thread,
                                                   reply_markup=keyboard if caption else None)))
        if caption is None:
            parts = split_text(text, TEXT_LIMIT)
            for i, part in enumerate(parts):
                markup = keyboard if i == len(parts) - 1 else None
                steps.append(self._step(partial(self.bot.send_message, chat_id, part,
                                                message_thread_id=thread, reply_markup=markup)))
        content = (message.chat.key, text, message.file_path or "", message.photo_url or "",
                   *(message.copy_from or ()))
        return await self._parts.send(str(chat_id), content, steps)

    def _step(self, call: Callable[[], Awaitable[Any]]) -> Step:
        """One Bot API call as a send step: its message id, or a SendError."""
        async def step() -> str:
            try:
                sent = await call()
            except PLATFORM_ERRORS as err:
                raise await self._send_error(err) from None
            await self.outage.succeeded()
            return str(sent.message_id)
        return step

    async def _send_error(self, err: BaseException) -> SendError:
        """A failed send as the outbox understands it, decided by classify()."""
        kind = failure(err)
        wait = float(getattr(err, "retry_after", 1)) if kind is Failure.RATE_LIMITED else None
        return await self.outage.send_error(kind, _reason(err), wait)

    async def _copy(self, chat_id: int | str, thread: int | None, source: str, source_id: str) -> str:
        """The user's attachment copied in; when it cannot be (deleted, not a Telegram message)
        the text goes without it rather than not at all. "" means nothing was copied."""
        try:
            copied = await self.bot.copy_message(
                chat_id, _chat_id(source), int(source_id), message_thread_id=thread)
        except (ValueError, TelegramBadRequest) as err:
            log.warning("telegram: attachment not copied into %s: %s", chat_id, type(err).__name__)
            return ""
        except PLATFORM_ERRORS as err:
            raise await self._send_error(err) from None
        await self.outage.succeeded()
        return str(copied.message_id)

    async def _photo_link(self, chat_id: int | str, thread: int | None, url: str) -> str:
        """A user's photo from another platform, by its link (Telegram fetches it); when
        Telegram cannot, the text that follows carries the link. "" means nothing was sent."""
        try:
            sent = await self.bot.send_photo(chat_id, url, message_thread_id=thread)
        except TelegramBadRequest as err:
            log.warning("telegram: photo link not shown in %s: %s", chat_id, err.message[:200])
            return ""
        except PLATFORM_ERRORS as err:
            raise await self._send_error(err) from None
        await self.outage.succeeded()
        return str(sent.message_id)


def _chat_of(update: Update) -> object:
    """The chat an update belongs to, whose updates are handled in order."""
    message = update.message or (update.callback_query.message if update.callback_query else None)
    return message.chat.id if message is not None else ("update", update.update_id)



