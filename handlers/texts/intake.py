"""What commune cadres hear: registration, asking, following up, the handbook's suggestions."""

# --- registration ---
REGISTER_LINE = "/dangky Họ tên | Xã/phường | Chức vụ  (hoặc chỉ gõ /dangky để được hướng dẫn từng bước)"
# what each field may be (one printable line within bounds), and how to ask for it again
FIELD_RULE = {
    "name": "Họ tên chưa hợp lệ (một dòng, 3–80 ký tự)",
    "commune": "Tên xã/phường chưa hợp lệ (một dòng, không quá 100 ký tự)",
    "position": "Chức vụ chưa hợp lệ (một dòng, 2–120 ký tự)",
}
RETYPE = {
    "name": ", xin gõ lại (ví dụ: Nguyễn Văn An):",
    "commune": ", xin gõ lại:",
    "position": ", xin gõ lại (ví dụ: Công chức địa chính):",
}
FIELD_INVALID = "{rule}. Cách dùng: {usage}"
WELCOME_BACK = (
    "Chào {name}! Anh/chị cứ gõ câu hỏi, hệ thống sẽ chuyển đến đúng tổ công tác "
    "và báo số phiếu cùng hạn trả lời. Gõ /trogiup để xem các lệnh."
)
WELCOME = (
    "Chào anh/chị! Đây là đường dây hỗ trợ các xã, phường của tỉnh: câu hỏi được chuyển đến "
    "đúng sở, ngành và theo dõi đến khi có trả lời.\n"
)
HOW_TO_REGISTER_INVITE = (
    "Trước hết xin anh/chị đăng ký bằng mã mời của Sở Nội vụ: gõ /thamgia <mã mời>. "
    "Chưa có mã, xin liên hệ Sở Nội vụ."
)
HOW_TO_REGISTER = (
    "Trước hết xin anh/chị đăng ký: gõ /dangky để được hướng dẫn, hoặc gửi một dòng\n"
    "/dangky Họ tên | Xã/phường | Chức vụ"
)
JOIN_IN_PRIVATE = "Xin gõ /thamgia <mã mời> trong tin nhắn riêng với bot, không dùng trong nhóm."
INVITE_INVALID = "Mã mời không đúng hoặc đã được dùng. Xin liên hệ Sở Nội vụ để nhận mã mới."
INVITE_ACCEPTED = "Mã mời hợp lệ. Xin cho biết họ và tên của anh/chị:"
REGISTER_IN_PRIVATE = "Xin đăng ký trong tin nhắn riêng với bot, không đăng ký trong nhóm."
ALREADY_REGISTERED = "Anh/chị đã đăng ký rồi ({name}, {position})."
INVITE_NEEDED = "Đăng ký cần mã mời của Sở Nội vụ. Khi có mã, gõ /thamgia <mã mời>."
ASK_NAME = "Xin cho biết họ và tên của anh/chị:"
TYPE_IN_WORDS = "Xin gõ câu trả lời bằng chữ."
ASK_POSITION = "Chức vụ của anh/chị? (ví dụ: Công chức địa chính)"
ASK_COMMUNE = "Anh/chị công tác ở xã/phường nào? (tên mới hoặc tên cũ trước sáp nhập đều được)"
NO_COMMUNE_QUESTION = "Không có câu hỏi chọn xã nào đang chờ. Gõ /dangky để đăng ký."
FORMER_COMMUNE = (
    "{former} ({district} cũ) nay thuộc "
    "{commune}. Hệ thống ghi nhận anh/chị ở {commune}."
)
COMMUNE_UNKNOWN = (
    "Không tìm thấy xã/phường “{text}” trong 130 xã, phường của tỉnh. "
    "Xin gõ lại tên (có thể gõ không dấu, tên cũ trước sáp nhập cũng được):"
)
COMMUNE_SUGGESTED = "Không có tên trùng khớp. Có phải một trong các xã/phường sau?"
COMMUNE_AMBIGUOUS = "“{text}” trùng tên với nhiều đơn vị. Anh/chị ở đơn vị nào?"
CHOOSE_OR_RETYPE = "\n(Chọn số, hoặc gõ lại tên đầy đủ.)"
ASK_POSITION_AFTER_COMMUNE = "Chức vụ của anh/chị? (ví dụ: Công chức địa chính, Phó Chủ tịch UBND xã)"
COMMUNE_INVALID = "Xã/phường không hợp lệ. Xin gõ /dangky để làm lại."
REGISTERED = (
    "Đăng ký xong: {summary}.\nTừ giờ anh/chị cứ gõ câu hỏi; hệ thống sẽ báo số phiếu "
    "và hạn trả lời. Gõ /trogiup để xem các lệnh."
)
REGISTRATION_RECEIVED = (
    "Đã nhận đăng ký: {summary}.\nLãnh đạo sẽ duyệt sớm; anh/chị sẽ nhận tin báo khi được duyệt."
)
APPROVED = "Đăng ký của anh/chị đã được duyệt. Từ giờ anh/chị cứ gõ câu hỏi để gửi lên tỉnh."
REJECTED = "Đăng ký của anh/chị chưa được chấp nhận. Xin liên hệ Sở Nội vụ nếu cần hỗ trợ."
# how a commune reads in a list of matches
COMMUNE_OPTION_FORMER = "{former} ({district} cũ) → nay là {commune}"
COMMUNE_OPTION = "{commune} ({district} cũ)"

