"""What a treatment record may say about the product used: amounts in the product's unit, a toxin's maximum per
session (per product: units of one toxin brand are not units of another), a batch's expiry against the treatment's
date, and the interval since the clinic's last toxin treatment of the same person. Pure: dates are passed in."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

KINDS = {"toxin": "Toxin (anti-wrinkle injections)", "filler": "Dermal filler"}
UNITS = {"units": "units", "ml": "ml"}
TOXIN_INTERVAL = timedelta(weeks=12)  # toxin again sooner than this: the practitioner is warned, not refused
AMOUNT = re.compile(r"[0-9]+(\.[0-9]{1,2})?")  # as people write it: digits, at most two decimal places
MAX_AMOUNT = Decimal("1000")  # no session gives more of anything, in units or ml: a slip of the keyboard


def parse_amount(text: str) -> Decimal | None:
    """An amount as written ('2', '2.5', '0,5'), or None when it is not a positive number up to MAX_AMOUNT with at
    most two decimal places."""
    text = (text or "").strip().replace(",", ".")
    if len(text) > 12 or not AMOUNT.fullmatch(text):
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return None
    return amount if 0 < amount <= MAX_AMOUNT else None


def amount_words(amount: Decimal | float, unit: str) -> str:
    """'32 units', '1.5 ml', '0.55 ml': no trailing zeros."""
    value = Decimal(str(amount)).normalize()
    text = format(value, "f")
    return f"{text} {unit}"


def over_maximum(total: Decimal, maximum: float | None) -> bool:
    """A session's total above the product's stated maximum (a product without one has no limit here)."""
    return maximum is not None and total > Decimal(str(maximum))


def expired(expiry: date, treated_on: date) -> bool:
    """A batch is expired on a treatment date after its expiry date (the expiry day itself may still be used)."""
    return expiry < treated_on


def toxin_too_soon(previous: list[date], treated_on: date) -> list[date]:
    """The earlier toxin treatments less than TOXIN_INTERVAL before this one, newest first."""
    return sorted((day for day in previous if treated_on - day < TOXIN_INTERVAL), reverse=True)


def day_words(day: date) -> str:
    """'1 December 2026'."""
    return f"{day.day} {day:%B %Y}"
