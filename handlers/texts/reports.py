"""Report texts: periods, the Excel workbook, the chart, report jobs. The chat reports'
wording is built in handlers/texts/report_chat.py."""

# --- periods ---
PERIOD_HELP = "homnay, homqua, tuan, thang, nam, YYYY-MM (ví dụ 2026-11) hoặc DD/MM/YYYY-DD/MM/YYYY"
PERIOD_YEARS = "Kỳ phải nằm trong các năm {first}–{last}. Kỳ: {help}"
PERIOD_USAGE = "{usage} — kỳ: {help}"
TODAY = "hôm nay ({day:%d/%m/%Y})"
YESTERDAY = "hôm qua ({day:%d/%m/%Y})"
THIS_WEEK = "tuần này ({span})"
MONTH = "tháng {first:%m/%Y}"
YEAR = "năm {year}"
DAY = "ngày {day:%d/%m/%Y}"
DAYS = "từ {first:%d/%m/%Y} đến {last:%d/%m/%Y}"  # not "từ A–B": one or the other

# --- labels ---
NOTHING_DUE = "— (chưa có phiếu đến hạn)"
NO_GROUP = "Chưa có tổ (lãnh đạo xử lý)"

# --- the Excel workbook ---
TICKET_HEADERS = (
    "Số phiếu", "Ngày hỏi", "Ngày đóng", "Xã/phường", "Người hỏi", "Câu hỏi", "Lĩnh vực",
    "Tổ công tác", "Trạng thái", "Phản hồi (giờ làm việc)", "Đúng hạn", "Giải quyết (giờ làm việc)",
    "Đánh giá",
)
AREA_HEADERS = (
    "Xã/phường", "Số câu hỏi", "Đã phản hồi", "Đúng hạn", "Trễ hạn", "Tỉ lệ đúng hạn (%)",
    "Phản hồi trung vị (giờ làm việc)", "Còn mở", "Quá hạn",
)
AREA_SHEET = "Lĩnh vực"
TICKETS_SHEET = "Phiếu"
OVERVIEW_SHEET = "Tổng hợp"
YES = "Có"
NO = "Không"
TOO_LARGE = (
    "Kỳ {period} có {received} phiếu, quá nhiều để gửi qua tin nhắn. Xin chọn "
    "kỳ ngắn hơn, hoặc trên máy chủ chạy: hotline report --period … --out baocao.xlsx"
)
OVERVIEW_ROWS = (  # in the order of the overview sheet's rows
    "Từ ngày", "Đến ngày", "Số câu hỏi nhận", "Đã trả lời", "Đã đóng", "Còn mở",
    "Quá hạn (chờ tổ trả lời, đã qua hạn)", "Đã hủy", "Phản hồi trung vị (giờ làm việc)",
    "Phản hồi phân vị 90% (giờ làm việc)", "Trả lời đúng hạn", "Trả lời trễ hạn hoặc quá hạn chưa trả lời",
    "Tỉ lệ trả lời đúng hạn (%)", "Vượt thẩm quyền, báo lãnh đạo", "Quá hạn, tự động báo lãnh đạo",
    "Đánh giá trung bình (1–5)", "Số lượt đánh giá",
)
BY_AREA_HEADERS = ("Theo lĩnh vực", "Số câu hỏi", "Đã trả lời", "Còn mở", "Quá hạn", "Tỉ lệ đúng hạn (%)")
LEAGUE_HEADERS = ("Xếp hạng tổ công tác", "Số câu hỏi", "Đúng hạn", "Đã đến hạn",
                  "Tỉ lệ đúng hạn (%)", "Phản hồi trung vị (giờ làm việc)", "Quá hạn")
TOP_COMMUNES = "{count} xã/phường hỏi nhiều nhất"
QUESTIONS = "Số câu hỏi"
NO_RESPONSE_YET = "chưa có phiếu được phản hồi"
MEDIAN_RESPONSE = "phản hồi trung vị {hours} giờ làm việc"
EXPORT_CAPTION = (
    "📄 Báo cáo {period}: {rows} phiếu; đúng hạn "
    "{share}; {speed}. "
    "Trang “Phiếu”: từng phiếu; “Tổng hợp”: số liệu chung và xếp hạng tổ; "
    "mỗi lĩnh vực một trang theo xã/phường."
)

# --- the chart ---
CHART_QUESTIONS = "Số câu hỏi"
CHART_WEEKS = "Tuần (bắt đầu từ thứ Hai)"
CHART_TITLE = "Câu hỏi theo tuần và lĩnh vực — {period}"
CHART_EMPTY = "Chưa có câu hỏi nào trong kỳ"
CHART_ON_TIME_LINE = "Tỉ lệ trả lời đúng hạn (%)"
CHART_ON_TIME_AXIS = "Trả lời đúng hạn (%)"
CHART_CAPTION = (
    "📈 Câu hỏi theo tuần và lĩnh vực — {period}: {total} câu hỏi trong "
    "{weeks} tuần; "
    "trả lời đúng hạn {share}."
)

# --- report jobs (/xuat, /bieudo) ---
WHAT = {"xuat": "báo cáo Excel", "bieudo": "biểu đồ"}
A_REPORT = "báo cáo"
JOB_FAILED = (
    "⚠️ Không lập được {what} {label} do lỗi hệ thống. "
    "Xin thử lại sau; nếu vẫn lỗi, xin báo quản trị viên."
)
PREPARING = "⏳ Đang lập {what} {label}; tệp sẽ được gửi vào đây khi xong."
