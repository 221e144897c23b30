"""Texts any user may hear: errors, the apology, attachments, the flood warning."""

USAGE = "Cách dùng: {usage}"
TICKET_NOT_FOUND = "Không tìm thấy phiếu #{number}, hoặc anh/chị không có quyền xem phiếu này."
NOT_ALLOWED = "Anh/chị không có quyền dùng lệnh này."
UNKNOWN_COMMAND = "Không có lệnh /{name}. Gõ /trogiup để xem các lệnh."

APOLOGY = (
    "Xin lỗi, hệ thống gặp lỗi khi xử lý tin nhắn này. Tin nhắn đã được ghi lại; "
    "xin anh/chị thử lại sau ít phút hoặc gõ /trogiup."
)
FLOOD_WARNING = (
    "Anh/chị gửi quá nhiều tin trong thời gian ngắn; các tin tiếp theo trong một phút tới sẽ "
    "không được xử lý. Xin gửi lại sau ít phút."
)

# what a message carried besides text, and why it did not come through
ZALO_HIDDEN = (
    "Zalo không cho bot xem nội dung tin nhắn này. Xin gửi câu hỏi bằng chữ "
    "(có thể kèm ảnh chụp)."
)
STICKER_OR_VOICE = (
    "Bot chưa đọc được nhãn dán hay tin nhắn thoại. Xin gõ câu hỏi bằng chữ "
    "(có thể kèm ảnh chụp)."
)
FILE_WITHOUT_TEXT = "Đã nhận tệp/ảnh. Xin gõ kèm nội dung câu hỏi để gửi cho tổ công tác."
QUESTION_MERGED = (
    "Câu hỏi trước (“{pending}”) đang chờ chọn lĩnh vực, nên nội dung vừa gửi "
    "được ghép vào câu hỏi đó. Nếu đây là câu hỏi khác, xin chọn lĩnh vực cho câu hỏi trước "
    "rồi gửi lại câu này."
)

# an attachment passed on to another chat, named where it cannot be copied
ATTACHMENT_LABEL = {"photo": "Ảnh", "document": "Tệp", "sticker": "Nhãn dán", "voice": "Tin nhắn thoại"}
UNREADABLE = "Nội dung không xem được"
ATTACHED = "📎 Kèm theo:"
ATTACHED_FROM = "📎 Kèm theo, gửi qua {source} (không chuyển thẳng sang đây được):"
SEEN_ONLY_ON = "(chỉ xem được trên {source})"
# below a numbered list of choices, where a platform has no buttons
TYPE_A_NUMBER = "(Gõ số để chọn.)"
# a file a platform cannot carry (Zalo's Bot API has no documents)
FILE_NOT_SENT_ON_ZALO = (
    "📎 Tệp kèm theo “{name}” không gửi được qua Zalo; xin xem trên "
    "Telegram hoặc nhờ quản trị hệ thống gửi lại."
)
