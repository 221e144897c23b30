"""Config loading: the example is valid, bad keys are named in one line, secrets stay secret."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.app import App
from bot.cli import main
from bot.config import ConfigError, load_config
from bot.ratelimit import ChannelLimits

EXAMPLE = Path(__file__).resolve().parents[1] / "config.example.toml"


def test_example_config_is_valid_and_complete():
    cfg = load_config(EXAMPLE)
    codes = [a.code for a in cfg.areas]
    assert codes == [
        "dat_dai", "nong_nghiep", "tai_chinh", "dau_tu", "xay_dung", "to_chuc_can_bo",
        "che_do_chinh_sach", "tthc", "tu_phap", "giao_duc", "y_te", "cntt", "van_hoa",
        "luu_tru", "khac",
    ]
    settings = cfg.settings()
    assert all(settings.group_for_area(code) for code in codes)
    assert cfg.console_enabled and not cfg.telegram.enabled
    assert cfg.registration.policy == "approval"
    # the sender's limits default to Telegram's published ones; Zalo publishes none
    assert cfg.telegram.limits() == ChannelLimits(30, 1, 20)
    assert cfg.zalo.limits() == ChannelLimits(10, 1, 60)


def test_platform_limits_are_configurable(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(EXAMPLE.read_text(encoding="utf-8").replace(
        "# max_per_group_per_minute = 20", "max_per_group_per_minute = 15\nmax_per_second = 0", 1
    ), encoding="utf-8")
    assert load_config(path).telegram.limits() == ChannelLimits(0, 1, 15)


def test_routing_rule_reaches_the_router(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(EXAMPLE.read_text(encoding="utf-8").replace("margin = 0.38", "margin = 0.1", 1)
                    .replace("threshold = 0.50", "threshold = 0.7", 1), encoding="utf-8")
    router = load_config(EXAMPLE).settings().router
    assert (router.threshold, router.margin) == (0.50, 0.38)
    router = load_config(path).settings().router
    assert (router.threshold, router.margin) == (0.7, 0.1)


def test_claim_lease_reaches_the_sender(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(EXAMPLE.read_text(encoding="utf-8").replace(
        "claim_lease_seconds = 60", "claim_lease_seconds = 2.5", 1), encoding="utf-8")
    assert App(load_config(EXAMPLE)).sender.lease == timedelta(seconds=60)
    assert App(load_config(path)).sender.lease == timedelta(seconds=2.5)


@pytest.mark.parametrize(
    ("snippet", "message"),
    [
        ('[registration]\npolicy = "anyone"\n', "registration.policy"),
        ('[roles]\nsupervisors = ["lanhdao"]\n', "roles.supervisors"),
        ('[[groups]]\nchannel = "console"\nchat_id = "x"\nareas = ["nope"]\n', "groups[0].areas"),
        ('[schedule]\ntimezone = "Mars/Olympus"\n', "schedule.timezone"),
        ("[database]\nurl = 5\n", "database.url"),
        ("[routing]\nmargin = 1.5\n", "routing.margin"),
        ("[outbox]\nclaim_lease_seconds = 0\n", "outbox.claim_lease_seconds"),
        ("[typo]\nx = 1\n", "typo"),
        ('[[groups]]\nchannel = "telgram"\nchat_id = "x"\nareas = ["khac"]\n', "groups.0.channel"),
        ('[zalo]\ntoken = "t"\nmode = "webhook"\n', "zalo.webhook_url"),
        ('[telegram]\ntoken = "t"\nmode = "webhook"\nwebhook_url = "https://x.vn/tg"\n',
         "telegram.webhook_secret"),
        ('[[groups]]\nchannel = "zalo"\nname = "Tổ A"\nmembers = ["zalo:1"]\nareas = ["khac"]\n'
         '[[groups]]\nchannel = "zalo"\nname = "Tổ A"\nmembers = ["zalo:2"]\nareas = ["khac"]\n',
         "groups[1]: same name as groups[0]"),
        ('[[groups]]\nchannel = "telegram"\nchat_id = -100\nareas = ["khac"]\n'
         '[[groups]]\nchannel = "telegram"\nchat_id = -100\nareas = ["khac"]\n',
         "groups[1]: same chat_id and thread_id as groups[0]"),
    ],
)
def test_bad_config_names_the_key(tmp_path, snippet, message):
    path = tmp_path / "c.toml"
    path.write_text('[[areas]]\ncode = "khac"\nname = "Khác"\n' + snippet, "utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_check_config_command(tmp_path, capsys):
    assert main(["check-config", "--config", str(EXAMPLE)]) == 0
    bad = tmp_path / "bad.toml"
    bad.write_text("not = [toml", "utf-8")
    assert main(["check-config", "--config", str(bad)]) == 2
    assert "config error" in capsys.readouterr().err


def test_token_from_environment_is_never_shown(tmp_path, monkeypatch):
    monkeypatch.setenv("HOTLINE_TELEGRAM_TOKEN", "123456:SECRET-TOKEN")
    cfg = load_config(EXAMPLE)
    assert cfg.telegram.enabled and not cfg.console_enabled
    assert "SECRET-TOKEN" not in repr(cfg) and "SECRET-TOKEN" not in str(cfg.model_dump())


def test_member_list_keeps_its_id_when_groups_are_reordered(tmp_path):
    group = '[[groups]]\nchannel = "zalo"\nname = "Tổ Đất đai"\nmembers = ["zalo:1"]\nareas = ["khac"]\n'
    other = '[[groups]]\nchannel = "console"\nchat_id = "x"\nareas = ["khac"]\n'
    keys = []
    for body in (group + other, other + group):
        path = tmp_path / "c.toml"
        path.write_text('[[areas]]\ncode = "khac"\nname = "Khác"\n' + body, "utf-8")
        keys.append({g.name: g.key for g in load_config(path).settings().groups}["Tổ Đất đai"])
    assert keys == ["zalo:members-to-dat-dai", "zalo:members-to-dat-dai"]


@pytest.mark.parametrize(("question", "area"), [
    ("Xin hỏi thủ tục cấp sổ đỏ lần đầu cần giấy tờ gì?", "dat_dai"),
    ("Quyết toán ngân sách xã năm 2025 nộp khi nào?", "tai_chinh"),
    ("Phần mềm một cửa bị lỗi không đăng nhập được", "cntt"),
    ("Chứng thực bản sao giấy khai sinh ở đâu?", "tu_phap"),
    ("Chế độ nghỉ hưu trước tuổi theo Nghị định 178 thế nào?", "che_do_chinh_sach"),
    ("Thủ tục đăng ký kết hôn cần giấy tờ gì?", "tu_phap"),
    ("Thủ tục cấp giấy phép xây dựng nhà ở riêng lẻ?", "xay_dung"),
    ("Hồ sơ thủ tục hành chính trên cổng dịch vụ công bị quá hạn", "tthc"),
    ("Bàn giao hồ sơ tài liệu của huyện cũ cho xã thế nào?", "luu_tru"),
    ("Công chức địa chính xã được biệt phái sang xã khác thì hưởng phụ cấp gì?", "to_chuc_can_bo"),
])
def test_example_keywords_route_everyday_questions(question, area):
    """'thủ tục' alone says nothing about the area: most questions ask for a procedure."""
    from handlers.intake.routing import classify

    found, _ = classify(question, load_config(EXAMPLE).settings().areas)
    assert found is not None and found.code == area


def test_a_member_list_needs_no_channel_but_a_group_chat_does(tmp_path):
    head = '[[areas]]\ncode = "khac"\nname = "Khác"\n'
    path = tmp_path / "c.toml"
    path.write_text(head + '[[groups]]\nname = "Tổ liên ngành"\nareas = ["khac"]\n'
                    'members = ["zalo:abc", "telegram:123"]\n', "utf-8")
    [group] = load_config(path).settings().groups
    assert group.key == "members:members-to-lien-nganh"
    assert [str(m) for m in group.members] == ["zalo:abc", "telegram:123"]
    path.write_text(head + '[[groups]]\nchat_id = "-100123"\nareas = ["khac"]\n', "utf-8")
    with pytest.raises(ConfigError, match=r"groups\[0\]\.channel: a group chat needs its channel"):
        load_config(path)
