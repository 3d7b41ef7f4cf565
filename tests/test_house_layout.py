"""The house's layout holds: few top-level modules (each idea has its package), names and text that say what a
thing is, never which piece of work made it, and a tests folder that mirrors the package: two conftests (the root's
and the browser's), one factories module, every folder a package, no test module imported by another, and no helper
imported from another folder (shared helpers live at the tests root)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# A work item's number ("issue" or "finding" and a number, as words or run together in a file name), not an idea.
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
    item = "issue"  # the examples are put together here, so this file does not itself name a work item
    for text in (f"({item} 13)", f"{item.title()} 10, part 3", f"{item}s 10, 11", "finding 7", f"{item}11_pages"):
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


# --------------------------------------------------------------------------------------------------------------------
# The tests folder mirrors the package: shared helpers at its root, nothing imported across folders

TESTS = ROOT / "tests"
CONFTESTS = {"tests/conftest.py", "tests/browser/conftest.py"}


def python_files(tests: Path) -> list[Path]:
    return sorted(p for p in tests.rglob("*.py") if "__pycache__" not in p.parts)


def conftests(tests: Path) -> set[str]:
    return {p.relative_to(tests.parent).as_posix() for p in python_files(tests) if p.name == "conftest.py"}


def factories_modules(tests: Path) -> list[str]:
    """Modules that build test data by their name: factories.py, domain_factories.py, a factory.py..."""
    return [
        p.relative_to(tests.parent).as_posix()
        for p in python_files(tests)
        if "factor" in p.stem and not p.stem.startswith("test_")
    ]


def folders_without_init(tests: Path) -> list[str]:
    folders = [tests, *(p for p in tests.rglob("*") if p.is_dir() and p.name != "__pycache__")]
    return sorted(f.relative_to(tests.parent).as_posix() for f in folders if not (f / "__init__.py").is_file())


def imported_modules(path: Path, tests: Path) -> list[tuple[int, str]]:
    """The modules of the tests package a file imports, by dotted name (`from tests.web import x` names
    tests.web.x when x is a module), with the line of each import."""
    package = ".".join(path.relative_to(tests.parent).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            module = ".".join([*base, node.module] if node.module else base)
            found.append((node.lineno, module))
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
    return [(line, name) for line, name in found if name == "tests" or name.startswith("tests.")]


def module_file(name: str, tests: Path) -> Path | None:
    path = tests.parent.joinpath(*name.split("."))
    return path.with_suffix(".py") if path.with_suffix(".py").is_file() else None


def import_problems(tests: Path) -> list[str]:
    """Each import in tests/ that breaks the layout: a test module imported by another module, or a helper imported
    from a folder other than the importer's own or the tests root."""
    problems = []
    for path in python_files(tests):
        relative = path.relative_to(tests.parent).as_posix()
        for line, name in imported_modules(path, tests):
            target = module_file(name, tests)
            if target is None or target == path:
                continue  # a package, or a name inside a module
            where = f"{relative}:{line} imports {target.relative_to(tests.parent).as_posix()}"
            if target.name.startswith("test_"):
                problems.append(f"{where}: a test module (move what it shares into a helper)")
            elif target.parent not in (path.parent, tests):
                problems.append(f"{where}: a helper of another folder (shared helpers live at the tests root)")
    return problems


def test_the_only_conftests_are_the_roots_and_the_browsers():
    assert conftests(TESTS) == CONFTESTS


def test_one_factories_module():
    assert factories_modules(TESTS) == ["tests/factories.py"]


def test_every_tests_folder_is_a_package():
    assert folders_without_init(TESTS) == []


def test_no_test_module_or_other_folders_helper_is_imported():
    assert import_problems(TESTS) == []


def test_the_layout_checks_find_what_breaks_the_rules(tmp_path):
    tests = tmp_path / "tests"
    planted = {
        "__init__.py": "",
        "conftest.py": "",
        "factories.py": "",
        "pages.py": "",
        "web/__init__.py": "",
        "web/web_helpers.py": "from tests.factories import x\n",
        "web/test_pages.py": (
            "from tests.pages import y\n"
            "from tests.web.web_helpers import z\n"
            "from . import web_helpers\n"
            "import tests.factories\n"
        ),
        "web/conftest.py": "",
        "domain/__init__.py": "",
        "domain/domain_factories.py": "",
        "mail/__init__.py": "",
        "mail/test_mail.py": (
            "from tests.web.web_helpers import z\n"
            "from tests.web.test_pages import helper\n"
            "import tests.web.test_pages\n"
            "from tests.web import web_helpers\n"
            "from ..web import web_helpers as again\n"
        ),
        "mail/nested/test_deeper.py": "from tests.mail.test_mail import helper\n",
    }
    for name, text in planted.items():
        (tests / name).parent.mkdir(parents=True, exist_ok=True)
        (tests / name).write_text(text)

    assert conftests(tests) == {"tests/conftest.py", "tests/web/conftest.py"}
    assert factories_modules(tests) == ["tests/domain/domain_factories.py", "tests/factories.py"]
    assert folders_without_init(tests) == ["tests/mail/nested"]
    assert import_problems(tests) == [
        "tests/mail/nested/test_deeper.py:1 imports tests/mail/test_mail.py: a test module (move what it shares into"
        " a helper)",
        "tests/mail/test_mail.py:1 imports tests/web/web_helpers.py: a helper of another folder (shared helpers live"
        " at the tests root)",
        "tests/mail/test_mail.py:2 imports tests/web/test_pages.py: a test module (move what it shares into a helper)",
        "tests/mail/test_mail.py:3 imports tests/web/test_pages.py: a test module (move what it shares into a helper)",
        "tests/mail/test_mail.py:4 imports tests/web/web_helpers.py: a helper of another folder (shared helpers live"
        " at the tests root)",
        "tests/mail/test_mail.py:5 imports tests/web/web_helpers.py: a helper of another folder (shared helpers live"
        " at the tests root)",
    ]


def named_test_paths_missing(root: Path = ROOT) -> list[str]:
    """Test files the docs name that do not exist: every `tests/...` path in the docs, README.md, bench/README.md and
    the Makefile, and the paths relative to tests/ in docs/security.md's tables."""
    missing = []
    for doc in [
        *sorted((root / "docs").glob("*.md")),
        root / "README.md",
        root / "bench" / "README.md",
        root / "Makefile",
    ]:
        text = doc.read_text(encoding="utf-8")
        named = re.findall(r"(?<![\w/])tests/[\w./]*\w", text)
        if doc.name == "security.md":
            named += [f"tests/{path}" for path in re.findall(r"(?<![\w/.])((?:\w+/)*test_\w+\.py)", text)]
        missing += [f"{doc.relative_to(root)}: {path}" for path in named if not (root / path).exists()]
    return missing


def test_every_test_path_the_docs_name_exists(tmp_path):
    assert named_test_paths_missing() == []
    (tmp_path / "docs").mkdir()
    (tmp_path / "bench").mkdir()
    (tmp_path / "tests" / "web").mkdir(parents=True)
    (tmp_path / "tests" / "web" / "test_here.py").write_text("")
    (tmp_path / "README.md").write_text("see tests/web/test_here.py and tests/review/test_gone.py\n")
    (tmp_path / "bench" / "README.md").write_text("")
    (tmp_path / "Makefile").write_text("")
    (tmp_path / "docs" / "security.md").write_text("| 1 | x | covered | web/test_here.py; sec/test_gone.py |\n")
    assert named_test_paths_missing(tmp_path) == [
        "docs/security.md: tests/sec/test_gone.py",
        "README.md: tests/review/test_gone.py",
    ]
