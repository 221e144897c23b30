"""What agency staff hear in their working groups, and what the cadre hears of their work."""

# --- answering, claiming, transferring, escalating, closing ---
ACTOR = "{name} ({group})"
ALREADY_FINISHED = "Phiếu #{number} đã đóng ({status})."
ANSWER = (
    "💬 Trả lời phiếu #{number} từ {actor}:\n{text}\n\n"
    "Vấn đề đã được giải quyết chưa? Chọn bên dưới, hoặc gõ /xong {number} hay "
    "/chua {number} <còn vướng mắc gì>."
)
SEE_ATTACHMENT = "(xem ảnh/tệp kèm theo)"
RESOLVED = "Đã giải quyết"
NOT_YET = "Chưa"
ANSWER_SENT = "✅ Đã gửi trả lời phiếu #{number} cho cán bộ — {who} trả lời."
CLAIMED_BEFORE = "Phiếu #{number} đã có người nhận xử lý trước ({who})."
CLAIMED = "👤 Phiếu #{number}: {actor} nhận xử lý."
CLAIMED_TO_ASKER = "Phiếu #{number} đang được {actor} xử lý."
TRANSFER_WHERE = (
    "Chuyển phiếu #{number} sang lĩnh vực nào? Chọn số, hoặc gõ "
    "/chuyen {number} <mã lĩnh vực> [lý do]."
)
NO_GROUP_FOR_AREA = "Chưa có tổ công tác nào phụ trách lĩnh vực “{area}”."
TRANSFER_EVENT = "→ {area} ({group})"
REASON = "; lý do: {reason}"
TRANSFERRED_FROM = "\n(Chuyển từ {group}"
TRANSFERRED = "↪️ Đã chuyển phiếu #{number} sang {group}."
TRANSFERRED_TO_ASKER = "Phiếu #{number} được chuyển sang lĩnh vực {area} ({group}) để trả lời."
NO_REASON = "(chưa ghi lý do)"
ESCALATED_TO_SUPERVISORS = "⬆️ Phiếu #{number} vượt thẩm quyền của {actor}.\nLý do: {reason}\n\n"
SEE_TICKET = "Xem phiếu"
ESCALATED = "⬆️ Đã báo cáo phiếu #{number} lên lãnh đạo."
ESCALATED_TO_ASKER = "Phiếu #{number} vượt thẩm quyền của tổ công tác và đã được báo cáo lên lãnh đạo tỉnh."
CLOSED = "Đã đóng phiếu #{number}."
CLOSED_TO_ASKER = "Phiếu #{number} đã được {actor} đóng."
CLOSED_REASON = " Lý do: {reason}."
ASK_ANEW = " Nếu còn vướng mắc, xin gửi câu hỏi mới."
GROUP_ONLY = "Lệnh này dùng trong nhóm của tổ công tác."
NOTHING_OPEN = "Không còn phiếu nào chờ xử lý. 👍"
OPEN_LIST = "Phiếu chờ xử lý (cũ nhất trước):\n"
ASKED_BACK_TO_ASKER = (
    "❓ Tổ công tác hỏi lại về phiếu #{number} ({actor}):\n{question}\n\n"
    "Xin trả lời bằng /bosung {number} <nội dung>."
)
ASKED_BACK = "Đã hỏi lại cán bộ về phiếu #{number}; hạn xử lý tạm dừng."

# --- postponing ---
POSTPONE_TOO_LONG = "Chỉ được hoãn tối đa {hours:g} giờ làm việc."
POSTPONED_BEFORE = "Phiếu #{number} đã được hoãn một lần; không hoãn thêm được."
NO_DEADLINE = "Phiếu #{number} không có hạn để hoãn."
WAS_ANSWERED = "đã được trả lời"
WAS_ASKED_BACK = "đã được tổ hỏi lại cán bộ"
POSTPONE_TOO_LATE = (
    "Phiếu #{number} {what}, tức là đã có phản hồi đầu tiên; /hoan chỉ hoãn hạn "
    "phản hồi đầu tiên, trước khi tổ trả lời hoặc hỏi lại."
)
POSTPONE_EVENT = "+{hours:g} giờ làm việc, hạn mới {due}; lý do: {reason}"
POSTPONED = "⏳ Đã hoãn phiếu #{number}: {text}."
POSTPONED_TO_SUPERVISORS = "⏳ {actor} hoãn phiếu #{number}: {text}."
POSTPONED_TO_ASKER = "Phiếu #{number} cần thêm thời gian; hạn trả lời mới: {due}."

