"""The outbox sender: platform limits, order per chat, permanent failures made visible."""

from __future__ import annotations

from sqlalchemy import select

from bot.channels.base import SendError
from bot.ratelimit import ChannelLimits, RateLimiter
from storage.models import OutboxMessage, TicketEvent
from tests.helpers.harness import CH, texts_to


def test_buckets_hold_to_the_group_and_chat_limits():
    limiter = RateLimiter({"tg": ChannelLimits(per_second=30, per_chat_per_second=1,
                                               per_group_per_minute=20)})
    sent = 0
    for _ in range(10):
        if limiter.wait("tg", "tg:g", True, now=0.0) == 0:
            limiter.take("tg", "tg:g", True)
            sent += 1
    assert sent == 3  # a burst of three, then one every three seconds (20 a minute)
    assert limiter.wait("tg", "tg:g", True, now=0.0) == 3.0
    assert limiter.wait("tg", "tg:g", True, now=3.0) == 0
    limiter.take("tg", "tg:p", False)
    assert limiter.wait("tg", "tg:p", False, now=3.0) == 1.0  # one a second into one chat
    assert limiter.wait("other", "other:x", False, now=0.0) == 0  # unknown channel: no limit


class StillLimiter(RateLimiter):
    """The sender's limiter on a clock of the test's: the buckets refill only when the test
    moves it, never because a loaded machine made the test slow."""

    def __init__(self, limits: dict[str, ChannelLimits]):
        super().__init__(limits)
        self.now = 0.0

    def wait(self, channel: str, chat_key: str, group: bool, now: float) -> float:
        return super().wait(channel, chat_key, group, self.now)


async def test_burst_into_one_group_is_paced_in_order(hx):
    hx.sender.limiter = limiter = StillLimiter({CH: ChannelLimits(per_second=30, per_group_per_minute=20)})
    await hx.register("an")
    for i in range(5):
        await hx.say("an", f"Câu hỏi số {i} về cấp sổ đỏ cho hộ gia đình")
    cards = [m.text for _, m in hx.channel.sent if m.chat.chat_id == "g_dat"]
    assert len(cards) == 3
    delay = await hx.sender.deliver_due()
    assert 0 < delay <= 3.0
    limiter.now += 6.0  # two more tokens at 20 a minute
    await hx.sender.deliver_due()
    cards = [m.text for _, m in hx.channel.sent if m.chat.chat_id == "g_dat"]
    assert [c.split("\n")[0] for c in cards] == [f"📩 Phiếu #{n} — Đất đai" for n in range(1, 6)]


async def test_permanent_failure_is_recorded_and_supervisors_told(hx):
    await hx.register("an")
    hx.channel.fail_to["g_dat"] = [SendError("chat not found", permanent=True)]
    out = await hx.say("an", "Cấp sổ đỏ lần đầu cần những giấy tờ gì?")
    warning = texts_to(out, "sep")
    assert len(warning) == 1 and "#1" in warning[0] and "mem:g_dat" in warning[0]
    assert texts_to(out, "an")  # the cadre's confirmation still went out, in order
    async with hx.db.session() as s:
        failed = (await s.execute(select(OutboxMessage).where(OutboxMessage.status == "failed")))
        assert len(failed.all()) == 1
        kinds = [e.kind for e in (await s.execute(select(TicketEvent))).scalars()]
        assert "delivery_failed" in kinds

    # and it stays visible: in /quahan for a week, and in the next morning's digest
    [overdue] = texts_to(await hx.say("sep", "/quahan"), "sep")
    assert overdue.startswith("Không có phiếu nào quá hạn. 👍\n\n❗ 1 tin không gửi được trong 7 ngày qua")
    assert "#1 → mem:g_dat — chat not found (09:00 23/11)" in overdue
    hx.clock.advance(days=1)
    [digest] = texts_to(await hx.digest(), "sep")
    assert "❗ 1 tin không gửi được ngày 23/11/2026" in digest and "#1 → mem:g_dat" in digest
    hx.clock.advance(days=7)
    assert "không gửi được" not in texts_to(await hx.say("sep", "/quahan"), "sep")[0]


async def test_transient_errors_retry_with_backoff_and_keep_order(hx):
    await hx.register("an")
    hx.channel.fail_next = [SendError("HTTP 500"), SendError("timeout")]
    await hx.say("an", "Cấp sổ đỏ lần đầu cần những giấy tờ gì?")
    await hx.say("an", "Thu hồi đất làm đường bồi thường thế nào?")
    for _ in range(3):
        hx.clock.advance(seconds=10)
        await hx.sender.deliver_due()
    cards = [m.text.split("\n")[0] for _, m in hx.channel.sent if m.chat.chat_id == "g_dat"]
    assert cards == ["📩 Phiếu #1 — Đất đai", "📩 Phiếu #2 — Đất đai"]