# --- asking ---
GROUP_NOT_PRIVATE = "Lệnh này dùng khi nhắn riêng với bot, không dùng trong nhóm."
SUPERVISOR_DOES_NOT_ASK = (
    "Lãnh đạo không gửi câu hỏi qua đường dây này. Các lệnh của lãnh đạo: /tongket, "
    "/quahan, /xephang, /xa, /xuat, /bieudo — gõ /trogiup để xem đầy đủ."
)
NOT_REGISTERED = "Anh/chị chưa đăng ký nên câu hỏi chưa được gửi đi. "
PENDING = (
    "Đăng ký của anh/chị đang chờ lãnh đạo duyệt; câu hỏi chưa được gửi đi. "
    "Anh/chị sẽ nhận tin báo khi được duyệt."
)
NOT_ACCEPTED = "Tài khoản của anh/chị chưa được chấp nhận. Xin liên hệ Sở Nội vụ."
TOO_SHORT = "Câu hỏi quá ngắn. Xin gõ rõ nội dung cần hỏi để tổ công tác trả lời được."
WHICH_AREA = "Câu hỏi thuộc lĩnh vực nào? Xin chọn số:"
LIKELY_AREAS = (
    "Câu hỏi có thể thuộc một trong các lĩnh vực sau. Xin chọn số; chưa thấy đúng lĩnh vực "
    "thì chọn “Lĩnh vực khác…” để xem đủ danh sách:"
)
OTHER_AREA = "Lĩnh vực khác…"
NO_AREA_QUESTION = "Không có câu hỏi nào đang chờ chọn lĩnh vực. Xin gõ câu hỏi."
NO_GROUP_FOR_AREA = "⚠️ Chưa có tổ công tác nào phụ trách lĩnh vực “{area}”.\n\n{card}"
TO_SUPERVISORS = "lãnh đạo (chưa có tổ phụ trách lĩnh vực này)"
RECEIVED = (
    "Đã nhận câu hỏi, số phiếu #{number}.\n"
    "Lĩnh vực: {area}\nChuyển đến: {where}\n"
    "Hạn trả lời: {due}; "
    "hạn giải quyết: {resolution_due}\n"
    "Cần bổ sung thông tin: /bosung {number} <nội dung>."
)
NO_TICKETS = "Anh/chị chưa có phiếu hỏi nào. Cứ gõ câu hỏi để gửi."
MY_TICKETS = "Các phiếu của anh/chị (mới nhất trước):\n"
CLOSED_ASK_ANEW = "Phiếu #{number} đã đóng. Xin gửi câu hỏi mới nếu còn vướng mắc."
INFO_TO_GROUP = "➕ Phiếu #{number} — cán bộ bổ sung thông tin:\n{text}"
INFO_SENT = "Đã chuyển nội dung bổ sung của phiếu #{number} đến tổ công tác."
ALREADY_CLOSED = "Phiếu #{number} đã đóng trước đó."
RESOLVED_EVENT = "Cán bộ xác nhận đã giải quyết"
CLOSED_THANKS = "Đã đóng phiếu #{number}. Cảm ơn anh/chị!"
RESOLVED_TO_GROUP = "✅ Phiếu #{number}: cán bộ xác nhận đã giải quyết, phiếu đã đóng."
CANCELLED_ASK_ANEW = "Phiếu #{number} đã hủy. Xin gửi câu hỏi mới."
NOT_ANSWERED_YET = (
    "Phiếu #{number} chưa có câu trả lời; tổ công tác vẫn đang xử lý. "
    "Cần nói thêm điều gì, xin gõ /bosung {number} <nội dung>."
)
REOPENED_TO_GROUP = "🔁 Phiếu #{number} được mở lại: cán bộ báo chưa giải quyết được."
OPINION = "\nÝ kiến: {text}"
REOPENED = "Đã mở lại phiếu #{number} và báo tổ công tác. Anh/chị có thể /bosung {number} <nội dung>."
CLOSED_CANNOT_CANCEL = "Phiếu #{number} đã đóng, không hủy được nữa."
CANCELLED = "Đã hủy phiếu #{number}."
CANCELLED_TO_GROUP = "✖️ Phiếu #{number} đã được cán bộ hủy; không cần trả lời nữa."
RATE_ASK = "Anh/chị đánh giá câu trả lời của phiếu #{number} thế nào? (1 = kém … 5 = rất tốt)"
RATE_NOT_CLOSED = "Phiếu #{number} chưa đóng; đánh giá sau khi vấn đề được giải quyết."
RATE_NO_ANSWER = "Phiếu #{number} chưa có câu trả lời nào để đánh giá."
RATED = "Cảm ơn anh/chị đã đánh giá phiếu #{number}: {score}/5."
# the buttons of a ticket card
CARD_CLAIM = "Nhận xử lý"
CARD_TRANSFER = "Chuyển"
CARD_ESCALATE = "Vượt thẩm quyền"
CARD_CLOSE = "Đóng"

