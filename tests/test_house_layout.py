"""The house's layout holds: few top-level modules (each idea has its package), and names and text that say what a
thing is, never which piece of work made it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# "issue 11", "Issue 13, finding 4", "issues 10, 11", "finding 7", "issue11_pages": a work item, not an idea.
WORK_ITEM = re.compile(r"\bissues? ?\d+|\bissue\d+|\bfinding \d+", re.IGNORECASE)
TEXT_SUFFIXES = {".py", ".html", ".css", ".js", ".md", ".toml", ".cfg", ".txt"}
# rules/ is the clinic's content: its rationales quote the clinical spec, whose section 6 is called "open issues".
SCANNED = ("screening", "templates", "tests", "docs", "bench", ".ci")


def scanned_files() -> list[Path]:
    files = [ROOT / "README.md", ROOT / "Makefile", ROOT / "pyproject.toml"]
    for folder in SCANNED:
        files += [
            p
            for p in (ROOT / folder).rglob("*")
            if p.is_file() and (p.suffix in TEXT_SUFFIXES or p.parent.name == ".ci") and "__pycache__" not in p.parts
        ]
    return files


def test_screening_has_at_most_ten_top_level_modules():
    modules = sorted(p.name for p in (ROOT / "screening").glob("*.py"))
    assert len(modules) <= 10, modules


def test_no_work_item_numbers_in_names_or_text():
    found = []
    for path in scanned_files():
        if path == Path(__file__).resolve():
            continue  # this file spells the pattern out to test it
        relative = path.relative_to(ROOT)
        if WORK_ITEM.search(str(relative)):
            found.append(f"{relative}: the file's name")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if match := WORK_ITEM.search(line):
                found.append(f"{relative}:{number}: {match.group(0)!r}")
    assert found == [], "name a decision by what it decides:\n" + "\n".join(found)


def test_the_work_item_pattern_catches_what_it_should_and_not_ordinary_words():
    for text in ("(issue 13)", "Issue 10, part 3", "issues 10, 11", "finding 7", "issue11_pages"):
        assert WORK_ITEM.search(text), text
    for text in ("an issue with the lips", "the issues were silent", "open issues", "the findings"):
        assert not WORK_ITEM.search(text), text


def field_error_classes(package: Path = ROOT / "screening") -> list[str]:
    """Classes outside the pure domain that carry a `field` of their own: each would be a second way to say "this
    field is wrong" (the domain's InvalidDecision is turned into a FieldError by the review service)."""
    found = []
    for path in sorted(package.rglob("*.py")):
        if "domain" in path.relative_to(package).parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and node.name != "FieldError":
                for inner in ast.walk(node):
                    if (
                        isinstance(inner, ast.Attribute)
                        and inner.attr == "field"
                        and isinstance(inner.ctx, ast.Store)
                        and isinstance(inner.value, ast.Name)
                        and inner.value.id == "self"
                    ):
                        found.append(f"{path.relative_to(package)}: {node.name}")
    return found


def test_one_field_error_for_every_this_field_is_wrong_refusal(tmp_path):
    assert field_error_classes() == []
    (tmp_path / "accounts.py").write_text(
        "class AccountInvalid(Exception):\n    def __init__(self, field):\n        self.field = field\n"
    )
    assert field_error_classes(tmp_path) == ["accounts.py: AccountInvalid"]


AUDIENCES = {"patient", "account", "clinician", "admin", "errors"}


def test_blueprints_are_by_audience_each_with_its_template_folder(app):
    assert set(app.blueprints) == AUDIENCES
    assert {p.name for p in (ROOT / "templates").iterdir() if p.is_dir()} == AUDIENCES
    elsewhere = []
    for audience in AUDIENCES:
        source = (ROOT / "screening" / "web" / f"{audience}.py").read_text(encoding="utf-8")
        for folder, name in re.findall(r"[\"']([a-z_]+)/([a-z_0-9]+\.html)[\"']", source):
            if folder != audience:
                elsewhere.append(f"web/{audience}.py renders {folder}/{name}")
    assert elsewhere == []


def store_calls(source: str) -> list[str]:
    """Calls of store functions in a module (store.Draft or store.Actor as type annotations are not calls)."""
    tree = ast.parse(source)
    return [
        f"{node.lineno}: store.{node.func.attr}()"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "store"
    ]


def test_pages_call_services_never_the_store():
    found = {
        audience: store_calls((ROOT / "screening" / "web" / f"{audience}.py").read_text(encoding="utf-8"))
        for audience in AUDIENCES
    }
    assert found == {audience: [] for audience in AUDIENCES}
    assert store_calls("def page():\n    return store.get_submission(db, 1)\n") == ["2: store.get_submission()"]


def test_every_form_is_built_in_web_forms():
    """Forms live in one place: no other module names FlaskForm (a form built elsewhere would be a second home)."""
    elsewhere = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "screening").rglob("*.py")
        if path.name != "forms.py" and "FlaskForm" in path.read_text(encoding="utf-8")
    ]
    assert elsewhere == []


def test_layers_call_down_never_up():
    """The store, the mail package, the services and the domain never import the web layer (a service that needs a
    list of choices owns it, and the form imports it from there)."""
    upward = []
    for layer in ("store", "mail", "services", "domain"):
        for path in (ROOT / "screening" / layer).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
                names += [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
                upward += [
                    f"{path.relative_to(ROOT)} imports {name}" for name in names if name.startswith("screening.web")
                ]
    assert upward == []
