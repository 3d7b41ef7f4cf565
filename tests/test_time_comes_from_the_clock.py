"""No test reads the wall clock or moves the app's clock by itself: the `clock` fixture of tests/conftest.py is the
only way, so a test that sets the clock to a moment of its own passes whatever day the suite runs on.

Every .py file under tests/ is parsed (ast, so comments and strings do not count) and these are refused, naming
file:line:
- reading the wall clock: `date.today`, `datetime.now`, `datetime.utcnow`, `datetime.today`, `time.time`,
  `time.time_ns`, and `time.localtime`, `time.gmtime`, `time.ctime`, `time.strftime` left to read it themselves,
  however `datetime` and `time` were imported (`import datetime as dt`, `from time import time`, ...), called or
  passed on (`default_factory=date.today`);
- pyotp's `TOTP(...).now()`, which reads time.time: a code is `totp.at(clock.timestamp())`;
- reading the app's clock directly (`screening.clock.utc_now()`, `now_iso()`, `ago_iso(...)`, `today_in(zone)` with
  no moment): `clock.now()` and `clock.today()` read it;
- replacing the app's clock: `monkeypatch.setattr(..., "utc_now", ...)`, `setattr(clock, "utc_now", ...)`,
  `mock.patch("screening.clock.utc_now")`, `clock.utc_now = ...`.

Only tests/conftest.py (the fixture itself) is left out, and two helpers that read the app's clock on purpose: in
tests/live_server.py the two functions that give the browser tests the time of the server they start in a
subprocess, where the fixture cannot reach; and `record` in tests/factories.py, which stores a submission as the
intake does, dated the clinic's today by the app's clock (the clock the fixture moves).
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent
PROJECT = TESTS.parent
EXEMPT_FILES = {"tests/conftest.py"}
EXEMPT_FUNCTIONS = {
    ("tests/live_server.py", "clinic_now"),
    ("tests/live_server.py", "clinic_today"),
    ("tests/factories.py", "record"),
}

WALL_CLOCK = {
    ("datetime", "date", "today"),
    ("datetime", "datetime", "now"),
    ("datetime", "datetime", "utcnow"),
    ("datetime", "datetime", "today"),
    ("time", None, "time"),
    ("time", None, "time_ns"),
}
# time's functions that read the wall clock when no time is given: the most arguments that still leaves it out.
TIME_WITHOUT_A_TIME = {"localtime": 0, "gmtime": 0, "ctime": 0, "strftime": 1}
APP_CLOCK_READS = {"utc_now", "now_iso", "ago_iso"}


class Names(ast.NodeVisitor):
    """What each local name stands for, from the file's imports: ("datetime", None) is the module, ("datetime",
    "date") the class, ("time", "time") the function."""

    def __init__(self):
        # Without an import the usual names still count (a file may get them from another module's star import).
        self.meaning: dict[str, tuple[str, str | None]] = {
            "datetime": ("datetime", "datetime"),
            "date": ("datetime", "date"),
            "time": ("time", None),
        }

    def visit_Import(self, node: ast.Import) -> None:  # noqa: N802 - ast's visitor names
        for alias in node.names:
            if alias.name in ("datetime", "time"):
                self.meaning[alias.asname or alias.name] = (alias.name, None)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:  # noqa: N802
        if node.module in ("datetime", "time"):
            for alias in node.names:
                self.meaning[alias.asname or alias.name] = (node.module, alias.name)


def resolved(node: ast.AST, names: Names) -> tuple[str, str | None, str] | None:
    """("datetime", "date", "today") for `date.today`, `datetime.date.today`, `dt.date.today`; ("time", None,
    "time") for `time.time` or a `time` imported from time. None for anything else."""
    if isinstance(node, ast.Name):
        module, name = names.meaning.get(node.id, (None, None))
        return (module, None, name) if module == "time" and name else None
    if not isinstance(node, ast.Attribute):
        return None
    owner = node.value
    if isinstance(owner, ast.Name) and owner.id in names.meaning:
        module, name = names.meaning[owner.id]
        return (module, name, node.attr)
    if isinstance(owner, ast.Attribute) and isinstance(owner.value, ast.Name):
        module, name = names.meaning.get(owner.value.id, (None, None))
        if module == "datetime" and name is None:
            return ("datetime", owner.attr, node.attr)
    return None


def called_name(node: ast.AST) -> str | None:
    """`f` for `f(...)`, `x.f(...)` and `x.y.f(...)`."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def is_totp(call: ast.Call) -> bool:
    """`TOTP(...)` or `pyotp.TOTP(...)`."""
    return called_name(call.func) == "TOTP"