# --- the handbook ---
HANDBOOK_MAY_ANSWER = "📘 Sổ tay hướng dẫn có thể đã có câu trả lời:"
HANDBOOK_HIT = "• Mục {id}: {question}\n   {preview}"
HANDBOOK_READ_OR_DECIDE = (
    "Xem đầy đủ một mục, hoặc chọn “Đã rõ” hay “Vẫn cần hỏi” (câu hỏi sẽ được gửi đi)."
)
HANDBOOK_SEE = "Xem mục {id}"
HANDBOOK_CLEAR = "Đã rõ, cảm ơn"
HANDBOOK_STILL_ASK = "Vẫn cần hỏi"
HANDBOOK_NOTHING_PENDING = "Không có câu hỏi nào đang chờ. Xin gõ câu hỏi."
HANDBOOK_THANKS = "Cảm ơn anh/chị. Nếu còn vướng mắc, cứ gõ câu hỏi mới."
HANDBOOK_NO_ENTRY = "Không có mục sổ tay số {id}."
HANDBOOK_FROM_TICKET = ", từ phiếu {source}"
HANDBOOK_ENTRY = "📘 Sổ tay — mục {id} ({area}{source})\n{question}\n\n{answer}"
HANDBOOK_STILL_DECIDING = "{entry}\n\nĐã rõ chưa? Chọn bên dưới (“Vẫn cần hỏi”: câu hỏi được gửi đi)."
HANDBOOK_TICKET_NOT_HERE = "Không tìm thấy phiếu #{number}, hoặc phiếu không thuộc tổ này."
HANDBOOK_ALREADY = (
    "Phiếu #{number} đã có trong sổ tay (mục {id}). "
    "Sửa: /sotay {number} sửa <nội dung>."
)
HANDBOOK_EDITED = "Đã sửa mục sổ tay {id} (phiếu #{number})."
HANDBOOK_NO_ANSWER = "Phiếu #{number} chưa có câu trả lời để đưa vào sổ tay."
HANDBOOK_PUBLISHED = (
    "📘 Đã đưa phiếu #{number} vào sổ tay (mục {id}). Cán bộ hỏi điều tương tự sẽ được "
    "gợi ý ngay. Sửa: /sotay {number} sửa <nội dung>."
)
HANDBOOK_RETIRE_SUPERVISORS_ONLY = "Chỉ lãnh đạo mới được gỡ mục khỏi sổ tay."
HANDBOOK_RETIRED = "Đã gỡ mục {id} khỏi sổ tay."
HANDBOOK_REGISTER_FIRST = "Xin đăng ký (/dangky) để tra cứu sổ tay."
HANDBOOK_NOTHING_FOUND = "Không tìm thấy mục nào trong sổ tay. Anh/chị có thể gửi câu hỏi để được trả lời."
HANDBOOK_RESULTS = "📘 Kết quả tra cứu sổ tay:"
HANDBOOK_RESULT = "• Mục {id}: {question}"
HANDBOOK_READ_TITLE = "mục {id}: {question}"
HANDBOOK_READ = "Cán bộ đã xem sổ tay: "
AREA_CODES = "; các mã: {codes}"
HANDBOOK_LINE = (
    "/sotay <số phiếu> (đưa câu trả lời vào sổ tay), /sotay <số phiếu> sửa <nội dung mới>, "
    "/sotay xem <mã mục>, /sotay xoa <mã mục>"
)