async def test_429_pauses_the_whole_channel_then_everything_goes_out_in_order(hx):
    await hx.register("an")
    await hx.register("bob")
    hx.channel.fail_to["g_dat"] = [SendError("Too Many Requests", retry_after=30)]
    await hx.say("an", "Cấp sổ đỏ lần đầu cần những giấy tờ gì?")
    attempts = hx.channel.attempts  # the card got the 429 (the ack beside it went out)
    await hx.say("bob", "Thu hồi đất làm đường bồi thường thế nào?")
    for _ in range(5):  # more passes while paused: no further calls, so no 429 storm
        await hx.sender.deliver_due()
    assert hx.channel.attempts == attempts
    hx.sender._paused.clear()  # the platform's retry_after has passed
    hx.clock.advance(seconds=31)
    await hx.sender.deliver_due()
    cards = [m.text.split("\n")[0] for _, m in hx.channel.sent if m.chat.chat_id == "g_dat"]
    assert cards == ["📩 Phiếu #1 — Đất đai", "📩 Phiếu #2 — Đất đai"]
    assert texts_to(hx.channel.sent, "an") and texts_to(hx.channel.sent, "bob")


async def test_an_outage_of_hours_loses_nothing(hx):
    await hx.register("an")
    hx.channel.fail_next = [SendError("HTTP 502") for _ in range(30)]  # ~2 hours at the cap
    await hx.say("an", "Cấp sổ đỏ lần đầu cần những giấy tờ gì?")
    for _ in range(40):
        hx.clock.advance(seconds=301)
        await hx.sender.deliver_due()
    assert [m.text.split("\n")[0] for _, m in hx.channel.sent if m.chat.chat_id == "g_dat"] == [
        "📩 Phiếu #1 — Đất đai"]
    assert any("số phiếu #1" in t for t in texts_to(hx.channel.sent, "an"))


async def test_a_send_that_keeps_crashing_is_given_up_visibly(hx):
    await hx.register("an")
    hx.channel.fail_next = [RuntimeError("adapter bug") for _ in range(24)]  # card, confirmation
    await hx.say("an", "Cấp sổ đỏ lần đầu cần những giấy tờ gì?")
    for _ in range(15):
        hx.clock.advance(seconds=301)
        await hx.sender.deliver_due()
    warnings = texts_to(hx.channel.sent, "sep")
    assert len(warnings) == 2 and all("lỗi hệ thống khi gửi (RuntimeError)" in w for w in warnings)
    async with hx.db.session() as s:
        failed = (await s.execute(select(OutboxMessage).where(OutboxMessage.status == "failed"))).all()
        assert len(failed) == 2



async def test_a_card_backlog_in_one_group_never_holds_other_chats(hx):
    # thirty cards for the land group, ten times what its limit lets out at once: a backlog
    # stands (the limiter's clock stands still) while every other chat is served
    cadres = [f"c{i}" for i in range(30)]
    for who in [*cadres, "bob"]:
        await hx.register(who)  # (unlimited while registering: no chat starts out throttled)
    hx.sender.limiter = StillLimiter({CH: ChannelLimits(per_second=1000, per_chat_per_second=1,
                                                        per_group_per_minute=20)})
    for who in cadres:
        await hx.say(who, f"Cấp sổ đỏ lần đầu cho hộ gia đình {who} cần giấy tờ gì?")
    await hx.say("bob", "Kinh phí sửa chữa trụ sở lấy từ ngân sách nào?")
    sent = hx.channel.sent
    acks = [m for _, m in sent if m.chat.chat_id in cadres and "số phiếu #" in m.text]
    assert len(acks) == len(cadres)  # every ack left at once, behind none of the cards
    assert len(texts_to(sent, "g_tc")) == 1 and len(texts_to(sent, "bob")) == 2
    assert len(texts_to(sent, "g_dat")) == 3  # the group's burst, then its pace


async def test_a_private_reply_goes_before_a_group_card_of_the_same_age(hx):
    await hx.register("an")
    hx.sender.limiter = StillLimiter({CH: ChannelLimits(per_second=1, per_chat_per_second=0,
                                                        per_group_per_minute=0)})
    out = await hx.say("an", "Cấp sổ đỏ lần đầu cần những giấy tờ gì?")
    assert [m.chat.chat_id for _, m in out] == ["an"]  # one token: the cadre's ack takes it
