"""Commune matching: current names win, former names map, ambiguity is asked."""

from __future__ import annotations

import pytest

from handlers.intake.communes import resolve_commune
from storage.communes import load_communes


def test_ships_all_130_units():
    units = load_communes()
    assert len(units) == 130
    assert sum(u.kind == "xã" for u in units) == 119
    assert sum(u.kind == "phường" for u in units) == 11


@pytest.mark.parametrize("typed", ["Xã Nam Đàn", "nam dan", "xa nam dan", "NAM ĐÀN"])
def test_current_name_wins_over_former(typed):
    match = resolve_commune(typed).unique
    assert match and match.commune.name == "Xã Nam Đàn" and match.former_name is None


@pytest.mark.parametrize("typed", ["Thị trấn Nam Đàn", "thi tran nam dan", "TT Nam Dan"])
def test_former_town_maps_to_its_new_commune(typed):
    match = resolve_commune(typed).unique
    assert match and match.commune.name == "Xã Vạn An" and match.former_name == "Thị trấn Nam Đàn"


def test_former_commune_name_without_diacritics():
    match = resolve_commune("luc da").unique
    assert match and match.commune.name == "Xã Môn Sơn"


def test_folded_collision_is_never_guessed():
    found = resolve_commune("Long Sơn")
    assert found.unique is None
    labels = [o.label for o in found.options]
    assert len(labels) == 2 and all("cũ" in label for label in labels)


def test_unknown_name_suggests_or_finds_nothing():
    assert resolve_commune("Hà Nội").options == ()
    near = resolve_commune("Vinh")
    assert near.suggested and near.unique is None and len(near.options) >= 2
