"""Handlers speak to the database only through storage's data-access functions: no handler
module calls a session's own methods (add, flush, execute, get…), so every query and write
has one place, in storage/."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# (transaction control — begin, savepoints, commit — stays with the unit of work in handlers.core)
SESSION_METHODS = {"add", "add_all", "flush", "execute", "scalar", "scalars", "get", "delete",
                   "merge", "refresh"}


def session_calls(source: str) -> list[tuple[int, str]]:
    """`x.session.add(…)`, `session.flush()` and the like: a session method called on a name
    or an attribute named `session`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
            if name == "session" and node.func.attr in SESSION_METHODS:
                found.append((node.lineno, node.func.attr))
    return found


def test_handlers_reach_the_database_through_storage_only():
    calls = [f"{path.relative_to(ROOT).as_posix()}:{line}: session.{method}"
             for path in sorted((ROOT / "handlers").rglob("*.py"))
             for line, method in session_calls(path.read_text(encoding="utf-8"))]
    assert not calls, "move these into storage/ (repo, groups, handbook…):\n" + "\n".join(calls)


def test_the_check_sees_direct_session_calls():
    source = "async def f(ctx, session):\n    ctx.session.add(1)\n    await session.flush()\n"
    assert session_calls(source) == [(2, "add"), (3, "flush")]
