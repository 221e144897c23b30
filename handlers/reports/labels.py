"""Numbers the Vietnamese way and the names reports print (areas, communes, groups)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from handlers.settings import HotlineSettings
from handlers.texts import reports as t
from storage.communes import load_communes


def num(value: float | None, digits: int = 1) -> str:
    """Vietnamese numbers: a decimal comma and a dot between thousands (8.338; 2.671,5)."""
    if value is None:
        return "—"
    rounded = Decimal(repr(value)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return f"{rounded:,.{digits}f}".replace(",", " ").replace(".", ",").replace(" ", ".")


def count(n: int) -> str:
    """A count beside decimal commas: 8.338, never 8338."""
    return num(n, 0)


def share(part: int, whole: int) -> str:
    if not whole:
        return t.NOTHING_DUE
    return f"{num(100 * part / whole, 0)}% ({count(part)}/{count(whole)})"


def commune_names() -> dict[int, str]:
    return {c.id: c.name for c in load_communes()}


def short_area(settings: HotlineSettings, code: str) -> str:
    """The area name up to its first comma, for legends and tables ("Đất đai")."""
    area = settings.area(code)
    return area.name.split(",")[0].strip() if area else code


def area_name(settings: HotlineSettings, code: str) -> str:
    area = settings.area(code)
    return area.name if area else code


def group_name(settings: HotlineSettings, key: str | None) -> str:
    group = settings.group_by_key(key)
    if group is not None:
        return group.name
    return t.NO_GROUP if key is None else key
