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
