"""What supervisors hear: registrations to approve, invites, bans, communes, escalations."""

NEW_REGISTRATION = "Đăng ký mới chờ duyệt: {summary} ({who})."
APPROVE = "Duyệt"
REJECT = "Từ chối"
NO_REGISTRATION = "Không có đăng ký nào của {who}."
ALREADY_DECIDED = "Đăng ký của {name} ({who}) đã được xử lý trước đó."
REJECT_ACTIVE = (
    "{name} ({who}) đã được duyệt và đang dùng đường dây; /tuchoi chỉ dùng cho đăng ký "
    "đang chờ. Muốn ngừng cho người này dùng, gõ /chan {who} <lý do>."
)
APPROVED = "Đã duyệt {name} ({who})."
REJECTED = "Đã từ chối đăng ký của {name} ({who})."
NO_MATCH = "không có"
ONE_COMMUNE_NEEDED = "Cần đúng một xã/phường. Các đơn vị khớp: {names}."
INVITE_CODE = (
    "Mã mời cho {commune}: {code}\n"
    "Gửi cho cán bộ: nhắn cho bot “/thamgia {code}” rồi làm theo hướng dẫn."
)

# --- overdue tickets and the daily digest ---
OVERDUE_LINE = "#{number} {area} — {commune} — {group} — trễ {hours} giờ làm việc"
NO_GROUP = "chưa có tổ"
POSTPONED_BECAUSE = " (đã hoãn: {reason})"
OVERDUE_EVENT = "Trễ {hours} giờ"
OVERDUE = "🚨 Phiếu quá hạn chưa được trả lời:\n"
SEE_NUMBER = "Xem #{number}"
DIGEST_DAY = "ngày {day:%d/%m/%Y}"
DIGEST_DAYS = "từ {first:%d/%m} đến hết {last:%d/%m/%Y}"
DIGEST_NUMBERS = "📊 Số liệu {span}"
DIGEST_AREAS = " ({areas})"
DIGEST_COUNTS = ": {received} câu hỏi mới, {answered} đã trả lời, {closed} đã đóng."
DIGEST_OVERDUE = "Đang quá hạn: {count} phiếu."

# --- supervisors' commands ---
COMMUNE_NOT_FOUND = "Không tìm thấy xã/phường “{name}”. Xin gõ tên mới hoặc tên cũ trước sáp nhập."
COMMUNE_AMBIGUOUS = "“{name}” ứng với nhiều xã/phường. Chọn số, hoặc gõ /xa <tên đầy đủ>{suffix}:"
FAILED_IN_DAYS = "trong {days} ngày qua"
NOTHING_OVERDUE = "Không có phiếu nào quá hạn. 👍"
OLDEST_SHOWN = " (hiện {count} phiếu cũ nhất)"
OVERDUE_HEADING = "⏰ {total} phiếu quá hạn chưa trả lời, cũ nhất trước{shown}:"
NOT_CLAIMED = "chưa nhận"
IN_PROGRESS = "đang xử lý"
OVERDUE_LIST_LINE = "#{number} {area} — {commune} — {group} — trễ {late} — {state}, hạn {due}"
CANNOT_BAN_SUPERVISOR = "Không thể chặn lãnh đạo."
BANNED = "Đã chặn {who}. Tin nhắn của người này sẽ không được xử lý. Bỏ chặn: /bochan {who}"
NOT_BANNED = "{who} không bị chặn."
UNBANNED = "Đã bỏ chặn {who}."

# --- a platform unreachable, back, or refusing the bot's token (bot/channels/outage.py) ---
SECONDS = "{n} giây"
MINUTES = "{n} phút"
HOURS_MINUTES = "{hours} giờ {minutes} phút"
CHANNEL_DOWN = (
    "⚠️ Kênh {channel} không liên lạc được với máy chủ {channel} đã {lasted} "
    "(lỗi gần nhất: {reason}). Bot vẫn tự thử lại; tin nhắn đến và đi được "
    "giữ lại, không mất. Sẽ báo khi kênh hoạt động lại."
)
CHANNEL_BACK = (
    "✅ Kênh {channel} đã hoạt động lại sau khoảng {lasted} gián đoạn; "
    "các tin đang chờ được gửi tiếp."
)
TOKEN_REFUSED = (
    "❗ {channel} từ chối mã truy cập (token) của bot, nên kênh {channel} đã dừng. "
    "Quản trị hệ thống cần kiểm tra token của {channel} trong cấu hình rồi khởi "
    "động lại bot; tin gửi đi vẫn được giữ trong hàng đợi."
)

# the report commands' usage lines (the registry's, and the answer to a period not understood)
SUMMARY_LINE = "/tongket [kỳ]"
RANKING_LINE = "/xephang [kỳ]"
COMMUNE_LINE = "/xa <tên xã/phường> [kỳ]"
EXPORT_LINE = "/xuat [kỳ]"
CHART_LINE = "/bieudo [kỳ]"

# --- a message the outbox gave up on (bot/sender.py) ---
DELIVERY_FAILED_EVENT = "Không gửi được tới {channel}:{chat_id}: {reason}"
ABOUT_TICKET = " về phiếu #{number}"
DELIVERY_FAILED = (
    "❗ Không gửi được tin{about} tới {channel}:{chat_id} ({reason}). "
    "Xin kiểm tra nhóm/người nhận còn hoạt động."
)
