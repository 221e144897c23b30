"""What a channel adapter is configured with: the `[telegram]` and `[zalo]` sections.

Beside the adapters, so that importing one loads neither the whole config nor the handlers;
bot/config.py puts these sections into the config file's model.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from bot.ratelimit import ChannelLimits


class ChannelConfig(BaseModel):
    # strict as every config section: "yes" is not a bool and "20" not a number
    model_config = ConfigDict(extra="forbid", strict=True)

    token: SecretStr = SecretStr("")
    api_base: str = ""
    mode: Literal["polling", "webhook"] = "polling"
    webhook_url: str = ""  # public URL the platform calls
    webhook_host: str = "0.0.0.0"
    webhook_port: int = 8080
    webhook_path: str = ""
    webhook_secret: SecretStr = SecretStr("")
    # What the sender lets out (0 = no limit). Zalo publishes no rate limits: these keep the
    # sender polite there; TelegramConfig defaults to Telegram's published limits.
    max_per_second: float = Field(default=10, ge=0)
    max_per_chat_per_second: float = Field(default=1, ge=0)
    max_per_group_per_minute: float = Field(default=60, ge=0)
    # the supervisors are told when the platform has failed every call for this long
    outage_alert_minutes: float = Field(default=10, gt=0)

    @property
    def enabled(self) -> bool:
        return bool(self.token.get_secret_value())

    def limits(self) -> ChannelLimits:
        return ChannelLimits(self.max_per_second, self.max_per_chat_per_second,
                             self.max_per_group_per_minute)


class TelegramConfig(ChannelConfig):
    # Telegram's published limits: ~30 messages a second overall, ~1 a second into one chat,
    # ~20 a minute into one group (core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this)
    max_per_second: float = Field(default=30, ge=0)
    max_per_chat_per_second: float = Field(default=1, ge=0)
    max_per_group_per_minute: float = Field(default=20, ge=0)
