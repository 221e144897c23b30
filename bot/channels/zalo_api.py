"""A small client for the Zalo Bot API (`POST {base}/bot{token}/{method}`, JSON envelopes).

The token sits in every request URL, so no URL is ever logged or put in an exception:
errors carry the method name, the status and Zalo's own description only.
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from bot.channels.base import PERMANENT_CODES, Failure, classify, utf16_cut, utf16_len

log = logging.getLogger(__name__)

DEFAULT_BASE = "https://bot-api.zaloplatforms.com"
POLL_TIMEOUT = 30  # seconds Zalo holds a getUpdates call open
POLL_GRACE = 15  # extra seconds the HTTP client waits past the poll's own timeout
CALL_TIMEOUT = 30  # seconds for every other call
TEXT_LIMIT = 2000  # counted in UTF-16 code units, as the platform may count them
EMPTY_POLL = 408  # getUpdates' "nothing arrived", with HTTP status 200 or 408


class ZaloError(Exception):
    """Any failed call. The message names the method, never the URL or the token."""

    def __init__(
        self,
        method: str,
        reason: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
    ):
        super().__init__(f"zalo {method}: {reason}")
        self.method = method
        self.status = status  # HTTP status, when an answer came at all
        self.retry_after = retry_after  # seconds Zalo asked us to wait, if it said

    code: int | None = None  # Zalo's error_code; None when no Zalo envelope came

    @property
    def kind(self) -> Failure:
        """Only 401 means a bad token; 403 ("Internal server error" in Zalo's table), 404,
        5xx and answers without an envelope are transient; 429 is a quota to wait out."""
        return classify(self.code, PERMANENT_CODES["zalo"])

    @property
    def unauthorized(self) -> bool:
        """The token was rejected: retrying cannot help until the config is fixed."""
        return self.kind is Failure.UNAUTHORIZED


class ZaloApiError(ZaloError):
    """Zalo answered `{"ok": false, "error_code": N, "description": "…"}`."""

    def __init__(
        self,
        method: str,
        code: int,
        description: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
    ):
        super().__init__(
            method,
            f"error {code}: {description or 'no description'}",
            status=status,
            retry_after=retry_after,
        )
        self.code = code
        self.description = description


class ZaloHttpError(ZaloError):
    """No valid envelope: a transport failure, a timeout, or an HTTP error page."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)


class Envelope(_Model):
    ok: bool
    result: Any = None
    error_code: int | None = None
    description: str = ""
    parameters: dict[str, Any] | None = None


class BotInfo(_Model):
    id: str
    account_name: str = ""
    account_type: str = ""
    can_join_groups: bool = False


class WebhookInfo(_Model):
    url: str = ""
    updated_at: int | None = None


class SentMessage(_Model):
    message_id: str
    date: int | None = None


class ZaloUser(_Model):
    id: str
    display_name: str = ""
    first_name: str = ""
    is_bot: bool = False

    @property
    def name(self) -> str:
        return self.display_name or self.first_name


class ZaloChat(_Model):
    id: str
    chat_type: str = "PRIVATE"


class ZaloMessage(_Model):
    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True, populate_by_name=True)

    message_id: str
    date: int | None = None
    sender: ZaloUser = Field(alias="from")
    chat: ZaloChat
    text: str = ""
    caption: str = ""
    message_type: str = ""  # live traffic: e.g. "CHAT_PHOTO"
    # Media links as live traffic spells them, and as the docs do: read every one.
    photo_url: str = ""  # live image events
    photo: Any = None  # the docs' image field (a URL; some integrations see a list or object)
    voice_url: str = ""  # live voice events (an .aac file)
    sticker: str = ""  # the sticker's id
    url: str = ""  # sticker image, and the generic media link

    def link(self, *names: str) -> str:
        """The first of these fields holding an http(s) link, or ""."""
        for name in names:
            for value in _strings(getattr(self, name, None)):
                if value.startswith(("https://", "http://")):
                    return value
        return ""


def _strings(value: Any) -> list[str]:
    """A media field's candidate links: a string, a list of them, or objects with a `url`."""
    if isinstance(value, str):
        return [value.strip()]
    if isinstance(value, dict):
        return _strings(value.get("url") or value.get("photo_url"))
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


class ZaloUpdate(_Model):
    """One event; `message` stays raw until the event is known to carry one."""

    event_name: str = ""
    message: dict[str, Any] | None = None


