"""Blueprints, one per audience (patient, account, clinician, admin, errors), and what every page of a request
shares: the clinic's details, read once a request."""

from __future__ import annotations

from typing import Any

from flask import current_app, g
from werkzeug.routing import IntegerConverter

SQLITE_LARGEST_INTEGER = 2**63 - 1


class RowId(IntegerConverter):
    """`<int:...>` in every route: a number SQLite can hold, so a larger one is a 404 at routing, not an
    OverflowError in the store."""

    def __init__(self, map, *args, **kwargs) -> None:  # noqa: A002 - werkzeug's name
        kwargs.setdefault("max", SQLITE_LARGEST_INTEGER)
        super().__init__(map, *args, **kwargs)


def clinic_details():
    """The clinic's details for this request (its settings page, else the instance settings), read once."""
    from screening.db import get_db
    from screening.services import clinic

    if "clinic_details" not in g:
        try:
            g.clinic_details = clinic.details(get_db(), current_app.config)
        except Exception:  # noqa: BLE001 - an error page must render even when the database cannot be read
            g.clinic_details = clinic.details(None, current_app.config)
    return g.clinic_details


def clinic_config() -> dict[str, Any]:
    """The settings with the clinic's own details in place of the instance's, worked out once a request."""
    from screening.services import clinic

    if "clinic_config" not in g:
        g.clinic_config = clinic.effective_config(None, current_app.config, found=clinic_details())
    return g.clinic_config
