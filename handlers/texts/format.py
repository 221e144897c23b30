"""How tickets read in messages. Every message about a ticket shows #N."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from handlers.settings import HotlineSettings
from handlers.textutil import one_line
from storage.communes import load_communes
from storage.models import Ticket, TicketEvent, TicketStatus, User

WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")

STATUS_TEXT = {
    TicketStatus.NEW: "Mới, chờ tiếp nhận",
    TicketStatus.IN_PROGRESS: "Đang xử lý",
    TicketStatus.WAITING: "Chờ cán bộ bổ sung",
    TicketStatus.ANSWERED: "Đã trả lời",
    TicketStatus.CLOSED: "Đã đóng",
    TicketStatus.CANCELLED: "Đã hủy",
}

EVENT_TEXT = {
    "question": "Câu hỏi",
    "answer": "Trả lời",
    "info": "Bổ sung",
    "claim": "Nhận xử lý",
    "transfer": "Chuyển",
    "escalate": "Vượt thẩm quyền",
    "reopen": "Mở lại",
    "close": "Đóng",
    "cancel": "Hủy",
    "ask_back": "Hỏi lại cán bộ",
    "postpone": "Hoãn hạn",
    "remind": "Nhắc hạn",
    "overdue": "Quá hạn, báo lãnh đạo",
    "checkback": "Hỏi lại kết quả",
    "rating": "Đánh giá",
    "attachment": "Đính kèm",
    "handbook": "Sổ tay",
    "delivery_failed": "Không gửi được tin",
}


def when(moment: datetime | None, tz: ZoneInfo) -> str:
    if moment is None:
        return "—"
    local = moment.astimezone(tz)
    return f"{local:%H:%M} {WEEKDAYS[local.weekday()]} {local:%d/%m/%Y}"


def commune_name(commune_id: int | None) -> str:
    for c in load_communes():
        if c.id == commune_id:
            return c.name
    return "—"


def area_name(settings: HotlineSettings, code: str) -> str:
    area = settings.area(code)
    return area.name if area else code


def routing_line(t: Ticket, settings: HotlineSettings) -> str:
    """How the area was decided, so staff see the router's confidence and transfer quickly."""
    name = area_name(settings, t.area_code)
    name = name[:1].lower() + name[1:]
    if t.routed_by == "auto" and t.route_score is not None:
        score = f"{t.route_score:.2f}".replace(".", ",")  # Vietnamese decimal comma
        return f"Phân loại tự động: {name} ({score})\n"
    if t.routed_by == "auto":
        return f"Phân loại tự động theo từ khóa: {name}\n"
    if t.routed_by == "cadre":
        return f"Lĩnh vực do cán bộ chọn: {name}\n"
    return ""


def quoted(text: str) -> str:
    """What a user wrote, every line marked, so that no line of it reads as a card's field."""
    return "\n".join(f"┃ {line}" for line in text.splitlines() or [""])


def card(t: Ticket, asker: User, settings: HotlineSettings) -> str:
    """The card a working group gets for a new ticket."""
    return (
        f"📩 Phiếu #{t.id} — {area_name(settings, t.area_code)}\n"
        f"Xã/phường: {commune_name(t.commune_id)}\n"
        f"Người hỏi: {one_line(asker.name)} ({one_line(asker.position)})\n"
        f"Hạn trả lời: {when(t.due_at, settings.timezone)}\n"
        f"{routing_line(t, settings)}"
        f"Nội dung:\n{quoted(t.question)}\n\n"
        f"Trả lời: gõ /tl {t.id} <nội dung> (trên Telegram: trả lời (reply) thẳng tin nhắn này)."
    )


def line(t: Ticket, settings: HotlineSettings, now: datetime | None = None) -> str:
    """One ticket in a list; given `now`, one waiting past its deadline is marked so."""
    text = one_line(t.question)  # a line break in it would read as another ticket of the list
    question = text if len(text) <= 60 else text[:57] + "…"
    late = (now is not None and t.status in TicketStatus.OPEN and t.due_at is not None
            and t.due_at < now)
    return (
        f"#{t.id} [{STATUS_TEXT.get(t.status, t.status)}] {area_name(settings, t.area_code)} — "
        f"{question} (hạn {when(t.due_at, settings.timezone)}{', ⚠️ quá hạn' if late else ''})"
    )


def history(
    t: Ticket, events: Sequence[TicketEvent], asker: User | None, settings: HotlineSettings
) -> str:
    tz = settings.timezone
    lines = [
        f"Phiếu #{t.id} — {area_name(settings, t.area_code)}",
        f"Trạng thái: {STATUS_TEXT.get(t.status, t.status)}",
        f"Xã/phường: {commune_name(t.commune_id)}",
        f"Người hỏi: {one_line(asker.name) if asker else '—'}",
        f"Tạo lúc: {when(t.created_at, tz)}; hạn trả lời: {when(t.due_at, tz)}; "
        f"hạn giải quyết: {when(t.resolution_due_at, tz)}",
        "Lịch sử:",
    ]
    for e in events:
        who = e.actor_name or e.actor
        body = f": {e.text}".replace("\n", "\n   ┃ ") if e.text else ""  # never a fake entry
        lines.append(f"• {when(e.at, tz)} — {EVENT_TEXT.get(e.kind, e.kind)} — {who}{body}")
    return "\n".join(lines)
