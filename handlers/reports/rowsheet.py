"""A constant_memory XlsxWriter worksheet that writes a whole row at once, for the long
"Phiếu" sheet of the export.

XlsxWriter spends ~10 µs of pure Python per cell (argument conversion, dimension checks, a
tuple per cell, then per string two regex substitutions, two searches and attribute escaping
when the row is flushed): three quarters of a month's export. `RowSheet.append_row` writes
the same XML for a row of plain cells (numbers, dates, inline strings) in one piece, straight
into the row file that constant_memory mode streams to, through the same steps XlsxWriter's
own row flush takes; the short strings a sheet repeats (names, areas, statuses) are escaped
once. At the end the row file is copied into the sheet's XML as bytes (XlsxWriter decodes and
encodes it again). tests/test_reports.py compares its sheet XML with XlsxWriter's own, byte
for byte, so a change inside XlsxWriter shows there.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, tzinfo

from xlsxwriter.format import Format
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

EPOCH = datetime(1899, 12, 31)  # noqa: DTZ001  (Excel's serial dates count local, naive days)
# What XlsxWriter escapes in an inline string: a literal _xHHHH_ (so Excel does not read it as
# an escape), control characters (as _xHHHH_), the two non-characters, and & < >.
_SPECIAL = re.compile(r"[\x00-\x08\x0b-\x1f&<>\ufffe\uffff]|_x[0-9a-fA-F]{4}_")
_LITERAL_ESCAPE = re.compile(r"(_x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")
Cell = str | int | float | datetime | None
_CACHED_CHARS, _CACHED_STRINGS = 100, 50_000  # short strings repeat; questions rarely do


def excel_serial(moment: datetime) -> float:
    """A naive datetime as Excel's serial number, computed as XlsxWriter does (after 1900)."""
    delta = moment - EPOCH
    serial = delta.days + (float(delta.seconds) + float(delta.microseconds) / 1e6) / 86400
    return serial + 1 if serial > 59 else serial  # Excel's 29 February 1900


DAY_US = 86_400_000_000
EPOCH_DAYS = (datetime(1970, 1, 1) - EPOCH).days  # noqa: DTZ001


