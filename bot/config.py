"""The TOML config, read into typed, validated sections. Errors name the key."""

from __future__ import annotations

import os
import re
import tomllib
from datetime import date
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.channels.config import ChannelConfig, TelegramConfig
from handlers.intake.routing import MIN_MARGIN, MIN_PROBABILITY, Router
from handlers.messages import Identity, topic_key
from handlers.settings import AreaSpec, Deadlines, FollowupSettings, GroupSpec, HotlineSettings
from handlers.texts import desk as desk_texts
from handlers.worktime import ClockHours, WorkCalendar, parse_sessions
from storage.db import SUPPORTED
from storage.folding import fold

_DRIVERS = "sqlite+aiosqlite:///path/hotline.db, postgresql+asyncpg://user@host:5432/db"


class ConfigError(Exception):
    """One line that names the key and the problem."""


CHANNELS = ("telegram", "zalo", "console")


def _identity(text: str) -> Identity:
    """channel:id of a channel this bot has: a message to any other would wait forever."""
    who = Identity.parse(text)
    if who.channel not in CHANNELS:
        raise ValueError(f"{text!r}: unknown channel {who.channel!r} (use {', '.join(CHANNELS)})")
    return who


def _identities(value: list[str] | dict[str, list[str]]) -> object:
    """A config list of identities, or a table keyed by them: each is `channel:id`."""
    for item in value:
        _identity(item)
    return value


class _Section(BaseModel):
    # strict: "yes" is not a bool and "20" not a number (TOML has real ones)
    model_config = ConfigDict(extra="forbid", strict=True)


class DatabaseConfig(_Section):
    url: str = "sqlite+aiosqlite:///data/hotline.db"
    # at start, how long to wait for a database that does not answer yet (restarting, say)
    start_retry_seconds: float = Field(default=60, ge=0)

    @field_validator("url")
    @classmethod
    def _supported(cls, value: str) -> str:
        """Only the async drivers the project ships; the URL itself is never echoed (password)."""
        try:
            scheme = make_url(value).drivername
        except ArgumentError:
            raise ValueError(f"not a database URL; use one of {_DRIVERS}") from None
        if scheme not in SUPPORTED:
            raise ValueError(f"{scheme!r} is not supported; use one of {_DRIVERS}") from None
        return value


class ConsoleConfig(_Section):
    # None: on exactly when no platform token is configured
    enabled: bool | None = None


class RegistrationConfig(_Section):
    policy: Literal["open", "approval", "invite"] = "approval"
    commune_shared: bool = False


class LimitsConfig(_Section):
    flood_per_minute: int = Field(default=20, ge=0)  # per person; 0 turns the guard off


class OpsConfig(_Section):
    """The operators' listener (/healthz, /readyz, /metrics); port 0 keeps it off."""

    host: str = "127.0.0.1"
    port: int = Field(default=0, ge=0, le=65535)


class OutboxConfig(_Section):
    # a message being sent is leased to its instance this long; after a crash another instance
    # sends it once the lease runs out. Keep it longer than any send (the HTTP clients give up
    # within 30 s on Zalo, 60 s on Telegram), or two instances may send the same message.
    claim_lease_seconds: float = Field(default=60, ge=1)


class ReportsConfig(_Section):
    folder: str = Field(default="data/exports", min_length=1)  # generated workbooks and charts
    chat_export_limit: int = Field(default=200_000, ge=1)  # bigger /xuat periods are refused


class RoutingConfig(_Section):
    # where the trained router is kept; "" routes by keywords only and never trains
    model_file: str = ""
    # the model's top probability needed to route without asking the cadre to choose
    threshold: float = Field(default=MIN_PROBABILITY, gt=0, lt=1)
    # … and the lead of that area over the second (two close areas are where it goes wrong)
    margin: float = Field(default=MIN_MARGIN, ge=0, lt=1)
    retrain_every: int = Field(default=20, ge=1)  # new labelled tickets between retrainings


class RolesConfig(_Section):
    supervisors: list[str] = Field(default_factory=list)
    # a supervisor may be limited to some areas: {"telegram:123" = ["dat_dai", "nong_nghiep"]}
    supervisor_areas: dict[str, list[str]] = Field(default_factory=dict)

    _identities = field_validator("supervisors", "supervisor_areas")(_identities)


