"""Every use of a template of the text catalog (handlers/texts) fills exactly its fields."""

from __future__ import annotations

import ast
import importlib
import string
from pathlib import Path

HANDLERS = Path(__file__).resolve().parent.parent / "handlers"
CATALOG = HANDLERS / "texts"


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
    for path in sorted(HANDLERS.rglob("*.py")):
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