class LocalSerials:
    """Moments in UTC microseconds since 1970 as Excel serial numbers of the local time in
    `tz`: exactly excel_serial(moment.astimezone(tz).replace(tzinfo=None)), the float steps
    included, at a fraction of the cost. The zone's offset is looked up once per UTC day;
    a day whose two ends differ (the clocks change) is converted moment by moment."""

    def __init__(self, tz: tzinfo):
        self.tz = tz
        self._offsets: dict[int, int | None] = {}

    def _offset(self, utc_us: int) -> int:
        at = datetime.fromtimestamp(utc_us // 1_000_000, UTC).astimezone(self.tz)
        offset = at.utcoffset()
        assert offset is not None
        return offset // timedelta(microseconds=1)

    def __call__(self, utc_us: int) -> float:
        day = utc_us // DAY_US
        if day not in self._offsets:
            start, end = self._offset(day * DAY_US), self._offset((day + 1) * DAY_US - 1)
            self._offsets[day] = start if start == end else None
        offset = self._offsets[day]
        if offset is None:
            offset = self._offset(utc_us)
        days, rest = divmod(utc_us + offset, DAY_US)
        seconds, micro = divmod(rest, 1_000_000)
        serial = days + EPOCH_DAYS + (float(seconds) + float(micro) / 1e6) / 86400
        return serial + 1 if serial > 59 else serial  # as excel_serial


def inline_text(text: str) -> str:
    """The <is> element of an inline string cell, escaped as XlsxWriter escapes it."""
    if text.isprintable() and "&" not in text and "<" not in text and ">" not in text and "_x" not in text:
        # nothing to escape (the usual case, tested in C rather than by a regex); the only
        # printable whitespace is the space
        if text.startswith(" ") or text.endswith(" "):
            return f'<is><t xml:space="preserve">{text}</t></is>'
        return f"<is><t>{text}</t></is>"
    if _SPECIAL.search(text):
        text = _LITERAL_ESCAPE.sub(r"_x005F\1", text)
        text = _CONTROL.sub(lambda m: f"_x{ord(m[0]):04X}_", text)
        text = text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if text[:1].isspace() or text[-1:].isspace():
        return f'<is><t xml:space="preserve">{text}</t></is>'
    return f"<is><t>{text}</t></is>"


# XlsxWriter ships no types: its Worksheet is Any to mypy
class RowSheet(Worksheet):  # type: ignore[misc]
    """Added with `workbook.add_worksheet(name, worksheet_class=RowSheet)` in a constant_memory
    workbook; the other write methods work as usual for rows before the first appended one."""

    def __init__(self) -> None:
        super().__init__()
        self._letters: list[str] = []
        self._styles: dict[tuple[Format | None, ...], list[str]] = {}  # per formats of a row
        self._inline: dict[str, str] = {}  # short strings escaped: names, areas, statuses repeat

    def append_row(self, row: int, values: Sequence[Cell], formats: Sequence[Format | None]) -> None:
        """Row `row` (zero-based, after every row written so far), one value per column from
        A; None leaves a cell empty. Strings are written as they are (at most 32,767 UTF-16
        units, which the caller keeps to), datetimes must be naive."""
        if not self.constant_memory:
            raise ValueError("RowSheet needs a constant_memory workbook")
        if row <= self.previous_row:
            raise ValueError(f"row {row} is not after the last one written")
        if len(values) != len(formats):
            raise ValueError("one format per value")
        self._write_single_row(row)  # what XlsxWriter still holds (a header) goes first
        styles, inline = self._row_styles(formats), self._inline
        r = row + 1
        cells = [f'<row r="{r}">']
        first = last = -1
        for col, value in enumerate(values):
            if value is None:
                continue
            if first < 0:
                first = col
            last = col
            if isinstance(value, str):
                text = inline.get(value)
                if text is None:
                    text = inline_text(value)
                    if len(value) <= _CACHED_CHARS and len(inline) < _CACHED_STRINGS:
                        inline[value] = text
                cells.append(f'<c r="{self._letters[col]}{r}"{styles[col]} t="inlineStr">{text}</c>')
            else:
                if isinstance(value, datetime):
                    value = excel_serial(value)
                cells.append(f'<c r="{self._letters[col]}{r}"{styles[col]}><v>{value:.16G}</v></c>')
        if first < 0:
            return
        self._check_dimensions(row, first)
        self._check_dimensions(row, last)
        cells.append("</row>")
        self.fh.write("".join(cells))

    def _row_styles(self, formats: Sequence[Format | None]) -> list[str]:
        """Each column's style attribute (a row's formats are usually the last row's)."""
        key = tuple(formats)
        styles = self._styles.get(key)
        if styles is None:
            styles = self._styles[key] = ["" if f is None else f' s="{f._get_xf_index()}"' for f in formats]
            if len(self._letters) < len(formats):
                self._letters = [xl_col_to_name(c) for c in range(len(formats))]
        return styles

    def _write_optimized_sheet_data(self) -> None:
        """XlsxWriter's copy of the row file into the sheet's XML, as bytes: it decoded and
        encoded the whole file again (26 MB for a month's tickets)."""
        if self.dim_rowmin is None or not self.internal_fh:  # nothing written, or in memory
            super()._write_optimized_sheet_data()
            return
        self._xml_start_tag("sheetData")
        self.row_data_fh.close()
        self.fh.flush()  # the text written so far, before the bytes that follow it
        with open(self.row_data_filename, "rb") as rows:
            shutil.copyfileobj(rows, self.fh.buffer, 1 << 20)
        os.unlink(self.row_data_filename)
        self._xml_end_tag("sheetData")
