"""Reading the month box of a date the way people write it: 6, 06, June, june, Jun, JUN (GOV.UK date inputs)."""

from __future__ import annotations

import calendar

_NAMES = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
_ABBREVIATIONS = {name.lower()[:3]: number for name, number in _NAMES.items()}
_ABBREVIATIONS["sept"] = 9  # also common


def month_number(text: str) -> int | None:
    """The month a patient typed, as 1 to 12; None when it is not a month (a number out of range, a typo)."""
    value = text.strip().rstrip(".").lower()
    if value.isdigit() and len(value) <= 2:
        number = int(value)
        return number if 1 <= number <= 12 else None
    return _NAMES.get(value) or _ABBREVIATIONS.get(value)
