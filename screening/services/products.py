"""The clinic's products and batches (the admin's list), and a batch recall: every patient treated from a batch,
each sent one kind message. Each change does its work, its audit row and its emails in one write transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlite_utils import Database

from screening import clock, mail, store
from screening.domain import Questionnaire
from screening.domain.products import (
    KINDS,
    TOXIN_INTERVAL,
    UNITS,
    amount_words,
    day_words,
    expired,
    over_maximum,
    parse_amount,
    toxin_too_soon,
)
from screening.errors import FieldError, NotFound
from screening.services import clinic, people
from screening.services.intake import own_link
from screening.services.people import AREA_QUESTIONS

LARGEST_ID = 2**63 - 1


def catalogue(db: Database) -> dict[str, list[dict[str, Any]]]:
    """The clinic's products and every batch, for the admin's page."""
    return {"products": store.products(db), "batches": store.batches(db)}


def add_product(
    db: Database,
    actor: store.Actor,
    *,
    brand: str,
    generic_name: str,
    kind: str,
    unit: str,
    max_per_session: str = "",
) -> int:
    """Add a product to the clinic's list. Refused (FieldError, nothing stored) for a brand already listed, a kind
    or unit not known, or a maximum per session that is not a positive number; audited as product_added."""
    brand, generic_name = (brand or "").strip(), (generic_name or "").strip()
    if not brand:
        raise FieldError("brand", "Enter the product's brand name")
    if not generic_name:
        raise FieldError("generic_name", "Enter the product's generic name")
    if kind not in KINDS:
        raise FieldError("kind", "Choose toxin or filler")
    if unit not in UNITS:
        raise FieldError("unit", "Choose units or ml")
    maximum = None
    if (max_per_session or "").strip():
        maximum = parse_amount(max_per_session)
        if maximum is None:
            raise FieldError("max_per_session", "Enter the maximum as a number, for example 50, or leave it empty")
    if store.product_by_brand(db, brand) is not None:
        raise FieldError("brand", f"There is a product called {brand} on the list already")
    values = {
        "brand": brand,
        "generic_name": generic_name,
        "kind": kind,
        "unit": unit,
        "max_per_session": float(maximum) if maximum is not None else None,
    }
    return store.add_product(db, values, actor.event("product_added", detail={"kind": kind, "unit": unit}))


def set_in_use(db: Database, actor: store.Actor, product_id: int, in_use: bool) -> dict[str, Any]:
    """Retire a product (the treatment form stops offering it and its batches; the treatments that used it keep
    naming it, so a batch recall still finds them) or put it back in use; audited as product_retired or
    product_back_in_use, once per change. NotFound for no such product; returns the product."""
    product = store.get_product(db, product_id) if 0 < product_id <= LARGEST_ID else None
    if product is None:
        raise NotFound("There is no such product.")
    action = "product_back_in_use" if in_use else "product_retired"
    store.set_product_active(db, product["id"], in_use, actor.event(action, detail={"kind": product["kind"]}))
    return product


def _id(text: Any) -> int | None:
    text = str(text or "").strip()
    return int(text) if text.isdigit() and 0 < int(text) <= LARGEST_ID else None


def add_batch(
    db: Database,
    actor: store.Actor,
    *,
    product_id: Any,
    lot_number: str,
    expiry_date: date | None,
    received_date: date | None,
) -> int:
    """Add a batch of a listed product. Refused (FieldError, nothing stored) without a product, a lot number or
    dates, with an expiry before it was received, or a lot number the product has already; audited as batch_added."""
    chosen = _id(product_id)
    product = store.get_product(db, chosen) if chosen else None
    if product is None:
        raise FieldError("product_id", "Choose the product")
    lot_number = (lot_number or "").strip()
    if not lot_number:
        raise FieldError("lot_number", "Enter the batch (lot) number printed on the box")
    if expiry_date is None:
        raise FieldError("expiry_date", "Enter the expiry date, for example 2027-03-31")
    if received_date is None:
        raise FieldError("received_date", "Enter the date the batch was received, for example 2026-11-02")
    if expiry_date < received_date:
        raise FieldError("expiry_date", "The expiry date is before the date it was received")
    if store.batch_by_lot(db, product["id"], lot_number) is not None:
        raise FieldError("lot_number", f"{product['brand']} has a batch {lot_number} already")
    values = {
        "product_id": product["id"],
        "lot_number": lot_number,
        "expiry_date": expiry_date.isoformat(),
        "received_date": received_date.isoformat(),
    }
    return store.add_batch(db, values, actor.event("batch_added", detail={"product": product["id"]}))


@dataclass(frozen=True)
class Recall:
    batch: dict[str, Any]
    treated: list[dict[str, Any]]  # every treatment given from the batch, with its patient (restricted ones left out)
    patients: list[dict[str, Any]]  # one row per patient (by email address): whom a recall message goes to
    restricted: int = 0  # treatments from the batch on restricted screenings: counted, neither listed nor emailed


def recall(db: Database, batch_id: int) -> Recall:
    """Every patient treated from a batch (exactly those), one row per patient; a restricted screening is only
    counted (the admin finds it on the Records page). NotFound for no such batch."""
    batch = store.get_batch(db, batch_id) if 0 < batch_id <= LARGEST_ID else None
    if batch is None:
        raise NotFound("There is no such batch.")
    every = store.treated_from_batch(db, batch_id)
    treated = [row for row in every if row["restricted_at"] is None]
    patients: dict[str, dict[str, Any]] = {}
    for row in treated:
        patients.setdefault(row["email"].strip().lower(), row)
    return Recall(batch, treated, list(patients.values()), len(every) - len(treated))


def _given_on(row: dict[str, Any], config: dict[str, Any]) -> str:
    """The day a treatment was given, in the patient's language: '1 December 2026', '1 de diciembre de 2026'."""
    day = clock.local(row["given_at"], clock.zone(config["CLINIC_TIMEZONE"])).date()
    language = mail.language_of(row)
    return day_words(day) if language == "en" else clock.day_words_in(day, language)


