"""SQL runs in screening/store (and in the migrations and the connection set-up beside it), nowhere else: a service
asks the store for rows, so a reviewer who checks what reads or writes a table reads one package."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "screening"
ALLOWED = (PACKAGE / "store", PACKAGE / "migrations.py", PACKAGE / "db.py")
RUNS_SQL = {"execute", "executemany", "executescript", "query"}
SQL = re.compile(
    r"\b(SELECT\s+\S|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|PRAGMA\s+\w|CREATE\s+(TABLE|INDEX|TRIGGER)"
    r"|DROP\s+TABLE|ALTER\s+TABLE|BEGIN\s+(IMMEDIATE|EXCLUSIVE|DEFERRED)|SAVEPOINT\s)"
)


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the string constants that are docstrings or bare string statements (prose, not SQL that runs)."""
    return {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
    }


def sql_outside_store(package: Path = PACKAGE) -> list[str]:
    """Each place outside the store that runs SQL or holds SQL text, as 'file:line what'."""
    allowed = tuple(package / path.relative_to(PACKAGE) for path in ALLOWED)
    found = []
    for path in sorted(package.rglob("*.py")):
        if path in allowed or any(folder in path.parents for folder in allowed):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        prose = _docstrings(tree)
        where = path.relative_to(package)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in RUNS_SQL:
                found.append(f"{where}:{node.lineno} calls .{node.func.attr}()")
            elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id == "db":
                found.append(f"{where}:{node.lineno} opens a table as db[...]")
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in prose:  # noqa: SIM102
                if SQL.search(node.value):
                    found.append(f"{where}:{node.lineno} holds SQL")
    return found


def test_no_sql_runs_outside_the_store():
    assert sql_outside_store() == []


def test_the_scan_finds_sql_in_a_service(tmp_path):
    services = tmp_path / "services"
    services.mkdir()
    (services / "retention.py").write_text(
        '"""Deletes what is SELECT-ed: prose, not SQL."""\n\n'
        "def purge(db, cutoff):\n"
        '    sql = "DELETE FROM draft WHERE updated_at < ?"\n'
        "    db.execute(sql, [cutoff])\n"
        '    return db["draft"].count\n'
    )
    assert sql_outside_store(tmp_path) == [
        "services/retention.py:4 holds SQL",
        "services/retention.py:5 calls .execute()",
        "services/retention.py:6 opens a table as db[...]",
    ]


@pytest.mark.parametrize(
    "text", ["BEGIN:VCALENDAR", "With your answers we can book you in.", "Bring a list of your medicines.", "Update"]
)
def test_words_that_are_not_sql_pass(text):
    assert not SQL.search(text)


def test_the_scan_sees_the_sql_the_store_runs():
    """Scanned as if it were any other package, the store itself is full of SQL: the patterns match real code."""
    found = sql_outside_store(PACKAGE / "store")
    assert any("records.py" in place and "holds SQL" in place for place in found)
    assert any("calls .execute()" in place for place in found)
