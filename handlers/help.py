"""/trogiup: the commands for the speaker's role."""

from __future__ import annotations

from handlers.context import Ctx

CADRE = """Dành cho cán bộ xã/phường (nhắn riêng với bot):
• Gõ thẳng câu hỏi (hoặc /hoi <nội dung>) — tạo phiếu, báo số phiếu và hạn trả lời;
  /linhvuc <mã> — chọn lĩnh vực khi bot chưa chắc câu hỏi thuộc lĩnh vực nào;
  /linhvuc — xem đủ danh sách lĩnh vực
• Khi bot gợi ý mục sổ tay: /daro — đã rõ, không gửi câu hỏi; /vancanhoi — vẫn gửi câu hỏi
• /start hoặc /dangky — đăng ký (hoặc một dòng: /dangky Họ tên | Xã/phường | Chức vụ);
  /chonxa <số> — chọn xã/phường khi bot hỏi tên nào trong các tên gần giống
• /thamgia <mã mời> — đăng ký bằng mã mời
• /cuatoi — các phiếu của tôi
• /phieu <số> — xem một phiếu và lịch sử
• /bosung <số> <nội dung> — bổ sung thông tin cho phiếu
• /xong <số> — đã giải quyết, đóng phiếu
• /chua <số> [ý kiến] — chưa giải quyết, mở lại phiếu
• /huy <số> — hủy câu hỏi
• /danhgia <số> <1-5> — đánh giá câu trả lời
• /tracuu <từ khóa> — tra cứu sổ tay hướng dẫn; /sotay xem <mã mục> — xem một mục
• /trogiup (hoặc /help) — hướng dẫn này"""

STAFF = """Dành cho tổ công tác (trong nhóm):
• /tl <số> <nội dung>, hoặc trả lời (reply) thẻ phiếu trên Telegram — gửi trả lời cho cán bộ
• /nhan <số> — nhận xử lý
• /chuyen <số> <mã lĩnh vực> [lý do] — chuyển sang lĩnh vực/tổ khác
• /vuot <số> [lý do] — vượt thẩm quyền, báo cáo lãnh đạo
• /dong <số> [lý do] — đóng phiếu
• /chuaxuly — các phiếu của tổ đang chờ
• /hoilai <số> <câu hỏi> — hỏi lại cán bộ (tạm dừng hạn)
• /hoan <số> <thời gian> <lý do> — hoãn hạn một lần, ví dụ /hoan 12 2 ngày chờ hồ sơ
• /phieu <số> — xem phiếu và lịch sử
• /nhom <mã lĩnh vực…> — gắn nhóm với lĩnh vực (lãnh đạo; quản trị viên nhóm: gửi đề nghị để
  lãnh đạo duyệt)
• /sotay <số phiếu> — đưa câu trả lời của phiếu vào sổ tay; /sotay <số> sửa <nội dung> — sửa"""

SUPERVISOR = """Dành cho lãnh đạo:
• /tongket [kỳ] — số liệu: nhận, trả lời, quá hạn, thời gian phản hồi, theo lĩnh vực, xã (mặc định hôm nay)
• /xephang [kỳ] — xếp hạng các tổ theo tỉ lệ đúng hạn (mặc định tháng này)
• /xa <tên xã/phường> [kỳ] — câu hỏi của một xã theo lĩnh vực (mặc định năm nay)
• /quahan — phiếu quá hạn, cũ nhất trước, trễ bao lâu
• /xuat [kỳ] — tệp Excel (mặc định tháng này); /bieudo [kỳ] — biểu đồ theo tuần (mặc định năm nay)
  Kỳ: homnay, homqua, tuan, thang, nam, 2026-11 hoặc 01/11/2026-30/11/2026 (không ghi: kỳ mặc định của lệnh)
• /phieu <số> — xem bất kỳ phiếu nào; /tl <số> <nội dung> — trả lời phiếu
• /duyet <kênh:mã> hoặc /tuchoi <kênh:mã> — duyệt đăng ký
• /duyetnhom — các đề nghị gắn nhóm chờ duyệt; /duyetnhom <số>, /tuchoinhom <số> [lý do]
• /moi <xã/phường> — tạo mã mời
• /chan <kênh:mã> [lý do], /bochan <kênh:mã> — chặn, bỏ chặn"""


def help_text(ctx: Ctx) -> str:
    parts = []
    if ctx.msg.chat.kind == "group":
        group = ctx.group
        if group is None:
            parts.append("Nhóm này chưa được gắn với tổ công tác nào.")
        else:
            parts.append(f"Nhóm: {group.name}.")
        parts.append(STAFF)
    else:
        parts.append(CADRE)
        if ctx.staff_groups():
            parts.append(STAFF)
    if ctx.is_supervisor:
        parts.append(SUPERVISOR)
    return "\n\n".join(parts)
