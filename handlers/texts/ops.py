"""What operators read: `hotline status` (bot/status.py), the command line, the console."""

SECONDS = "{n} giây"
MINUTES = "{n} phút"
HOURS = "{n} giờ"
LEADER = "điều phối (leader)"
STANDBY = "dự phòng (standby)"
LOST = "mất tín hiệu"
INSTANCE = "  {id:<28} {role:<20} chạy từ {started}, tín hiệu cuối cách đây {ago}"
HEADING = "Trạng thái đường dây hỗ trợ lúc {now:%d/%m/%Y %H:%M:%S}"
INSTANCES = "Phiên bản đang chạy:"
NO_INSTANCE = "  (không thấy phiên bản nào)"
LEADS = "Điều phối: {id}"
NO_LEADER = "Điều phối: KHÔNG CÓ — không phiên bản nào nhận tin từ nền tảng và chạy lịch nhắc"
OUTBOX = "Hàng đợi gửi:"
OUTBOX_EMPTY = "  không còn tin chờ gửi"
OLDEST_DUE = ", tin đến hạn lâu nhất đã chờ {ago}"
OUTBOX_CHANNEL = "  {channel}: {pending} tin chờ gửi, {due} đã đến hạn{oldest}"
FAILED = "Gửi không được trong 24 giờ qua: "
NONE = "không có"

# how the sender records a row given up on an unexpected error; bot/resend.py matches it to
# queue such rows again, so rows already in a database must keep reading the same
GIVEN_UP = "lỗi hệ thống khi gửi ({error})"

# --- the `hotline` command line (bot/cli.py) ---
PROGRAM = "Đường dây hỗ trợ xã, phường"
PERIOD_ARGUMENT = "--period KỲ"
REPORT_WRITTEN = "{out}: {rows} phiếu, {period}"
HANDBOOK_IMPORTED = "{path}: {count} mục sổ tay (đã nhập)"
HANDBOOK_EXPORTED = "{path}: {count} mục sổ tay (đã xuất)"

# --- the local console channel (bot/channels/console.py) ---
CONSOLE_USAGE = (
    "Lệnh console: ':as <mã> [Tên]' đổi người nói, ':in group:<mã nhóm>' hoặc ':in private' "
    "đổi cuộc trò chuyện, ':reply <mã tin> <nội dung>' trả lời một tin của bot, ':quit' thoát."
)
CONSOLE_WELCOME = "Kênh console của đường dây hỗ trợ. {usage}"
CONSOLE_USER = "Cán bộ xã"
CONSOLE_GROUP = "nhóm {chat}"
CONSOLE_PRIVATE = "riêng"
CONSOLE_ATTACHMENT = {"photo": "ảnh", "document": "tệp"}
CONSOLE_ATTACHED = "[{label} đính kèm: {path}]"
CONSOLE_NO_SUCH_MESSAGE = "Không có tin {id} của bot trong phiên này (mã tin: m1, m2…)."
