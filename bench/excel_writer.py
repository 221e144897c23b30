"""The workbook writer alone: a month's "Phiếu" sheet (40,126 rows, as October 2026 in the
1,000,000-ticket bench set) written by openpyxl write-only (the former writer, 12 columns),
by XlsxWriter constant_memory's cell calls (13 columns with the question), and by
RowSheet.append_row (the same XML a row at a time: what the export uses). No database: what
each switch changed, measured where it acts. Not a test.

    .venv/bin/python bench/excel_writer.py [--rows 40126] [--repeat 5]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

QUESTION = "Xin hỏi hồ sơ cấp giấy chứng nhận quyền sử dụng đất lần đầu cho hộ gia đình gồm những gì?"


def rows(n: int) -> list[tuple]:
    rnd = random.Random(7)
    start = datetime(2026, 10, 1, 7, 0)  # noqa: DTZ001  (Excel datetimes are naive, local)
    return [
        (i, start + timedelta(minutes=i), start + timedelta(minutes=i, hours=30),
         "Xã Vạn An", "Nguyễn Văn An", QUESTION, "Đất đai", "Tổ Đất đai — Sở Nông nghiệp và Môi trường",
         "Đã đóng", round(rnd.uniform(0.5, 9), 2), "Có", round(rnd.uniform(2, 40), 2),
         rnd.choice((None, 4, 5)))
        for i in range(1, n + 1)
    ]


def with_openpyxl(data: list[tuple], path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Phiếu")
    header = []
    for title in ("Số phiếu", "Ngày hỏi", "Ngày đóng", "Xã/phường", "Người hỏi", "Lĩnh vực", "Tổ công tác",
                  "Trạng thái", "Phản hồi", "Đúng hạn", "Giải quyết", "Đánh giá"):
        cell = WriteOnlyCell(ws, value=title)
        cell.font = Font(bold=True)
        header.append(cell)
    ws.append(header)
    for r in data:
        ws.append(r[:5] + r[6:])  # no question column
    wb.save(path)


def with_xlsxwriter(data: list[tuple], path: Path) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    bold = wb.add_format({"bold": True, "text_wrap": True})
    fdt = wb.add_format({"num_format": "dd/mm/yyyy hh:mm"})
    ws = wb.add_worksheet("Phiếu")
    ws.write_row(0, 0, [f"cột {i}" for i in range(13)], bold)
    for n, (number, created, closed, commune, asker, question, area, group, status, response, ok,
            resolution, rating) in enumerate(data, start=1):
        ws.write_number(n, 0, number)
        ws.write_datetime(n, 1, created, fdt)
        ws.write_datetime(n, 2, closed, fdt)
        ws.write_string(n, 3, commune)
        ws.write_string(n, 4, asker)
        ws.write_string(n, 5, question)
        ws.write_string(n, 6, area)
        ws.write_string(n, 7, group)
        ws.write_string(n, 8, status)
        ws.write_number(n, 9, response)
        ws.write_string(n, 10, ok)
        ws.write_number(n, 11, resolution)
        if rating is not None:
            ws.write_number(n, 12, rating)
    wb.close()


def with_rowsheet(data: list[tuple], path: Path) -> None:
    import xlsxwriter

    from handlers.reports.rowsheet import RowSheet

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    bold = wb.add_format({"bold": True, "text_wrap": True})
    fdt = wb.add_format({"num_format": "dd/mm/yyyy hh:mm"})
    ws = wb.add_worksheet("Phiếu", worksheet_class=RowSheet)
    ws.write_row(0, 0, [f"cột {i}" for i in range(13)], bold)
    formats = (None, fdt, fdt, *[None] * 10)
    for n, row in enumerate(data, start=1):
        ws.append_row(n, row, formats)
    wb.close()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--rows", type=int, default=40_126)
    p.add_argument("--repeat", type=int, default=5)
    args = p.parse_args()
    data = rows(args.rows)
    with tempfile.TemporaryDirectory() as folder:
        writers = (("openpyxl write-only", with_openpyxl), ("XlsxWriter constant_memory", with_xlsxwriter),
                   ("XlsxWriter + RowSheet.append_row", with_rowsheet))
        for name, write in writers:
            times = []
            for i in range(args.repeat):
                path = Path(folder) / f"{i}.xlsx"
                t0 = time.perf_counter()
                write(data, path)
                times.append(time.perf_counter() - t0)
            size = path.stat().st_size / 1e6
            spread = f"min {min(times):.2f}, max {max(times):.2f}"
            print(f"{name}: median {statistics.median(times):.2f} s ({spread}), "  # noqa: T201
                  f"{args.rows} rows, {size:.1f} MB")


if __name__ == "__main__":
    main()