def names_the_app_clock(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value in ("utc_now", "screening.clock.utc_now")


class Readings(ast.NodeVisitor):
    """Every place a file reads the wall clock or replaces the app's clock, as (line, what)."""

    def __init__(self, names: Names, relative: str):
        self.names = names
        self.relative = relative
        self.found: list[tuple[int, str]] = []
        self.function: list[str] = []
        self.totp_objects: set[str] = set()

    def exempt(self) -> bool:
        return any((self.relative, name) in EXEMPT_FUNCTIONS for name in self.function)

    def note(self, node: ast.AST, what: str) -> None:
        if not self.exempt():
            self.found.append((node.lineno, what))

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:  # noqa: N802
        self.function.append(node.name)
        self.generic_visit(node)
        self.function.pop()

    visit_AsyncFunctionDef = visit_FunctionDef  # noqa: N815

    def visit_Assign(self, node: ast.Assign) -> None:  # noqa: N802
        for target in node.targets:
            if isinstance(target, ast.Attribute) and target.attr == "utc_now":
                self.note(node, "replaces the app's clock (`... .utc_now = ...`): use the clock fixture")
            if isinstance(target, ast.Name) and isinstance(node.value, ast.Call) and is_totp(node.value):
                self.totp_objects.add(target.id)
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:  # noqa: N802
        found = resolved(node, self.names)
        if found in WALL_CLOCK:
            self.note(node, f"reads the wall clock ({ast.unparse(node)}): take the time from the clock fixture")
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:  # noqa: N802
        found = resolved(node, self.names)
        if found in WALL_CLOCK and isinstance(node.ctx, ast.Load):
            self.note(node, f"reads the wall clock ({node.id}, from time): take the time from the clock fixture")

    def visit_Call(self, node: ast.Call) -> None:  # noqa: N802
        func, name = node.func, called_name(node.func)
        found = resolved(func, self.names)
        given = len(node.args) + len(node.keywords)
        if found and found[0] == "time" and given <= TIME_WITHOUT_A_TIME.get(found[2], -1):
            self.note(node, f"reads the wall clock ({ast.unparse(func)} with no time given)")
        if name == "now" and isinstance(func, ast.Attribute) and not node.args:
            owner = func.value
            if (isinstance(owner, ast.Call) and is_totp(owner)) or (
                isinstance(owner, ast.Name) and owner.id in self.totp_objects
            ):
                self.note(node, "pyotp's TOTP.now() reads the wall clock: use totp.at(clock.timestamp())")
        if name in APP_CLOCK_READS or (name == "today_in" and given < 2):
            self.note(node, f"reads the app's clock ({name}) directly: read it through the clock fixture")
        if name in ("setattr", "patch", "object") and any(names_the_app_clock(arg) for arg in node.args):
            self.note(node, "replaces the app's clock by itself: use the clock fixture (set, freeze, at)")
        self.generic_visit(node)


def readings_in(relative: str, source: str) -> list[str]:
    """Each place in this file's source that reads or moves time outside the clock fixture, as 'file:line: what'."""
    tree = ast.parse(source, filename=relative)
    names = Names()
    names.visit(tree)
    readings = Readings(names, relative)
    readings.visit(tree)
    return [f"{relative}:{line}: {what}" for line, what in sorted(readings.found)]


def test_only_the_clock_fixture_reads_or_moves_time():
    files = {path.relative_to(PROJECT).as_posix(): path for path in TESTS.rglob("*.py")}
    assert "tests/live_server.py" in files and len(files) > 100, "the tests folder was not found"
    found = [
        reading
        for relative, path in sorted(files.items())
        if relative not in EXEMPT_FILES
        for reading in readings_in(relative, path.read_text(encoding="utf-8"))
    ]
    assert found == [], "time read or moved outside the clock fixture:\n" + "\n".join(found)


PLANTED = """
import datetime as dt
import time as wall
from datetime import UTC, date, datetime
from time import time, time_ns as nanoseconds

import pyotp
from screening import clock as app_clock

A = date.today()
B = datetime.now(UTC)
C = dt.datetime.utcnow()
D = dt.date.today()
E = datetime.today()
F = wall.time() + 30
G = time()
H = nanoseconds()
I = wall.strftime("%Y")
J = pyotp.TOTP("JBSWY3DPEHPK3PXP").now()
totp = pyotp.TOTP("JBSWY3DPEHPK3PXP")
K = totp.now()
L = app_clock.utc_now()
M = app_clock.today_in(app_clock.zone("Europe/London"))
N = app_clock.today_in(app_clock.zone("Europe/London"), clock.now())  # allowed: a given moment


def later(monkeypatch, clock):
    monkeypatch.setattr(app_clock, "utc_now", lambda: None)
    monkeypatch.setattr("screening.clock.utc_now", lambda: None)
    app_clock.utc_now = None
    factory = date.today
    # allowed: the fixture's readings, fixed dates, monotonic time, a code at a given moment, a formatted given time
    return clock.now(), clock.today(), date(2025, 3, 10), wall.monotonic(), totp.at(clock.timestamp()), factory


def clinic_now():
    return app_clock.utc_now()
"""


def test_the_check_finds_every_kind_of_reading():
    """The check itself, on a source planted with one of each, and the allowed ways, which it must let through."""
    found = readings_in("tests/planted.py", PLANTED)
    assert sorted({int(reading.split(":")[1]) for reading in found}) == [*range(10, 20), 21, 22, 23, 28, 29, 30, 31, 37]
    assert all(reading.startswith("tests/planted.py:") for reading in found)


def test_the_browser_helper_alone_may_read_the_clock_the_server_reads():
    found = readings_in("tests/live_server.py", PLANTED)
    assert 37 not in {int(reading.split(":")[1]) for reading in found}  # clinic_now, there and only there
    assert len(found) == len(readings_in("tests/planted.py", PLANTED)) - 1
