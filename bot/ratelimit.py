"""Token buckets that keep the sender inside each platform's limits, so it never causes 429s."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChannelLimits:
    """Messages allowed: overall per second, into one private chat per second, into one group
    per minute (Telegram's published limits are 30/s, ~1/s and 20/min)."""

    per_second: float = 30.0
    per_chat_per_second: float = 1.0
    per_group_per_minute: float = 20.0


UNLIMITED = ChannelLimits(per_second=0, per_chat_per_second=0, per_group_per_minute=0)


class Bucket:
    def __init__(self, rate: float, burst: float):
        self.rate = rate  # tokens per second
        self.burst = burst
        self.tokens = burst
        self.stamp: float | None = None

    def wait(self, now: float) -> float:
        """Seconds until one token is available (0 when it is now)."""
        if self.stamp is not None:
            self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self) -> None:
        self.tokens -= 1


class RateLimiter:
    """One overall bucket per channel and one per chat; `wait` says how long to hold a message."""

    def __init__(self, limits: dict[str, ChannelLimits]):
        self.limits = limits
        self._buckets: dict[str, Bucket] = {}

    def _buckets_for(self, channel: str, chat_key: str, group: bool) -> list[Bucket]:
        limits = self.limits.get(channel, UNLIMITED)
        wanted: list[tuple[str, float, float]] = []
        if limits.per_second > 0:
            wanted.append((channel, limits.per_second, limits.per_second))
        if group and limits.per_group_per_minute > 0:
            # a small burst, then the minute's average: no 20 cards in one second into a group
            wanted.append((chat_key, limits.per_group_per_minute / 60, 3))
        elif not group and limits.per_chat_per_second > 0:
            wanted.append((chat_key, limits.per_chat_per_second, 1))
        buckets = []
        for key, rate, burst in wanted:
            if key not in self._buckets:
                self._buckets[key] = Bucket(rate, burst)
            buckets.append(self._buckets[key])
        return buckets

    def wait(self, channel: str, chat_key: str, group: bool, now: float) -> float:
        return max((b.wait(now) for b in self._buckets_for(channel, chat_key, group)), default=0.0)

    def take(self, channel: str, chat_key: str, group: bool) -> None:
        for bucket in self._buckets_for(channel, chat_key, group):
            bucket.take()
