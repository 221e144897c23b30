"""Vietnamese words the bot reads in what people type (not texts it says)."""

# a commune's kind, as the commune list names it, from the prefix typed before its name (folded)
COMMUNE_KIND_OF_PREFIX = {"xa": "xã", "x": "xã", "phuong": "phường", "p": "phường"}
# /sotay's sub-commands, with and without diacritics
EDIT = ("sua", "sửa")
RETIRE = ("xoa", "xóa")
# a duration's unit typed as its own word, "/hoan 12 2 ngày …"
DURATION_UNITS = ("giờ", "gio", "ngày", "ngay")
# the units a duration may carry, "4h", "4 giờ", "2 ngày"; a day is a working day
HOUR_UNITS = ("h", "g", "gio", "giờ")
DAY_UNITS = ("ngay", "ngày", "d", "n")