# --- binding a group chat to areas (/nhom, /duyetnhom, /tuchoinhom) ---
BIND_LINE = "/nhom <mã lĩnh vực> [mã khác…] [| Tên tổ]  — hoặc /nhom bo để gỡ"
DEFAULT_GROUP_NAME = "Tổ công tác"
GROUP_NAME_OF_AREAS = "Tổ {areas}"
UNBOUND_EVERYWHERE = "gỡ khỏi mọi lĩnh vực"
TOPIC = " (chủ đề {thread})"
CHANGE = "nhóm “{name}” ({channel}:{where}) — {what}"
BIND_IN_GROUP = "Lệnh /nhom dùng trong nhóm của tổ công tác."
GROUP_AREAS = "{name}: {areas}"
NO_AREAS = "chưa gắn lĩnh vực nào"
THIS_GROUP = "Nhóm này {where}.\nCách dùng: {usage}"
BIND_ADMINS_ONLY = "Chỉ quản trị viên của nhóm hoặc lãnh đạo mới được đề nghị gắn nhóm với lĩnh vực."
UNKNOWN_CODES = "{usage}. Mã không có: {unknown}. Các mã: {known}"
BIND_OWN_AREAS_ONLY = "Anh/chị chỉ được gắn nhóm với các lĩnh vực mình phụ trách."
REPLACED = "thay bằng yêu cầu mới"
UNTIL_APPROVED_NEW = "Nhóm chưa nhận phiếu của các lĩnh vực này cho đến khi yêu cầu được duyệt."
UNTIL_APPROVED_SAME = "Nhóm vẫn như hiện nay cho đến khi yêu cầu được duyệt."
REQUEST_SENT = "Đã gửi yêu cầu #{number} tới lãnh đạo: {change}. {until}"
REQUEST_TO_SUPERVISORS = (
    "Yêu cầu gắn nhóm #{number} chờ duyệt: {change}; "
    "người đề nghị: {asker} ({who})."
)
SUPERVISORS_ONLY = "Lệnh này chỉ dành cho lãnh đạo, người giám sát."
NO_REQUESTS = "Không có yêu cầu gắn nhóm nào chờ duyệt."
REQUESTS = "Yêu cầu gắn nhóm chờ duyệt:"
REQUEST_LINE = "#{number}: {change} ({who})"
HOW_TO_DECIDE = "Duyệt: /duyetnhom <số>; từ chối: /tuchoinhom <số> [lý do]."
NO_REQUEST = "Không có yêu cầu gắn nhóm #{number} mà anh/chị được duyệt."
REQUEST_DECIDED = "Yêu cầu gắn nhóm #{number} đã được xử lý trước đó."
BECAUSE = " Lý do: {note}."
REQUEST_REFUSED = "Đã từ chối yêu cầu gắn nhóm #{number}."
REQUEST_REFUSED_TO_GROUP = "Lãnh đạo không duyệt yêu cầu gắn nhóm #{number}.{because}"
BOUND_SUMMARY = "Đã gắn {change} (yêu cầu #{number}, {who} duyệt)."
BOUND_TO_GROUP = (
    "Đã gắn nhóm “{name}” với lĩnh vực: {areas}. "
    "Phiếu mới sẽ được gửi vào đây."
)
UNBOUND_TO_GROUP = "Đã gỡ nhóm này khỏi các lĩnh vực (cấu hình gốc, nếu có, được áp dụng lại)."
NO_LONGER = " Nhóm không còn nhận phiếu mới của: {areas}."
LOST_AREAS = (
    "Thông báo: từ nay phiếu mới về {areas} được chuyển tới nhóm “{name}” "
    "(lãnh đạo {who} duyệt). Các phiếu đang mở vẫn do nhóm xử lý."
)
BINDING_CHANGED = "Thay đổi gắn nhóm: {summary}"

# --- scheduled follow-ups ---
REMIND = "⏰ Nhắc: các phiếu sắp đến hạn trả lời:"
REMIND_EVENT = "Nhắc trước hạn"
DUE = "⚠️ Đã đến hạn mà chưa trả lời:"
UNRESOLVED = "⌛ Đã quá hạn giải quyết mà phiếu vẫn chưa xong:"
CHECK_BACK = (
    "Phiếu #{number}: câu trả lời đã giải quyết được vấn đề của anh/chị chưa?\n"
    "Nếu không phản hồi trong {days:g} ngày, phiếu sẽ tự đóng là đã giải quyết."
)
DONE = "Đã xong"
AUTO_CLOSE_EVENT = "Tự đóng: cán bộ không phản hồi"
AUTO_CLOSED = "Phiếu #{number} đã tự đóng vì không có phản hồi thêm."
GROUP_DIGEST = "📋 {group} — phiếu đang chờ ({today:%d/%m/%Y}), cũ nhất trước:\n"
