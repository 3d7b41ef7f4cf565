"""Reading the month box of a date the way people write it: 6, 06, June, june, Jun, JUN (GOV.UK date inputs), and in
Spanish: junio, jun, septiembre or setiembre, sept (with or without accents, any case); and calendar months after a
date (a refresh due months after a treatment)."""

from __future__ import annotations

import calendar
import unicodedata
from datetime import date

_NAMES = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
_ABBREVIATIONS = {name.lower()[:3]: number for name, number in _NAMES.items()}
_ABBREVIATIONS["sept"] = 9  # also common

# Spanish month names and their usual abbreviations (the patient pages offered in Spanish; RAE spellings, and
# "setiembre", which the RAE accepts too). Fixed here rather than from the process's locale: the server's locale is
# not the patient's.
_SPANISH = (
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
)
_NAMES |= {name: number for number, name in enumerate(_SPANISH, start=1)}
_NAMES["setiembre"] = 9
_ABBREVIATIONS |= {name[:3]: number for number, name in enumerate(_SPANISH, start=1)}
_ABBREVIATIONS |= {"set": 9, "sep": 9, "sept": 9, "dic": 12}


def month_number(text: str) -> int | None:
    """The month a patient typed, as 1 to 12; None when it is not a month (a number out of range, a typo)."""
    value = _unaccented(text.strip().rstrip(".").lower())
    if value.isdigit() and len(value) <= 2:
        number = int(value)
        return number if 1 <= number <= 12 else None
    return _NAMES.get(value) or _ABBREVIATIONS.get(value)


def _unaccented(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def add_months(day: date, months: int) -> date:
    """The same day `months` calendar months later; the month's last day when it is shorter (31 May + 9 = 28 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))