def send_recall(db: Database, config: dict[str, Any], actor: store.Actor, batch_id: int) -> int:
    """Queue one kind message to each patient treated from a batch (the clinic's contact, nothing clinical beyond
    "a product used in your treatment") and audit it as batch_recall_sent with the batch and the count, never a
    name. FieldError when nobody was treated from it (nothing is sent). Returns the number of messages."""
    found = recall(db, batch_id)
    if not found.patients:
        raise FieldError("confirm", "Nobody was treated from this batch: no message was sent")
    details = clinic.details(db, config)
    settings = clinic.effective_config(db, config, details)
    messages = tuple(
        mail.batch_recall(
            settings,
            row["email"],
            own_link(settings, row),
            given_on=_given_on(row, config),
            submission_id=row["submission_id"],
            language=mail.language_of(row),
        )
        for row in found.patients
    )
    store.send_recall(
        db,
        batch_id,
        messages,
        actor.event("batch_recall_sent", detail={"batch": batch_id, "count": len(messages)}),
    )
    mail.nudge(config)
    return len(messages)


@dataclass(frozen=True)
class ProductUsed:
    """What a treatment record adds about the product: its columns, its areas, and the warning read, if any."""

    values: dict[str, Any]
    areas: list[dict[str, Any]]
    warning: str = ""

    @property
    def audit(self) -> dict[str, Any]:
        """What the treatment's audit row adds: the product and batch ids, and whether a warning was read."""
        return {"product": self.values["product_id"], "batch": self.values["batch_id"], "warned": bool(self.warning)}


class IntervalWarning(FieldError):
    """Toxin again sooner than the clinic's interval: the form is shown again with the warning and a tick."""


def _areas(rows: Any, unit: str) -> list[dict[str, Any]]:
    areas: list[dict[str, Any]] = []
    for area, amount_text in rows or ():
        area, amount_text = (area or "").strip(), (amount_text or "").strip()
        if not area and not amount_text:
            continue
        if not area:
            raise FieldError("areas", f"Name the area given {amount_text} {unit}: nothing was recorded")
        if len(area) > 100:
            raise FieldError("areas", "Name each area in 100 characters or fewer: nothing was recorded")
        amount = parse_amount(amount_text)
        if amount is None:
            raise FieldError(
                "areas", f"Enter the amount given in {area} as a number of {unit}, for example 4: nothing was recorded"
            )
        if any(seen["area"].lower() == area.lower() for seen in areas):
            raise FieldError("areas", f"List {area} once, with the whole amount given there: nothing was recorded")
        areas.append({"area": area, "amount": amount, "unit": unit})
    if not areas:
        raise FieldError("areas", f"Enter the amount given in each area, in {unit}: nothing was recorded")
    return areas


