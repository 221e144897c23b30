"""Whole-app runs through the command line, with a script piped into the console channel."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_console(tmp_path: Path, script: str, model: bytes | None = None) -> subprocess.CompletedProcess[str]:
    """The example config on a database in `tmp_path`; `model`: the router saved there
    before (else the bot trains one before the console reads its first line)."""
    if model is not None:
        (tmp_path / "data").mkdir(exist_ok=True)
        (tmp_path / "data" / "routing-model.pickle").write_bytes(model)
    config = (ROOT / "config.example.toml").read_text("utf-8").replace(
        "sqlite+aiosqlite:///data/hotline.db", f"sqlite+aiosqlite:///{tmp_path}/db/hotline.db"
    )
    path = tmp_path / "config.toml"
    path.write_text(config, "utf-8")
    return subprocess.run(
        [sys.executable, "-m", "bot", "run", "--config", str(path)],
        input=script, capture_output=True, text=True, timeout=600, cwd=tmp_path,
    )


def test_piped_demo_registers_asks_answers_and_closes(tmp_path, example_model):
    result = run_console(tmp_path, (ROOT / "tests/data/demo.txt").read_text("utf-8"), example_model)
    out = result.stdout
    assert result.returncode == 0, result.stderr
    assert "Thị trấn Nam Đàn (Huyện Nam Đàn cũ) nay thuộc Xã Vạn An" in out
    assert "bot → console:lanhdao" in out and "Đã duyệt Nguyễn Văn An" in out
    assert "bot → nhóm dat_dai:\n  📩 Phiếu #1" in out
    assert "Đã nhận câu hỏi, số phiếu #1." in out
    assert "💬 Trả lời phiếu #1 từ Trần Thị Hoa" in out
    assert "Đã đóng phiếu #1. Cảm ơn anh/chị!" in out
    assert "Traceback" not in result.stderr
    assert (tmp_path / "db" / "hotline.db").exists()


def test_state_survives_a_restart(tmp_path, example_model):
    first = run_console(tmp_path, ":as lanhdao\n/moi Xã Vạn An\n", example_model)
    code = next(line.split(": ")[1] for line in first.stdout.splitlines() if "Mã mời cho" in line)
    second = run_console(tmp_path, ":as lanhdao\n/tongket\n", example_model)
    assert "Tổng kết hôm nay" in second.stdout and code


def test_piped_export_arrives_before_exit(tmp_path, example_model):
    result = run_console(tmp_path, ":as lanhdao\n/xuat\n/bieudo\n", example_model)
    assert result.returncode == 0, result.stderr
    assert "⏳ Đang lập báo cáo Excel tháng" in result.stdout
    assert "📄 Báo cáo tháng" in result.stdout and "📈 Câu hỏi theo tuần" in result.stdout


def test_a_long_piped_script_is_not_taken_for_a_flood(tmp_path, example_model):
    lines = [":as an"] + ["/cuatoi"] * 25  # over the 20-a-minute guard for chat platforms
    result = run_console(tmp_path, "\n".join(lines) + "\n", example_model)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("Anh/chị chưa đăng ký") == 25
    assert "quá nhiều tin" not in result.stdout


def test_reply_to_an_id_not_from_this_run_is_refused(tmp_path, example_model):
    result = run_console(tmp_path, ":reply m99 nội dung\n", example_model)
    assert "Không có tin m99 của bot trong phiên này" in result.stdout


async def test_message_ids_shown_again_after_a_restart_are_new_ids_underneath():
    """The console shows m1, m2… each run; what it stores must differ, or a reply to a new m3
    would find the card an earlier run posted as m3 and answer that old ticket."""
    import io

    from bot.channels.console import ConsoleChannel
    from handlers.messages import ChatRef, Outgoing

    stored, shown = [], io.StringIO()
    for _ in range(2):  # two runs of the bot
        console = ConsoleChannel(io.StringIO(), shown)
        sent = await console.send(Outgoing(ChatRef("console", "dat_dai", "group"), "📩 Phiếu #1"))
        stored += sent.message_ids
        _, reply = console._steer(":reply m1 Hồ sơ gồm đơn Mẫu 04/ĐK.")
        assert reply is not None and reply.reply_to == sent.message_ids[0]
    assert shown.getvalue().count("[m1] bot → nhóm dat_dai") == 2 and stored[0] != stored[1]
