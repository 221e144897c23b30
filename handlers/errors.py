"""Domain errors: raised anywhere in a handler, answered in Vietnamese in one place (core)."""

from __future__ import annotations


class HotlineError(Exception):
    """An error whose message is the Vietnamese text the user sees."""

    def __init__(self, text: str):
        super().__init__(text)
        self.text = text


class UsageError(HotlineError):
    def __init__(self, usage: str):
        super().__init__(f"Cách dùng: {usage}")


class TicketNotFound(HotlineError):
    def __init__(self, number: int | str):
        super().__init__(f"Không tìm thấy phiếu #{number}, hoặc anh/chị không có quyền xem phiếu này.")


class NotAllowed(HotlineError):
    def __init__(self, what: str = "Anh/chị không có quyền dùng lệnh này."):
        super().__init__(what)