def product_used(
    db: Database,
    config: dict[str, Any],
    submission: dict[str, Any],
    treatment: str,
    *,
    product_id: Any = None,
    batch_id: Any = None,
    areas: Any = (),
    warning_read: bool = False,
) -> ProductUsed:
    """Check what a treatment record says was used, before anything is stored: a listed product of the treatment's
    kind, a batch of it not expired on the treatment's date in clinic time, an amount per area in the product's unit,
    the day's total of that product within its stated maximum per session (per product: one toxin's units are not
    another's), and for toxin the clinic's own record of toxin less than 12 weeks before, which must have been read
    (IntervalWarning) before it is recorded. Anything refused raises FieldError naming the field."""
    tz = clock.zone(config["CLINIC_TIMEZONE"])
    now = clock.utc_now()
    today = clock.today_in(tz, now)
    chosen = _id(product_id)
    product = store.get_product(db, chosen) if chosen else None
    if product is None or not product["active"]:
        raise FieldError("product_id", "Choose the product used, from the clinic's list: nothing was recorded")
    if product["kind"] != treatment:
        raise FieldError(
            "product_id",
            f"{product['brand']} is a {KINDS[product['kind']].lower()}: choose a product for the treatment given",
        )
    chosen = _id(batch_id)
    batch = store.get_batch(db, chosen) if chosen else None
    if batch is None or batch["product_id"] != product["id"]:
        raise FieldError("batch_id", f"Choose the batch of {product['brand']} used: nothing was recorded")
    if expired(date.fromisoformat(batch["expiry_date"]), today):
        raise FieldError(
            "batch_id",
            f"Batch {batch['lot_number']} of {product['brand']} expired on"
            f" {day_words(date.fromisoformat(batch['expiry_date']))}: it cannot be used, and nothing was recorded",
        )
    unit = product["unit"]
    given = _areas(areas, unit)
    answers = submission.get("answers") or {}
    email, date_of_birth = submission["email"], answers.get("date_of_birth") or ""
    earlier = store.given_of_product_to_person(db, email, date_of_birth, product["id"], clock.day_start_utc(today, tz))
    total = sum((area["amount"] for area in given), Decimal(0)) + Decimal(str(earlier))
    if over_maximum(total, product["max_per_session"]):
        already = f" (with {amount_words(earlier, unit)} recorded earlier today)" if earlier else ""
        raise FieldError(
            "areas",
            f"{amount_words(total, unit)}{already} is above {product['brand']}'s maximum of"
            f" {amount_words(product['max_per_session'], unit)} per session: nothing was recorded",
        )
    warning = ""
    if treatment == "toxin":
        since = clock.to_utc_iso(now - TOXIN_INTERVAL)
        days = toxin_too_soon(
            [
                clock.local(r["given_at"], tz).date()
                for r in store.toxin_given_to_person(db, email, date_of_birth, since)
            ],
            today,
        )
        if days:
            warning = (
                f"The clinic's record shows toxin given on {', '.join(day_words(d) for d in days)}: less than 12"
                f" weeks before today, {day_words(today)}"
            )
            if not warning_read:
                raise IntervalWarning(
                    "warning_read", f"{warning}. Tick that you have read this warning to record the treatment"
                )
    values = {"product_id": product["id"], "batch_id": batch["id"], "interval_warning": warning}
    return ProductUsed(values, [{**area, "amount": float(area["amount"])} for area in given], warning)


def record_choices(db: Database, questionnaire: Questionnaire, submission: dict[str, Any]) -> dict[str, Any]:
    """What the treatment record's form offers: the clinic's products and batches, and the areas the screening
    asked for (in words, "somewhere else" left out) to put amounts against."""
    answers = submission.get("answers") or {}
    areas: list[str] = []
    for treatment in ("toxin", "filler"):
        if treatment not in (submission.get("treatments") or {}):
            continue
        chosen = [value for value in answers.get(AREA_QUESTIONS[treatment]) or [] if value != "other"]
        areas += [area for area in people.areas(questionnaire, treatment, chosen) if area not in areas]
    return {"catalogue": catalogue(db), "areas": areas}


TREATMENT_NAMES = {"toxin": "Anti-wrinkle injections", "filler": "Dermal fillers"}


def summary(db: Database, submission_ids: list[int], tz: Any = None) -> list[dict[str, Any]]:
    """The treatment summary a patient keeps, oldest first, one entry per treatment given: when (in the clinic's
    time with `tz`), what, by whom, the product and batch (with its expiry), the amount per area and the total. A
    treatment recorded before products were kept has no product, batch or areas."""
    given = []
    for row in store.treatments_with_products(db, submission_ids):
        unit = row["unit"] or (row["areas"][0]["unit"] if row["areas"] else "")
        total = sum((Decimal(str(area["amount"])) for area in row["areas"]), Decimal(0))
        given.append(
            {
                "reference": row["id"],
                "screening": row["submission_id"],
                "given_at": row["given_at"],
                "given_on": clock.readable(row["given_at"], tz) if tz else row["given_at"],
                "treatment": row["treatment"],
                "treatment_name": TREATMENT_NAMES.get(row["treatment"], row["treatment"]),
                "given_by": row["clinician_name"],
                "product": f"{row['brand']} ({row['generic_name']})" if row["brand"] else None,
                "batch": row["lot_number"],
                "batch_expiry": row["expiry_date"],
                "areas": [
                    {"area": area["area"], "amount": amount_words(area["amount"], area["unit"])}
                    for area in row["areas"]
                ],
                "total": amount_words(total, unit) if row["areas"] else None,
            }
        )
    return given
