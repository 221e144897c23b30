"""Routing: the trained router on unseen questions, ranked choices, the card's explanation,
bad input, a broken model file, and learning from /chuyen in the report process."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.config import load_config
from bot.report_worker import ReportWorker
from bot.route_learner import RouteLearner
from handlers.intake import route_learning, route_model
from handlers.intake.route_model import Example
from handlers.intake.routing import Router
from handlers.settings import GroupSpec
from tests.helpers.harness import CH, make_harness, texts_to

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT / "tests/data/routing_eval.tsv"
BLIND = ROOT / "tests/data/routing_blind.tsv"  # written before any measuring, never tuned on
AREAS = load_config(ROOT / "config.example.toml").settings().areas
GROUPS = tuple(GroupSpec(CH, f"g_{a.code}", f"Tổ {a.name}", (a.code,)) for a in AREAS)

# The goal on unseen questions: ≥ 92% right, ≤ 2% wrong, the right area among the
# choices ≥ 98% of the times the cadre is asked. Wrong ≤ 2% is met (the router abstains when its
# top area does not reach routing.MIN_PROBABILITY or lead by MIN_MARGIN); right is NOT: with
# ~135 seed examples per area it routes 75% / 75% and asks about the rest (figures printed
# below and in bench/README.md). Until the goal is met, each set guards the level reached, so
# that a change cannot make routing worse unnoticed: (right ≥, wrong ≤, right area among the
# choices ≥). The blind set's hit floor was 0.91 when it asked about 47 questions and missed
# the right area in 4; it now asks about 37 and misses it in 2 (0.946).
GOAL_RIGHT, GOAL_WRONG, GOAL_ASKED_HIT = 0.92, 0.02, 0.98
FLOORS = {EVAL: (0.74, 0.02, 0.97), BLIND: (0.74, 0.02, 0.94)}


@pytest.fixture(scope="module")
def eval_model() -> route_model.RouteModel:
    """Seeds of the example config plus the train part of the evaluation file."""
    train = [Example(r.area, r.question) for r in _train_rows()]
    return route_model.train(AREAS, route_model.seed_examples(AREAS) + train)


def _train_rows() -> list[route_learning.Case]:
    import csv

    with EVAL.open(encoding="utf-8", newline="") as src:
        rows = list(csv.DictReader(src, delimiter="\t"))
    return [route_learning.Case(r["area"], r["question"]) for r in rows if r["split"] == "train"]


def test_evaluation_file_is_big_and_split_once():
    cases, train = route_learning.read_cases(EVAL), _train_rows()
    assert len(cases) + len(train) >= 200
    codes = {a.code for a in AREAS}
    assert {c.area for c in cases} == codes and {c.area for c in train} == codes
    seeds = {q for a in AREAS for q in a.examples}
    assert not {c.question for c in cases} & ({t.question for t in train} | seeds)
    blind = route_learning.read_cases(BLIND)
    assert len(blind) >= 150 and {c.area for c in blind} == codes
    known = {t.question for t in train} | seeds | {c.question for c in cases}
    assert not {c.question for c in blind} & known


@pytest.mark.parametrize("cases", [EVAL, BLIND], ids=["test part", "blind set"])
def test_unseen_questions_are_routed_right(eval_model, capsys, cases):
    routing = load_config(ROOT / "config.example.toml").routing
    router = Router(threshold=routing.threshold, margin=routing.margin, model=eval_model)
    result = route_learning.evaluate(router, AREAS, route_learning.read_cases(cases))
    with capsys.disabled():
        print(f"\nrouting on {cases.relative_to(ROOT)}:\n  " + "\n  ".join(result.lines()))  # noqa: T201
    hit = result.asked_hit / result.asked if result.asked else 1.0
    met = (result.share(result.right) >= GOAL_RIGHT and result.share(result.wrong) <= GOAL_WRONG
           and hit >= GOAL_ASKED_HIT)
    with capsys.disabled():
        print(f"  goal (≥{GOAL_RIGHT:.0%} right, ≤{GOAL_WRONG:.0%} wrong): {'met' if met else 'NOT met'}")  # noqa: T201
    floor_right, ceiling_wrong, floor_hit = FLOORS[cases]
    assert result.share(result.right) >= floor_right
    assert result.share(result.wrong) <= ceiling_wrong
    assert hit >= floor_hit


def test_the_scorer_gives_what_scikit_learn_gives(eval_model):
    """`rank` computes the pipeline's maths itself: same areas, same order, same probabilities
    on every evaluation question, bad input, and after the model is saved and loaded."""
    import pickle

    questions = [c.question for f in (EVAL, BLIND) for c in route_learning.read_cases(f)]
    questions += ["", "😀🙏", "đất " * 1700, "Help me please, error 500 khi ký số", "zzz qqq"]
    loaded = pickle.loads(pickle.dumps(eval_model))
    for question, reference in zip(questions, eval_model.rank_many(questions), strict=True):
        for model in (eval_model, loaded):
            ranked = model.rank(question)
            assert [c for c, _ in ranked] == [c for c, _ in reference]
            assert [p for _, p in ranked] == pytest.approx([p for _, p in reference], abs=1e-9)


def test_bad_input_gets_a_clear_choice_list(eval_model):
    router = Router(threshold=0.5, model=eval_model)
    for text in ("", "   ", "😀😀😀🙏🙏", "?!…", "đất " * 1700, "Help me please, the software iOffice "
                 "không đăng nhập được, error 500 khi ký số"):
        decision = router.decide(text, AREAS)
        if decision.area is None:
            assert len(decision.choices) <= 3
        else:
            assert decision.confidence is not None and decision.confidence >= 0.5
    assert router.decide("😀😀😀🙏🙏", AREAS).choices == []  # nothing to rank: the full list
    assert router.decide("đất " * 1700, AREAS).area.code == "dat_dai"  # type: ignore[union-attr]


def test_missing_or_corrupt_model_falls_back_to_keywords_with_one_line(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="handlers.intake.route_model")
    assert route_model.load(tmp_path / "none.pickle", AREAS) is None
    broken = tmp_path / "broken.pickle"
    broken.write_bytes(b"\x80\x05garbage")
    assert route_model.load(broken, AREAS) is None
    lines = [r for r in caplog.records if r.name == "handlers.intake.route_model"]
    assert len(lines) == 2 and "not found" in lines[0].message and "unreadable" in lines[1].message
    router = Router(model=None)
    decision = router.decide("Xin hỏi hồ sơ cấp giấy chứng nhận quyền sử dụng đất lần đầu", AREAS)
    assert decision.area is not None and decision.area.code == "dat_dai" and not decision.by_model


async def test_ranked_choices_then_the_full_list_then_the_card_says_who_chose(db_url, eval_model):
    hx = await make_harness(db_url, areas=AREAS, groups=GROUPS)
    try:
        hx.hotline.settings.router.model = eval_model
        hx.hotline.settings.router.threshold = 0.999  # always unsure: the cadre chooses
        await hx.register("an")
        out = await hx.say("an", "Xin hỏi thủ tục cấp sổ đỏ lần đầu cho hộ gia đình thế nào?")
        menu = next(m for _, m in out if m.chat.chat_id == "an")
        assert 3 <= len(menu.choices) <= 4 and menu.choices[-1].command == "/linhvuc"
        assert menu.choices[0].command == "/linhvuc dat_dai"
        out = await hx.say("an", str(len(menu.choices)))  # "Lĩnh vực khác…"
        full = next(m for _, m in out if m.chat.chat_id == "an")
        assert len(full.choices) == len(AREAS)
        index = [c.command for c in full.choices].index("/linhvuc tu_phap") + 1
        out = await hx.say("an", str(index))
        card = texts_to(out, "g_tu_phap")[0]
        assert "Lĩnh vực do cán bộ chọn: tư pháp" in card
    finally:
        await hx.db.close()


async def test_a_sure_route_explains_itself_on_the_card(db_url, eval_model):
    hx = await make_harness(db_url, areas=AREAS, groups=GROUPS)
    try:
        hx.hotline.settings.router.model = eval_model
        await hx.register("an")
        number = await hx.ask("an", "Hồ sơ cấp giấy chứng nhận quyền sử dụng đất lần đầu gồm những gì?")
        card = next(m.text for _, m in hx.channel.sent if m.chat.chat_id == "g_dat_dai")
        assert f"#{number}" in card
        line = next(li for li in card.splitlines() if li.startswith("Phân loại tự động: đất đai"))
        score = float(line.rsplit("(", 1)[1].rstrip(")").replace(",", "."))
        assert 0.5 <= score <= 1.0
    finally:
        await hx.db.close()


def test_a_worse_model_is_not_accepted():
    """Poisoned labels (land questions marked "khac") lose to the current model on the held-out
    slice, so the current model stays."""
    land = [q for a in AREAS if a.code == "dat_dai" for q in a.examples]
    held = [(10 * (i + 1), q + " (hỏi lại)", "dat_dai", "auto") for i, q in enumerate(land[:5])]
    poisoned = [(10 * i + 1, q, "khac", "transfer") for i, q in enumerate(land * 3)]
    old = route_model.train(AREAS, route_model.seed_examples(AREAS))
    _, report = route_learning.fit_and_gate(AREAS, held + poisoned, old)
    assert report.holdout == 5 and report.old_right is not None
    assert report.new_right < report.old_right and not report.accepted


LEARN = [  # craft villages: a phrasing the seed examples do not know (nong_nghiep's, not culture's)
    "Hồ sơ đề nghị công nhận làng nghề truyền thống làm nón lá",
    "Làng nghề mây tre đan của thôn xin hỗ trợ duy trì",
    "Tiêu chí công nhận làng nghề mới của tỉnh",
    "Hỗ trợ đào tạo thợ cho làng nghề dệt thổ cẩm",
    "Phát triển làng nghề rèn của xã theo hướng nào",
]
NEXT = "Xin hướng dẫn thủ tục công nhận làng nghề đan lát ở thôn"
STAY = [
    ("Hồ sơ cấp giấy chứng nhận quyền sử dụng đất lần đầu gồm những gì?", "dat_dai"),
    ("Chứng thực bản sao giấy khai sinh ở xã lấy phí bao nhiêu?", "tu_phap"),
    ("Quên mật khẩu đăng nhập phần mềm quản lý văn bản", "cntt"),
    ("Dự toán ngân sách xã năm sau lập theo mẫu nào?", "tai_chinh"),
]


async def test_transfers_teach_the_router_in_the_report_process(db_url, tmp_path):
    hx = await make_harness(db_url, areas=AREAS, groups=GROUPS)
    learner = RouteLearner(hx.hotline, str(tmp_path / "routing.pickle"), every=5)
    worker = ReportWorker(hx.hotline, on_done=lambda: None, learner=learner)
    try:
        assert not await learner.load_saved()
        await worker.learn()  # the start: no model yet, trained from the config's examples
        router = hx.hotline.settings.router
        assert router.model is not None
        before = router.decide(NEXT, AREAS)
        assert before.area is None or before.area.code != "nong_nghiep"
        for question, code in STAY:
            assert router.decide(question, AREAS).area.code == code  # type: ignore[union-attr]

        await hx.register("an")
        for question in LEARN:
            out = await hx.say("an", question)
            number = next((m.ticket_number for _, m in out if m.ticket_number), None)
            if number is None:  # asked to choose: the cadre picks a wrong area
                menu = next(m for _, m in out if m.choices)
                wrong = next(c.command for c in menu.choices
                             if c.command not in ("/linhvuc nong_nghiep", "/linhvuc"))
                out = await hx.say("an", wrong)
                number = next(m.ticket_number for _, m in out if m.ticket_number)
            ticket_group = next(m.chat.chat_id for _, m in out if m.chat.kind == "group")
            assert ticket_group != "g_nong_nghiep"
            await hx.say("staff", f"/chuyen {number} nong_nghiep sai lĩnh vực", group=ticket_group)
        assert await learner.due()
        await worker.learn()
        assert not await learner.due()

        after = router.decide(NEXT, AREAS)
        assert after.area is not None and after.area.code == "nong_nghiep"
        for question, code in STAY:
            assert router.decide(question, AREAS).area.code == code  # type: ignore[union-attr]
        # a restart reads the saved model
        assert await RouteLearner(hx.hotline, str(tmp_path / "routing.pickle"), every=5).load_saved()
    finally:
        await worker.stop()
        await hx.db.close()


def test_routing_train_and_eval_from_the_command_line(tmp_path):
    import subprocess
    import sys

    config = (ROOT / "config.example.toml").read_text("utf-8").replace(
        "sqlite+aiosqlite:///data/hotline.db", f"sqlite+aiosqlite:///{tmp_path}/hotline.db"
    )
    (tmp_path / "config.toml").write_text(config, "utf-8")
    (tmp_path / "cases.tsv").write_text(
        "area\tquestion\ndat_dai\tHồ sơ cấp giấy chứng nhận quyền sử dụng đất lần đầu gồm những gì?\n"
        "cntt\tquen mat khau dang nhap phan mem quan ly van ban\n", "utf-8")

    def hotline(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "bot", "routing", *args, "--config", "config.toml"],
                              capture_output=True, text=True, timeout=600, cwd=tmp_path)

    trained = hotline("train")
    assert trained.returncode == 0, trained.stderr
    assert "routing model accepted" in trained.stdout and (tmp_path / "data/routing-model.pickle").exists()
    result = hotline("eval", "--cases", "cases.tsv")
    assert result.returncode == 0, result.stderr
    assert "cases: 2" in result.stdout and "right: 2 (100.0%)" in result.stdout
    assert hotline("eval").returncode == 2  # --cases is needed


def test_the_app_trains_at_start_and_routes_with_the_model(tmp_path):
    """A fresh deployment: no model file yet, so the first training (in the report process)
    is awaited before the console reads its first line; the card explains the decision."""
    from tests.test_console_cli import run_console

    script = (ROOT / "tests/data/demo.txt").read_text("utf-8").split(":as hoa")[0]
    result = run_console(tmp_path, script)
    assert result.returncode == 0, result.stderr
    assert "Phân loại tự động: đất đai" in result.stdout
    assert (tmp_path / "data/routing-model.pickle").exists()
    assert "Traceback" not in result.stderr