class ScheduleConfig(_Section):
    business_hours: bool = True
    tick_seconds: float = Field(default=60, gt=0)
    timezone: str = "Asia/Ho_Chi_Minh"
    sessions: list[str] = Field(default_factory=lambda: ["07:00-11:30", "13:30-17:00"])
    extra_days_off: list[str] = Field(default_factory=list)  # "YYYY-MM-DD"
    extra_working_days: list[str] = Field(default_factory=list)
    reminder_fraction: float = Field(default=0.75, gt=0, lt=1)
    escalate_after_hours: float = Field(default=4, ge=0)
    checkback_after_hours: float = Field(default=8, ge=0)
    autoclose_after_days: float = Field(default=3, gt=0)
    digest_time: str = Field(default="07:30", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")

    @field_validator("extra_days_off", "extra_working_days")
    @classmethod
    def _dates(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                date.fromisoformat(item)
            except ValueError:
                raise ValueError(f"dates are written YYYY-MM-DD, got {item!r}") from None
        return value

    @field_validator("sessions")
    @classmethod
    def _sessions(cls, value: list[str]) -> list[str]:
        parse_sessions(value)
        return value

    def followup(self) -> FollowupSettings:
        return FollowupSettings(
            reminder_fraction=self.reminder_fraction,
            escalate_after_hours=self.escalate_after_hours,
            checkback_after_hours=self.checkback_after_hours,
            autoclose_after_days=self.autoclose_after_days,
            digest_time=self.digest_time,
        )

    def deadlines(self) -> Deadlines:
        """Working-time deadlines, or plain clock hours when business hours are off."""
        if not self.business_hours:
            return ClockHours()
        return WorkCalendar(
            sessions=parse_sessions(self.sessions),
            tz=ZoneInfo(self.timezone),
            extra_days_off=[date.fromisoformat(d) for d in self.extra_days_off],
            extra_working_days=[date.fromisoformat(d) for d in self.extra_working_days],
        )

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value


class AreaConfig(_Section):
    code: str = Field(pattern=r"^[a-z0-9_]{1,32}$")
    name: str = Field(min_length=1)
    keywords: list[str] = Field(default_factory=list)
    examples: list[str] = Field(default_factory=list)  # typical questions, to train the router
    first_response_hours: float = Field(default=8, gt=0)
    resolution_hours: float = Field(default=40, gt=0)


MEMBER_LIST = "members"  # the channel part of a member list's key: its members may mix channels


class GroupConfig(_Section):
    channel: Literal["telegram", "zalo", "console"] | None = None  # needed with chat_id
    chat_id: str = ""
    thread_id: str | None = None
    name: str = ""
    areas: list[str] = Field(min_length=1)
    members: list[str] = Field(default_factory=list)

    @field_validator("chat_id", "thread_id", mode="before")
    @classmethod
    def _as_text(cls, value: object) -> object:
        return str(value) if isinstance(value, int) else value  # Telegram ids are numbers

    _identities = field_validator("members")(_identities)


class Config(_Section):
    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    telegram: TelegramConfig = Field(default_factory=TelegramConfig)
    zalo: ChannelConfig = Field(default_factory=ChannelConfig)
    console: ConsoleConfig = Field(default_factory=ConsoleConfig)
    registration: RegistrationConfig = Field(default_factory=RegistrationConfig)
    roles: RolesConfig = Field(default_factory=RolesConfig)
    limits: LimitsConfig = Field(default_factory=LimitsConfig)
    schedule: ScheduleConfig = Field(default_factory=ScheduleConfig)
    reports: ReportsConfig = Field(default_factory=ReportsConfig)
    ops: OpsConfig = Field(default_factory=OpsConfig)
    outbox: OutboxConfig = Field(default_factory=OutboxConfig)
    routing: RoutingConfig = Field(default_factory=RoutingConfig)
    areas: list[AreaConfig] = Field(min_length=1)
    groups: list[GroupConfig] = Field(default_factory=list)

    @property
    def console_enabled(self) -> bool:
        if self.console.enabled is not None:
            return self.console.enabled
        return not (self.telegram.enabled or self.zalo.enabled)

    def settings(self) -> HotlineSettings:
        """What the channel-agnostic handlers need."""
        return HotlineSettings(
            areas=tuple(
                AreaSpec(a.code, a.name, tuple(a.keywords), a.first_response_hours,
                         a.resolution_hours, tuple(a.examples))
                for a in self.areas
            ),
            groups=tuple(
                GroupSpec(
                    channel=g.channel or MEMBER_LIST,
                    chat_id=g.chat_id or member_list_id(g),
                    name=g.name or desk_texts.GROUP_NAME_OF_AREAS.format(areas=", ".join(g.areas)),
                    areas=tuple(g.areas),
                    thread_id=g.thread_id,
                    members=tuple(Identity.parse(m) for m in g.members),
                )
                for g in self.groups
            ),
            supervisors=frozenset(Identity.parse(s) for s in self.roles.supervisors),
            supervisor_areas={
                Identity.parse(who): frozenset(codes) for who, codes in self.roles.supervisor_areas.items()
            },
            registration=self.registration.policy,
            timezone=ZoneInfo(self.schedule.timezone),
            followup=self.schedule.followup(),
            flood_per_minute=self.limits.flood_per_minute,
            commune_shared=self.registration.commune_shared,
            reports_folder=self.reports.folder,
            chat_export_limit=self.reports.chat_export_limit,
            router=Router(threshold=self.routing.threshold, margin=self.routing.margin),
        )


def member_list_id(g: GroupConfig) -> str:
    """A member-list group's id, stored on its tickets: from its name, so reordering or adding
    groups in the file never leaves open tickets without their group."""
    return "members-" + (re.sub(r"[^a-z0-9]+", "-", fold(g.name or " ".join(g.areas))).strip("-") or "to")


def _check_references(cfg: Config) -> None:
    codes = [a.code for a in cfg.areas]
    seen: set[str] = set()
    for i, code in enumerate(codes):
        if code in seen:
            raise ConfigError(f"areas[{i}].code: duplicate area code {code!r}")
        seen.add(code)
    for who, limited in cfg.roles.supervisor_areas.items():
        if who not in cfg.roles.supervisors:
            raise ConfigError(f"roles.supervisor_areas: {who} is not in roles.supervisors")
        for code in limited:
            if code not in seen:
                raise ConfigError(f"roles.supervisor_areas: unknown area code {code!r}")
    for i, g in enumerate(cfg.groups):
        for code in g.areas:
            if code not in seen:
                raise ConfigError(f"groups[{i}].areas: unknown area code {code!r}")
        if not g.chat_id and not g.members:
            raise ConfigError(f"groups[{i}]: needs chat_id (a group chat) or members (a list)")
        if g.chat_id and not g.channel:
            raise ConfigError(f"groups[{i}].channel: a group chat needs its channel ({', '.join(CHANNELS)})")
    keys: dict[str, int] = {}
    for i, g in enumerate(cfg.groups):
        key = topic_key(g.channel or MEMBER_LIST, g.chat_id or member_list_id(g), g.thread_id)
        if key in keys:
            what = "name" if not g.chat_id else "chat_id and thread_id"
            raise ConfigError(f"groups[{i}]: same {what} as groups[{keys[key]}]")
        keys[key] = i
    for name in ("telegram", "zalo"):
        channel: ChannelConfig = getattr(cfg, name)
        url = urlsplit(channel.webhook_url)
        if channel.webhook_url and (url.scheme != "https" or not url.hostname):
            raise ConfigError(
                f"{name}.webhook_url: must be a public https:// address (the platform calls "
                "webhooks over HTTPS only); put a reverse proxy with TLS in front of "
                "webhook_host:webhook_port"
            )
        if channel.enabled and channel.mode == "webhook":
            if not channel.webhook_url:
                raise ConfigError(f"{name}.webhook_url: webhook mode needs the public HTTPS address")
            if not 8 <= len(channel.webhook_secret.get_secret_value()) <= 256:
                raise ConfigError(f"{name}.webhook_secret: webhook mode needs 8 to 256 characters")


def check_runnable(cfg: Config) -> None:
    """The bot needs at least one channel to talk on (`run`, `check-config`; a server making
    reports needs none)."""
    if not (cfg.console_enabled or cfg.telegram.enabled or cfg.zalo.enabled):
        raise ConfigError(
            "console.enabled: false and neither telegram.token nor zalo.token is set "
            "(or HOTLINE_TELEGRAM_TOKEN, HOTLINE_ZALO_TOKEN): the bot would have no channel"
        )


def _apply_env(data: dict) -> None:
    """Secrets may come from the environment instead of the file."""
    for channel in ("telegram", "zalo"):
        for key in ("token", "webhook_secret"):
            value = os.environ.get(f"HOTLINE_{channel.upper()}_{key.upper()}")
            if value:
                data.setdefault(channel, {})[key] = value
    url = os.environ.get("HOTLINE_DATABASE_URL")
    if url:
        data.setdefault("database", {})["url"] = url


def load_config(path: str | Path) -> Config:
    """Read and validate; any problem becomes one ConfigError line naming the key."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML: {err}") from None
    _apply_env(data)
    try:
        cfg = Config.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        # pydantic prefixes a validator's own message with "Value error, ": the reader wants ours
        msg = first["msg"].removeprefix("Value error, ")
        raise ConfigError(f"{where}: {msg}") from None
    _check_references(cfg)
    return cfg
