"""The clinical core is pure Python: importing it pulls in no web framework, form library or database layer."""

from __future__ import annotations

import ast
import subprocess
import sys

from tests.factories import PROJECT_DIR

FORBIDDEN = ("flask", "wtforms", "sqlite_utils", "werkzeug", "jinja2")
PROBE = (
    "import screening.domain, sys; "
    "print([m for m in sys.modules if m.split('.')[0] in ('flask','wtforms','sqlite_utils','werkzeug','jinja2')])"
)


def test_importing_screening_domain_imports_no_web_or_database_library():
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=60, check=False
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_probe_would_notice_a_forbidden_import():
    # The same probe, after importing one of the forbidden packages, reports it (so an empty list means something).
    result = subprocess.run(
        [sys.executable, "-c", "import jinja2; " + PROBE],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "'jinja2'" in result.stdout


def test_domain_modules_import_only_the_standard_library_and_each_other():
    allowed = set(sys.stdlib_module_names) | {"__future__"}
    for path in sorted((PROJECT_DIR / "screening" / "domain").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] in allowed, f"{path.name} imports {name}"
