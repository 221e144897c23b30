"""The reports as chat messages: /tongket, /xephang, /xa, lateness, failed deliveries."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from handlers.reports.figures import CommuneReport, GroupRow, Summary
from handlers.reports.labels import area_name, commune_names, count, num, share
from handlers.reports.periods import Period
from handlers.settings import HotlineSettings
from storage.models import OutboxMessage


def delivery_lines(total: int, rows: Sequence[OutboxMessage], heading: str, tz: ZoneInfo) -> list[str]:
    """"❗ N tin không gửi được …" and one line per message: ticket, recipient, reason, when."""
    if not total:
        return []
    lines = [f"❗ {total} tin không gửi được {heading} — xin kiểm tra người nhận/nhóm còn hoạt động:"]
    for m in rows:
        ticket = f"#{m.ticket_id}" if m.ticket_id else "—"
        moment = m.created_at.astimezone(tz) if m.created_at else None
        at = f" ({moment:%H:%M %d/%m})" if moment else ""
        lines.append(f"{ticket} → {m.channel}:{m.chat_id} — {(m.last_error or '')[:80]}{at}")
    return lines


def summary_text(s: Summary, settings: HotlineSettings) -> str:
    c = s.counts
    lines = [f"📊 Tổng kết {s.period.label}: {count(c.received)} câu hỏi mới."]
    if s.deflected:
        lines.append(f"Sổ tay đã trả lời thêm {count(s.deflected)} câu hỏi (không cần tạo phiếu).")
    if c.received:
        lines += [
            f"Đã trả lời: {count(c.answered)} · Đã đóng: {count(c.closed)} · Còn mở: {count(c.open)}"
            f" · Quá hạn: {count(c.overdue)}"
            + (f" · Đã hủy: {count(c.cancelled)}" if c.cancelled else ""),
            "Thời gian phản hồi: chưa có phiếu nào được phản hồi." if s.median is None else
            f"Thời gian phản hồi (giờ làm việc): trung vị {num(s.median)} giờ, "
            f"90% trong {num(s.p90)} giờ ({count(len(s.response))} phiếu đã phản hồi).",
            f"Trả lời đúng hạn: {share(c.on_time, c.decided)}.",
            f"Vượt thẩm quyền, báo lãnh đạo: {count(c.escalated)} · Quá hạn, tự động báo lãnh đạo: "
            f"{count(c.auto_escalated)}.",
            f"Đánh giá trung bình: {num(c.rating)}/5 ({count(c.rated)} lượt)." if c.rated
            else "Đánh giá: chưa có lượt nào.",
            "Theo lĩnh vực:",
        ]
        for code, a in s.by_area:
            late = f" (quá hạn {count(a.overdue)})" if a.overdue else ""
            lines.append(f"• {area_name(settings, code)}: {count(a.received)}{late}")
        names = commune_names()
        lines.append(f"{count(len(s.top_communes))} xã/phường hỏi nhiều nhất:")
        for cid, n in s.top_communes:
            lines.append(f"• {names.get(cid, '—') if cid is not None else '—'}: {count(n)}")
    lines.append(f"Đang quá hạn (mọi kỳ): {count(s.overdue_everywhere)} phiếu — xem /quahan.")
    return "\n".join(lines)


def league_text(rows: Sequence[GroupRow], period: Period) -> str:
    if not rows:
        return f"🏆 Xếp hạng tổ công tác {period.label}: chưa có câu hỏi nào."
    lines = [
        f"🏆 Xếp hạng tổ công tác {period.label}",
        "(theo tỉ lệ trả lời đúng hạn, rồi thời gian phản hồi trung vị, giờ làm việc):",
    ]
    for i, r in enumerate(rows, start=1):
        c = r.counts
        share = c.on_time_share  # None exactly when no ticket fell due
        rate = (f"{num(100 * share, 0)}% đúng hạn ({count(c.on_time)}/{count(c.decided)})"
                if share is not None else "chưa có phiếu đến hạn")
        median = f"trung vị {num(r.median)} giờ" if r.median is not None else "chưa phản hồi phiếu nào"
        lines.append(
            f"{i}. {r.name}: {rate}; {median}; {count(c.received)} câu hỏi"
            + (f"; đang quá hạn {count(c.overdue)}" if c.overdue else "")
        )
    return "\n".join(lines)


def commune_text(r: CommuneReport, name: str, period: Period, settings: HotlineSettings) -> str:
    c = r.counts
    lines = [f"🏘️ {name} — {period.label}: {count(c.received)} câu hỏi."]
    if not c.received:
        return lines[0]
    lines += [
        f"Trả lời đúng hạn: {share(c.on_time, c.decided)} · Phản hồi trung vị {num(r.median)} giờ "
        f"làm việc · Còn mở: {count(c.open)} · Quá hạn: {count(c.overdue)}.",
        "Theo lĩnh vực (hỏi nhiều nhất trước — nơi cần hướng dẫn, bồi dưỡng):",
    ]
    for code, a in r.by_area:
        late = f", quá hạn {count(a.overdue)}" if a.overdue else ""
        part = num(100 * a.received / c.received, 0)
        lines.append(f"• {area_name(settings, code)}: {count(a.received)} ({part}%{late})")
    return "\n".join(lines)


def late_text(hours: float) -> str:
    """How late, in working hours (and working days of 8 hours when long)."""
    if hours < 8:
        return f"{num(hours)} giờ làm việc"
    days, rest = divmod(hours, 8)
    return f"{num(hours)} giờ làm việc (~{int(days)} ngày làm việc {num(rest)} giờ)"