class ZaloApi:
    """One aiohttp session per client; `close()` it (the channel does on stop)."""

    def __init__(self, token: SecretStr, base: str = "", *, poll_timeout: int = POLL_TIMEOUT):
        self._token = token
        self.base = (base or DEFAULT_BASE).rstrip("/")
        self.poll_timeout = poll_timeout
        self._session: aiohttp.ClientSession | None = None

    def __repr__(self) -> str:
        return f"ZaloApi(base={self.base!r})"

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=CALL_TIMEOUT),
                raise_for_status=False,
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def call(
        self, method: str, payload: dict[str, Any] | None = None, *, timeout: float | None = None
    ) -> Any:
        """POST one method; the `result` of an ok envelope, else ZaloApiError/ZaloHttpError."""
        url = f"{self.base}/bot{self._token.get_secret_value()}/{method}"
        client_timeout = aiohttp.ClientTimeout(total=timeout) if timeout else None
        try:
            async with self._http().post(url, json=payload or {}, timeout=client_timeout) as resp:
                status = resp.status
                retry_header = resp.headers.get("Retry-After")
                body = await resp.read()
        except TimeoutError:
            raise ZaloHttpError(method, "timed out") from None
        except aiohttp.ClientConnectorError as err:
            # host and port only: the path (with the token) is not part of this error's data
            raise ZaloHttpError(method, f"cannot connect to {err.host}:{err.port}") from None
        except aiohttp.ClientError as err:
            raise ZaloHttpError(method, f"transport error ({type(err).__name__})") from None
        try:
            envelope = Envelope.model_validate_json(body)
        except ValidationError:
            retry = float(retry_header) if retry_header and retry_header.isdigit() else None
            if method == "getUpdates" and status == EMPTY_POLL:  # a proxy's bare 408
                raise ZaloApiError(method, EMPTY_POLL, "Request timeout", status=status) from None
            raise ZaloHttpError(
                method, f"HTTP {status} without a Zalo envelope", status=status, retry_after=retry
            ) from None
        if not envelope.ok:
            retry = (envelope.parameters or {}).get("retry_after")
            raise ZaloApiError(
                method,
                envelope.error_code if envelope.error_code is not None else status,
                envelope.description,
                status=status,
                retry_after=float(retry) if isinstance(retry, int | float) else None,
            )
        if status >= 400:  # an ok envelope with an error status: trust neither
            raise ZaloHttpError(method, f"HTTP {status}", status=status)
        return envelope.result

    @staticmethod
    def _typed(model: type[_Model], method: str, result: Any) -> Any:
        try:
            return model.model_validate(result if result is not None else {})
        except ValidationError as err:
            where = ", ".join(".".join(str(p) for p in e["loc"]) or "result" for e in err.errors())
            raise ZaloHttpError(method, f"unexpected result shape ({where})") from None

    async def get_me(self) -> BotInfo:
        return self._typed(BotInfo, "getMe", await self.call("getMe"))

    async def get_updates(self, timeout: int | None = None) -> ZaloUpdate | None:
        """One update, or None when the long poll ran out empty (Zalo's 408, the normal case)."""
        wait = self.poll_timeout if timeout is None else timeout
        try:
            result = await self.call("getUpdates", {"timeout": wait}, timeout=wait + POLL_GRACE)
        except ZaloApiError as err:
            if err.code == EMPTY_POLL:
                return None
            raise
        if not result:
            return None
        return self._typed(ZaloUpdate, "getUpdates", result)

    async def set_webhook(self, url: str, secret_token: str) -> WebhookInfo:
        if not 8 <= len(secret_token) <= 256:
            raise ValueError("the webhook secret must be 8 to 256 characters")
        result = await self.call("setWebhook", {"url": url, "secret_token": secret_token})
        return self._typed(WebhookInfo, "setWebhook", result)

    async def delete_webhook(self) -> WebhookInfo:
        return self._typed(WebhookInfo, "deleteWebhook", await self.call("deleteWebhook"))

    async def get_webhook_info(self) -> WebhookInfo:
        result = await self.call("getWebhookInfo")
        return self._typed(WebhookInfo, "getWebhookInfo", result)

    async def send_message(self, chat_id: str, text: str) -> SentMessage:
        if not 1 <= utf16_len(text) <= TEXT_LIMIT:
            raise ValueError(f"Zalo text must be 1 to {TEXT_LIMIT} UTF-16 units, "
                             f"got {utf16_len(text)}")
        result = await self.call("sendMessage", {"chat_id": chat_id, "text": text})
        return self._typed(SentMessage, "sendMessage", result)

    async def send_photo(self, chat_id: str, photo: str, caption: str = "") -> SentMessage:
        payload: dict[str, Any] = {"chat_id": chat_id, "photo": photo}
        if caption:
            payload["caption"] = caption[:utf16_cut(caption, TEXT_LIMIT)]
        return self._typed(SentMessage, "sendPhoto", await self.call("sendPhoto", payload))

    async def send_chat_action(self, chat_id: str, action: str = "typing") -> None:
        await self.call("sendChatAction", {"chat_id": chat_id, "action": action})

