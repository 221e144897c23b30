"""Every Vietnamese text lives in the catalog (handlers/texts), and every use of a catalog
template fills exactly its fields."""

from __future__ import annotations

import ast
import importlib
import re
import string
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HANDLERS = ROOT / "handlers"
CATALOG = HANDLERS / "texts"
# what speaks to people: the conversation logic and the runtime (channels, cli, sender)
SCANNED = (HANDLERS, ROOT / "bot")
# the command registry is the commands' own catalog of help and usage lines
EXEMPT = {HANDLERS / "commands.py"}
# letters only Vietnamese uses among the bot's texts: a vowel with a diacritic, or đ
VIETNAMESE = re.compile(
    "[àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ]", re.IGNORECASE
)


def docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def vietnamese_literals(path: Path) -> list[tuple[int, str]]:
    """String literals (f-strings' parts too) with a Vietnamese letter; docstrings exempt."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = docstrings(tree)
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        and id(node) not in skip and VIETNAMESE.search(node.value)
    ]


def test_no_vietnamese_literal_outside_the_catalog():
    wrong = [
        f"{path.relative_to(ROOT).as_posix()}:{line}: {text[:60]!r}"
        for folder in SCANNED for path in sorted(folder.rglob("*.py"))
        if CATALOG not in path.parents and path not in EXEMPT
        for line, text in vietnamese_literals(path)
    ]
    assert not wrong, "Vietnamese text outside handlers/texts:\n" + "\n".join(wrong)


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def catalog_text(node: ast.expr, aliases: dict[str, str]) -> tuple[str, str] | None:
    """`texts.desk.X` or `desk.X` (an imported catalog module) → (module, name)."""
    if not isinstance(node, ast.Attribute):
        return None
    owner = node.value
    if isinstance(owner, ast.Name) and owner.id in aliases:
        return aliases[owner.id], node.attr
    if (isinstance(owner, ast.Attribute) and isinstance(owner.value, ast.Name)
            and aliases.get(owner.value.id) == "handlers.texts"):
        return f"handlers.texts.{owner.attr}", node.attr
    return None


def catalog_aliases(tree: ast.AST) -> dict[str, str]:
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "handlers.texts":
            for name in node.names:
                aliases[name.asname or name.name] = f"handlers.texts.{name.name}"
        elif isinstance(node, ast.ImportFrom) and node.module == "handlers":
            for name in node.names:
                if name.name == "texts":
                    aliases[name.asname or name.name] = "handlers.texts"
    return aliases


def uses(path: Path):
    """Every `TEXT.format(...)` and `HotlineError(TEXT, ...)` whose TEXT is in the catalog."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    aliases = catalog_aliases(tree)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "format":
            target = catalog_text(func.value, aliases)
        elif isinstance(func, ast.Name) and func.id == "HotlineError" and node.args:
            target = catalog_text(node.args[0], aliases)
        else:
            continue
        if target is not None:
            yield node, target


def test_every_template_gets_exactly_its_fields():
    wrong = []
    count = 0
    for path in sorted(p for folder in SCANNED for p in folder.rglob("*.py")):
        for node, (module, name) in uses(path):
            template = getattr(importlib.import_module(module), name)
            if not isinstance(template, str):
                continue  # a formatting helper, not a template
            count += 1
            given = {k.arg for k in node.keywords}
            if None in given:
                continue  # **mapping: checked where the mapping is built
            if node.args[1:] if isinstance(node.func, ast.Name) else node.args:
                wrong.append(f"{path.name}:{node.lineno}: {name} given positional fields")
            elif given != fields(template):
                wrong.append(f"{path.name}:{node.lineno}: {name} needs {sorted(fields(template))}, "
                             f"given {sorted(given)}")
    assert count > 0
    assert not wrong, "\n".join(wrong)


def test_catalog_templates_name_their_fields():
    for path in sorted(CATALOG.glob("*.py")):
        module = importlib.import_module(f"handlers.texts.{path.stem}" if path.stem != "__init__"
                                         else "handlers.texts")
        for name, value in vars(module).items():
            if name.isupper() and isinstance(value, str):
                assert "" not in fields(value), f"{path.name}: {name} has a positional field"
