"""docs/configuration.md's settings table agrees with the settings the app declares (screening.settings.SETTINGS)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from screening.settings import SETTINGS

CONFIGURATION = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"
HEADING = "## Configuration"
NAME_CELL = re.compile(r"`([A-Z][A-Z0-9_]*)`")


def section(text: str, heading: str) -> str:
    """The text under `heading`, up to the next heading of the same level."""
    lines = text.splitlines()
    assert heading in lines, f"docs/configuration.md has no heading {heading!r}"
    start = lines.index(heading) + 1
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("## ")), len(lines))
    return "\n".join(lines[start:end])


def table_rows(text: str) -> list[list[str]]:
    """The cells of the first Markdown table in `text`, header and separator rows left out."""
    rows: list[list[str]] = []
    for line in text.splitlines():
        if line.startswith("|"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
        elif rows:
            break  # the first table has ended
    assert len(rows) >= 2 and set(rows[1][0]) <= set("-: "), "the Configuration section has no Markdown table"
    return rows[2:]


def documented() -> dict[str, list[str]]:
    """Each row of the configuration table by the setting its first column names in backticks."""
    rows = table_rows(section(CONFIGURATION.read_text(encoding="utf-8"), HEADING))
    by_name: dict[str, list[str]] = {}
    for cells in rows:
        match = NAME_CELL.fullmatch(cells[0])
        assert match, f"the first column of the configuration table should be a setting in backticks: {cells[0]!r}"
        assert match.group(1) not in by_name, f"{match.group(1)} has two rows"
        by_name[match.group(1)] = cells
    return by_name


def test_the_parser_reads_a_table_like_the_configuration_page():
    sample = "## Configuration\n\ntext\n\n| setting | default |\n|---|---|\n| `A_B` | `1` |\n| `C` | 2 |\n\n## Next\n"
    rows = table_rows(section(sample, HEADING))
    assert [cells[0] for cells in rows] == ["`A_B`", "`C`"]
    with pytest.raises(AssertionError):
        table_rows(section("## Configuration\n\nno table here\n", HEADING))


def test_every_declared_setting_has_a_row_in_the_configuration_table():
    rows = documented()
    missing = [setting.name for setting in SETTINGS if setting.name not in rows]
    assert missing == [], f"declared in screening/settings.py but not in the docs/configuration.md table: {missing}"


def test_every_setting_in_the_configuration_table_is_declared():
    declared = {setting.name for setting in SETTINGS}
    unknown = [name for name in documented() if name not in declared]
    assert unknown == [], f"in the docs/configuration.md table but not declared in screening/settings.py: {unknown}"


def test_the_configuration_table_gives_each_setting_its_declared_default():
    rows = documented()
    wrong = {}
    for setting in SETTINGS:
        if setting.name not in rows or len(rows[setting.name]) < 2:
            continue  # reported by the test above
        shown = rows[setting.name][1].replace("`", "")
        if shown != setting.shown_default.replace("`", ""):
            wrong[setting.name] = (shown, setting.shown_default)
    assert wrong == {}, f"documented default differs from the declared one (documented, declared): {wrong}"
