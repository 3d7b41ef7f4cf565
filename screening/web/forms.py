"""Forms: one questionnaire step per section, built from the questionnaire data; contact details; the declaration.

The step fields only carry what the patient sent. Whether an answer is valid, and whether a question is shown at all,
is decided by the domain (screening.domain.questionnaire), so the form, the CLI and the rules agree.
"""

from __future__ import annotations

import re
from datetime import date, time, timedelta
from functools import cache

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    Field,
    Form,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TelField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, Regexp, ValidationError

from screening.clock import parse_every
from screening.domain import AnswerError, Question, Questionnaire, Section
from screening.domain.consent import ASSESSMENT_OUTCOMES
from screening.domain.consent import OPTIONS as CONSENT_OPTIONS
from screening.domain.dates import month_number
from screening.domain.instruments import Instrument
from screening.domain.names import folded, same_name, shown
from screening.domain.questionnaire import TEXT_MAX_LENGTH, plain_text
from screening.errors import FieldError
from screening.services.accounts import REGISTERS
from screening.services.consent import LIMITS as CONSENT_LIMITS
from screening.services.consultation import ID_DOCUMENTS


class AnswerField(Field):
    """The raw answer to one question: a string, or a list of option ids for multi choice."""

    def __init__(self, *args, question: Question, **kwargs):
        super().__init__(*args, **kwargs)
        self.question = question

    def process_formdata(self, valuelist):
        if self.question.type == "multi":
            self.data = list(valuelist)
            return
        if len(valuelist) > 1:
            self.data = None
            raise ValueError(_("Choose only one answer"))
        self.data = valuelist[0] if valuelist else None

    def _value(self):
        return "" if self.data is None else str(self.data)


_DIGITS = re.compile(r"\d{1,4}")


class DateAnswerField(AnswerField):
    """A date as three boxes (day, month, year), the pattern patients find easiest for dates they know."""

    PARTS = ("day", "month", "year")

    def process(self, formdata, data=None, extra_filters=None):
        self.process_errors = []
        self.raw_data = []
        self.wrong_parts: list[str] = []  # the boxes at fault, marked on the page
        self.parts = {"day": "", "month": "", "year": ""}
        self.data = data if isinstance(data, str) else None
        if self.data:
            self.parts = _parts_of(self.data)
        if formdata is None:
            return
        parts = {part: (formdata.get(f"{self.name}-{part}") or "").strip() for part in self.PARTS}
        self.parts = parts
        self.raw_data = list(parts.values())
        self.data = None
        if not any(parts.values()):
            return  # unanswered; the domain decides whether it was needed
        missing = [part for part in self.PARTS if not parts[part]]
        if missing:
            self.wrong_parts = missing
            self.process_errors.append(_missing_parts_message(missing))
            return
        month = month_number(parts["month"])
        wrong = [
            *(["day"] if not _DIGITS.fullmatch(parts["day"]) or not 1 <= int(parts["day"]) <= 31 else []),
            *(["month"] if month is None else []),
            *(["year"] if not _DIGITS.fullmatch(parts["year"]) or len(parts["year"]) != 4 else []),
        ]
        if wrong:
            self.wrong_parts = wrong
            self.process_errors.append(_wrong_parts_message(wrong))
            return
        try:
            self.data = date(int(parts["year"]), month, int(parts["day"])).isoformat()
        except ValueError:
            self.process_errors.append(_("Enter a real date, for example 27 3 1985"))


_PART_HINTS = {
    "day": _l("the day as a number from 1 to 31"),
    "month": _l("the month as a number from 1 to 12 or its name, for example 6, June or Jun"),
    "year": _l("the year in 4 digits, for example 1985"),
}
_PART_NAMES = {"day": _l("day"), "month": _l("month"), "year": _l("year")}


def _wrong_parts_message(wrong: list[str]) -> str:
    """Name each box at fault: 'Enter the month as a number from 1 to 12 or its name, ...'."""
    return _("Enter %(parts)s", parts=_(" and ").join(str(_PART_HINTS[part]) for part in wrong))


def _missing_parts_message(missing: list[str]) -> str:
    """'The date must include a month', 'The date must include a day and year'."""
    return _("The date must include a %(parts)s", parts=_(" and ").join(str(_PART_NAMES[part]) for part in missing))


def _parts_of(iso: str) -> dict[str, str]:
    try:
        value = date.fromisoformat(iso)
    except ValueError:
        return {"day": "", "month": "", "year": ""}
    return {"day": str(value.day), "month": str(value.month), "year": str(value.year)}


_STEP_FORMS: dict[int, tuple[Section, type[FlaskForm]]] = {}  # id(section) -> (the section, its form class)
_STEP_FORMS_KEPT = 256  # sections of this many rule sets' worth at most (a test run loads many)


def step_form_class(section: Section) -> type[FlaskForm]:
    """A form class for one section, with a field for each of its questions. Made once per section object (sections
    are immutable) and found again by the object's identity: hashing a frozen section hashes every question in it,
    which cost more than the lookup it served on every step page and every answer sent."""
    kept = _STEP_FORMS.get(id(section))
    if kept is None or kept[0] is not section:
        if len(_STEP_FORMS) >= _STEP_FORMS_KEPT:
            _STEP_FORMS.clear()
        kept = _STEP_FORMS[id(section)] = (section, _step_form_class(section))
    return kept[1]


@cache
def _step_form_class(section: Section) -> type[FlaskForm]:
    attributes = {
        question.id: (DateAnswerField if question.type == "date" else AnswerField)(question.text, question=question)
        for question in section.questions
    }
    return type(f"Step{section.id}Form", (FlaskForm,), attributes)


def too_long(text: str) -> str:
    """A free text over the limit: how long it is and what to do; what was typed is shown again to shorten."""
    length, limit = f"{len(plain_text(text)):,}", f"{TEXT_MAX_LENGTH:,}"
    return _(
        "Your answer is %(length)s characters. Shorten it to %(limit)s characters or fewer: what you typed is kept "
        "here",
        length=length,
        limit=limit,
    )


def within_text_limit(form, field) -> None:
    """A reply box's limit, as the questionnaire's free text has it (never cut: refused with the text kept)."""
    if isinstance(field.data, str) and len(field.data) > TEXT_MAX_LENGTH:
        raise ValidationError(too_long(field.data))


def patient_message(question: Question, error: AnswerError, sent=None) -> str:
    """The wording a patient sees for a domain answer error (`sent`: what was sent for the question)."""
    if error.code == "too_long" and isinstance(sent, str):
        return too_long(sent)
    has_none = "none" in question.option_ids
    if error.code == "required":
        if question.type == "multi":
            return _("Select at least one option, or ‘None of these’") if has_none else _("Select at least one option")
        if question.type == "date":
            return _("Enter a date")
        return _("Select an answer")
    messages = {
        "not_option": _l("Select one of the options shown"),
        "wrong_type": _l("Select one of the options shown"),
        "none_exclusive": _l("Select ‘None of these’ on its own, or untick it"),
        "bad_date": _l("Enter a real date, for example 27 3 1985"),
        "future_date": _l("The date must be today or in the past"),
        "implausible_date": _l("Check the year: the date must be within the last 120 years"),
        "before_birth": _l("The date must be after your date of birth"),
        "too_long": _l("Your answer must be 2,000 characters or fewer"),
        "bad_text": _l("Your answer contains a character we cannot store; please retype it"),
    }
    return str(messages.get(error.code, _l("Check this answer")))


def patient_name_problem(typed: str, given: str) -> str | None:
    """domain.names.name_mismatch in the patient's language: what they are told when the typed name is not the one
    they gave (None when it is); it quotes only this patient's two names."""
    if same_name(typed, given):
        return None
    if not folded(typed):
        return _("Type your full name as you gave it: %(given)s", given=shown(given))
    return _(
        "The name you typed, %(typed)s, does not match the name you gave, %(given)s",
        typed=shown(typed),
        given=shown(given),
    )


class ContactForm(FlaskForm):
    full_name = StringField(
        _l("Full name"),
        validators=[
            DataRequired(_l("Enter your full name")),
            Length(max=200, message=_l("Enter 200 characters or fewer")),
        ],
        filters=[lambda value: " ".join(value.split()) if isinstance(value, str) else value],
    )
    email = EmailField(
        _l("Email address"),
        validators=[
            DataRequired(_l("Enter your email address")),
            Length(max=254, message=_l("Enter 254 characters or fewer")),
            Email(_l("Enter an email address in the correct format, like name@example.com")),
        ],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )
    phone = TelField(
        _l("Phone number (optional)"),
        validators=[
            Optional(),
            Length(max=30, message=_l("Enter 30 characters or fewer")),
            Regexp(r"^\+?[0-9 ()-]{6,}$", message=_l("Enter a phone number, like 07700 900 982 or +44 7700 900 982")),
        ],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )


class DeclarationForm(FlaskForm):
    submission_key = HiddenField()
    confirm = BooleanField(
        _l("I confirm that my answers are true and complete to the best of my knowledge"),
        validators=[DataRequired(_l("Confirm that your answers are true and complete"))],
    )
    signature = StringField(
        _l("Type your full name"),
        validators=[DataRequired(_l("Type your full name to sign")), Length(max=200)],
        filters=[lambda value: " ".join(value.split()) if isinstance(value, str) else value],
    )

    reply = TextAreaField(
        _l("Your answer to the clinician's question"),
        validators=[within_text_limit],
        filters=[lambda value: plain_text(value) if isinstance(value, str) else value],
    )
    # The honeypot: off-screen, aria-hidden and out of the tab order (templates/patient/check.html), so no person
    # fills it; a bot that fills every field does.
    website = StringField(_l("Leave this empty"))

    def trapped(self) -> bool:
        """The honeypot was filled: a bot sent this, not a patient."""
        return bool((self.website.data or "").strip())

    def declaration_ok(self, draft) -> bool:
        """Ticked, signed with the name given (as people write names: domain/names.py), a reply when answering a
        clinician, and for this very draft."""
        if self.validate() and (problem := patient_name_problem(self.signature.data or "", draft.contact["full_name"])):
            self.signature.errors.append(problem)
        if draft.kind == "amendment" and not (self.reply.data or "").strip():
            self.reply.errors = [*self.reply.errors, _("Answer the clinician's question")]
        return not self.errors and self.submission_key.data == draft.submission_key


# --------------------------------------------------------------------------------------------------------------------
# Clinicians


class LoginForm(FlaskForm):
    email = EmailField("Email address", validators=[DataRequired("Enter your email address"), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired("Enter your password"), Length(max=1024)])


class KioskForm(FlaskForm):
    """Turn this device into a reception tablet: the name the clinic knows it by."""

    name = StringField(
        "Name of this device",
        validators=[DataRequired("Enter a name for this device, for example Reception tablet 1"), Length(max=60)],
    )


class CodeForm(FlaskForm):
    code = StringField(
        "6-digit code from your authenticator app",
        validators=[DataRequired("Enter the 6-digit code"), Length(max=12)],
    )


class DecisionForm(FlaskForm):
    action = RadioField(
        "Decision",
        choices={
            "approve": "Approve: the patient may book",
            "request_information": "Ask the patient for more information",
            "defer": "Defer until a date",
            "decline": "Decline",
        },
        validators=[InputRequired("Choose a decision")],
    )
    treatments = SelectMultipleField(
        "Treatments approved", choices={"toxin": "Toxin", "filler": "Filler"}, validate_choice=False
    )
    defer_until = DateField("Defer until", validators=[Optional()])
    question = TextAreaField("Question for the patient (they will see this)", validators=[Length(max=4000)])
    private_note = TextAreaField(
        "Private note for the clinic (the patient never sees it)", validators=[Length(max=4000)]
    )

    def decision(self) -> dict:
        """The decision as the review service takes it."""
        return {
            "action": self.action.data,
            "treatments": self.treatments.data or [],
            "defer_until": self.defer_until.data,
            "question": self.question.data or "",
            "private_note": self.private_note.data or "",
        }


class QueueFilterForm(Form):
    """The queue's filters, read from the query string (a GET form changes nothing, so it needs no CSRF token)."""

    level = SelectField(
        "Level",
        choices={
            "review": "Review",
            "caution": "Caution",
            "defer": "Defer",
            "decline": "Decline",
            "clear": "Clear",
            "any": "Any level",
        },
        default="any",  # with state "pending": all that waits for a clinician, review-level or amended
    )
    state = SelectField(
        "Decision",
        choices={
            "pending": "Pending",
            "approved": "Approved",
            "declined": "Declined",
            "deferred": "Deferred",
            "information_requested": "Information requested",
            "any": "Any",
        },
        default="pending",
    )
    treatment = SelectField(
        "Treatment", choices={"any": "Any", "toxin": "Toxin", "filler": "Filler", "both": "Both"}, default="any"
    )
    since = DateField("From", validators=[Optional()])
    until = DateField("To (inclusive)", validators=[Optional()])


class ClinicianDetailsForm(FlaskForm):
    """Who a new clinician is: their email address, name and role (the two ways of adding one share these)."""

    email = EmailField(
        "Email address",
        validators=[DataRequired("Enter an email address"), Length(max=254), Email("Enter a valid email address")],
    )
    name = StringField("Name", validators=[DataRequired("Enter a name"), Length(max=200)])
    role = RadioField(
        "Role",
        choices={"clinician": "Clinician", "admin": "Admin"},
        default="clinician",
        validators=[InputRequired("Choose a role")],
    )


class NewClinicianForm(ClinicianDetailsForm):
    password = PasswordField(
        "Initial password", validators=[DataRequired("Enter an initial password"), Length(max=1024)]
    )


class InviteClinicianForm(ClinicianDetailsForm):
    """Add a clinician who chooses their own password from an emailed one-time link (used with prefix "invite")."""


class ConfirmForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class BookingForm(FlaskForm):
    """Confirm an appointment; the reminders box is unticked unless the patient ticks it."""

    reminders = BooleanField(_l("Email me once when a refresh of my treatment is due (you can stop this at any time)"))


WEEKDAYS = dict(enumerate(("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")))
WEEKDAYS = {str(n): name for n, name in WEEKDAYS.items()}  # "0" is Monday, as date.weekday() counts
SLOT_KINDS = {"consultation": "Consultations", "treatment": "Treatments (after consent and the cooling-off)"}
SLOT_LENGTHS = {"15m": "15 minutes", "20m": "20 minutes", "30m": "30 minutes", "45m": "45 minutes", "1h": "1 hour"}


class WeekSlotsForm(FlaskForm):
    """Publish a week of slots from a template: the days, the opening hours, a break, the length, who; in the clinic's
    time zone. What makes no sense together (a break outside the hours, no day ticked...) the clinic service refuses."""

    week = DateField("Week starting", validators=[DataRequired("Enter the week's first day, for example 2026-12-14")])
    days = SelectMultipleField("Days", choices=WEEKDAYS, default=["0", "1", "2", "3", "4"])
    opens = TimeField("Opens", default=time(9, 0), validators=[DataRequired("Enter the opening time, like 09:00")])
    closes = TimeField("Closes", default=time(17, 0), validators=[DataRequired("Enter the closing time, like 17:00")])
    break_from = TimeField("Break from (optional)", validators=[Optional()])
    break_until = TimeField("Break until (optional)", validators=[Optional()])
    every = SelectField("Length of each slot", choices=SLOT_LENGTHS, default="30m")
    practitioner = StringField("Practitioner (optional)", validators=[Optional(), Length(max=100)])
    kind = SelectField("Slots for", choices=SLOT_KINDS, default="consultation")

    def validate_week(self, field):
        if field.data and not date(2000, 1, 1) <= field.data <= date(2100, 12, 24):
            raise ValidationError("Enter a week between the years 2000 and 2100")

    def template(self) -> dict:
        """The week to publish, as the clinic service takes it (times in the clinic's zone)."""
        return {
            "first_day": self.week.data,
            "last_day": self.week.data + timedelta(days=6),
            "weekdays": [int(day) for day in self.days.data or []],
            "opens": self.opens.data,
            "closes": self.closes.data,
            "break_from": self.break_from.data,
            "break_until": self.break_until.data,
            "every": parse_every(self.every.data),
            "practitioner": self.practitioner.data or "",
            "kind": self.kind.data,
        }


class WithdrawSlotsForm(FlaskForm):
    """Withdraw the ticked slots, or a whole day (its button), in one POST; booked ones need the patients' reason."""

    slots = SelectMultipleField("Slots", coerce=int, validate_choice=False)
    day = DateField("Day", validators=[Optional()])
    week = DateField("Week", validators=[Optional()])
    reason = TextAreaField(
        "Reason, for the email to patients with a booking (needed when a chosen slot is booked)",
        validators=[Length(max=500, message="Enter 500 characters or fewer")],
    )


@cache
def returning_form_class(date_of_birth: Question) -> type[FlaskForm]:
    """Email and date of birth (in the same three boxes as the questionnaire), to find the last screening."""
    return type(
        "ReturningForm",
        (FlaskForm,),
        {
            "email": EmailField(
                _l("Email address you used last time"),
                validators=[
                    DataRequired(_l("Enter your email address")),
                    Length(max=254),
                    Email(_l("Enter an email address in the correct format, like name@example.com")),
                ],
                filters=[lambda value: value.strip() if isinstance(value, str) else value],
            ),
            "date_of_birth": DateAnswerField(date_of_birth.text, question=date_of_birth),
        },
    )


class SaveForLaterForm(FlaskForm):
    """Save and finish later: the address the one-time link to the saved screening goes to."""

    email = EmailField(
        _l("Email address"),
        validators=[
            DataRequired(_l("Enter your email address")),
            Length(max=254, message=_l("Enter 254 characters or fewer")),
            Email(_l("Enter an email address in the correct format, like name@example.com")),
        ],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )


def resume_form_class(date_of_birth: Question | None) -> type[FlaskForm]:
    """Opening a link to a saved screening: the date of birth in the draft (in the same three boxes as the
    questionnaire), or nothing but the button when the draft holds none yet."""
    fields = {"date_of_birth": DateAnswerField(date_of_birth.text, question=date_of_birth)} if date_of_birth else {}
    return type("ResumeForm", (FlaskForm,), fields)


class PatientRecordsForm(FlaskForm):
    """Find a patient's records to erase or restrict them (admin): email and date of birth, both must match."""

    email = EmailField(
        "Patient's email address",
        validators=[DataRequired("Enter the patient's email address"), Length(max=254), Email("Enter a valid email")],
        filters=[lambda value: value.strip().lower() if isinstance(value, str) else value],
    )
    date_of_birth = DateField(
        "Patient's date of birth",
        validators=[DataRequired("Enter the date of birth as YYYY-MM-DD, for example 1990-07-22")],
    )


class EraseConfirmForm(PatientRecordsForm):
    """The second step of erasure, from the page that said what it takes: the same patient, and the plan that page
    showed (so a plan that changed since is shown again rather than carried out)."""

    plan = HiddenField("The erasure checked", validators=[Length(max=20000)])


class ExportForm(Form):
    """The date range of a CSV export (a GET form: it changes nothing)."""

    since = DateField("From", validators=[DataRequired("Enter the first day, as YYYY-MM-DD")])
    until = DateField("To (inclusive)", validators=[DataRequired("Enter the last day, as YYYY-MM-DD")])

    def validate_until(self, field):
        if self.since.data and field.data and field.data < self.since.data:
            raise ValidationError("The last day must be on or after the first day")


class ReplyForm(FlaskForm):
    """Answering the clinic's question without changing any answer: the reply first, then the declaration."""

    reply = TextAreaField(
        _l("Your answer"),
        validators=[DataRequired(_l("Answer the clinic's question")), within_text_limit],
        filters=[lambda value: plain_text(value) if isinstance(value, str) else value],
    )
    confirm = BooleanField(
        _l("I confirm that my answers are true and complete to the best of my knowledge"),
        validators=[DataRequired(_l("Confirm that your answers are true and complete"))],
    )
    signature = StringField(
        _l("Type your full name"),
        validators=[DataRequired(_l("Type your full name to sign")), Length(max=200)],
        filters=[lambda value: " ".join(value.split()) if isinstance(value, str) else value],
    )

    def check(self, full_name: str) -> bool:
        """Valid, and signed with the name the patient gave."""
        valid = self.validate()
        signed = self.signature.data or ""
        if signed and not self.signature.errors and (problem := patient_name_problem(signed, full_name)):
            self.signature.errors = [*self.signature.errors, problem]
            valid = False
        return valid


# --------------------------------------------------------------------------------------------------------------------
# Forms of the clinic's day: finding a patient, the consultation record, accounts, clinic settings and
# withdrawing a booked slot. CSRF on every form that changes something (FlaskForm); the search is a GET form.


class SearchForm(Form):
    q = StringField("Name, email address or screening reference", validators=[Optional(), Length(max=200)])
    dob = DateField("Date of birth", validators=[Optional()])


AREA_ROWS = 6  # the amount per area: the screening's areas first, then empty rows for any other


class TreatmentGivenForm(FlaskForm):
    """The treatment given, by the practitioner who took the consent, now: the product and batch from the clinic's
    list, the amount per area in the product's unit; the services check what they mean together."""

    treatment = RadioField(
        "Treatment given",
        choices={"toxin": "Anti-wrinkle injections (toxin)", "filler": "Dermal fillers"},
        validators=[InputRequired("Choose the treatment given")],
    )
    product_id = SelectField("Product used", choices={"": "Choose…"}, validate_choice=False)
    batch_id = SelectField("Batch (lot number on the box)", choices={"": "Choose…"}, validate_choice=False)
    areas = Field("Amount given per area, in the product's unit")  # carries the areas' errors; never rendered
    same_day = BooleanField("Same-day treatment: inside the cooling-off, as the clinic allows")
    reason = TextAreaField("Reason for treating inside the cooling-off", validators=[Length(max=2000)])
    warning_read = BooleanField("I have read the warning")

    def offer(self, catalogue: dict, areas: list[str], *, fresh: bool = True) -> TreatmentGivenForm:
        """The clinic's products and batches as choices; on a fresh form, the screening's areas in the first rows."""
        self.product_id.choices = {
            "": "Choose…",
            **{
                str(p["id"]): f"{p['brand']} ({p['generic_name']}): {'toxin' if p['kind'] == 'toxin' else 'filler'},"
                f" in {p['unit']}"
                for p in catalogue["products"]
                if p["active"]
            },
        }
        self.batch_id.choices = {
            "": "Choose…",
            **{
                str(b["id"]): f"{b['brand']}: batch {b['lot_number']}, expires {b['expiry_date']}"
                for b in catalogue["batches"]
                if b["active"]
            },
        }
        if fresh:
            for n, area in enumerate(areas[:AREA_ROWS], start=1):
                self[f"area_{n}"].data = area
        return self

    def area_rows(self) -> list[tuple[Field, Field]]:
        """Each row's area and amount fields."""
        return [(self[f"area_{n}"], self[f"amount_{n}"]) for n in range(1, AREA_ROWS + 1)]

    def product(self) -> dict:
        """What was used, as the treatment service takes it."""
        return {
            "product_id": self.product_id.data,
            "batch_id": self.batch_id.data,
            "areas": [(area.data or "", amount.data or "") for area, amount in self.area_rows()],
            "warning_read": bool(self.warning_read.data),
        }


for _n in range(1, AREA_ROWS + 1):
    setattr(TreatmentGivenForm, f"area_{_n}", StringField(f"Area {_n}", validators=[Length(max=100)]))
    setattr(TreatmentGivenForm, f"amount_{_n}", StringField(f"Amount in area {_n}", validators=[Length(max=12)]))


class ProductForm(FlaskForm):
    """A product on the clinic's list (the products service checks what the fields mean)."""

    brand = StringField("Brand name", validators=[DataRequired("Enter the product's brand name"), Length(max=80)])
    generic_name = StringField(
        "Generic name", validators=[DataRequired("Enter the product's generic name"), Length(max=120)]
    )
    kind = RadioField(
        "Kind",
        choices={"toxin": "Toxin (anti-wrinkle injections)", "filler": "Dermal filler"},
        validators=[InputRequired("Choose toxin or filler")],
    )
    unit = RadioField(
        "Measured in", choices={"units": "Units", "ml": "ml"}, validators=[InputRequired("Choose units or ml")]
    )
    max_per_session = StringField("Maximum per session, as the label states it (optional)", validators=[Length(max=12)])


class ProductInUseForm(FlaskForm):
    """Retire a product from the treatment form ("no") or put it back in use ("yes"): a button with its value."""

    in_use = RadioField("In use", choices={"yes": "In use", "no": "Retired"}, validators=[InputRequired()])


class BatchForm(FlaskForm):
    """A batch of a listed product."""

    product_id = SelectField("Product", choices={"": "Choose…"}, validate_choice=False)
    lot_number = StringField(
        "Batch (lot) number", validators=[DataRequired("Enter the batch (lot) number"), Length(max=60)]
    )
    expiry_date = DateField("Expiry date", validators=[InputRequired("Enter the expiry date, for example 2027-03-31")])
    received_date = DateField(
        "Date received", validators=[InputRequired("Enter the date received, for example 2026-11-02")]
    )

    def offer(self, products: list[dict]) -> BatchForm:
        """The clinic's products as choices."""
        self.product_id.choices = {"": "Choose…", **{str(p["id"]): p["brand"] for p in products if p["active"]}}
        return self


class ConsultationForm(FlaskForm):
    attendance = RadioField(
        "Did the patient come?",
        choices={"attended": "Attended", "did_not_attend": "Did not attend"},
        validators=[InputRequired("Say whether the patient came")],
    )
    id_document = SelectField("Identity document seen", choices={"": "Choose…", **ID_DOCUMENTS})
    id_date_of_birth = DateField(
        "Date of birth on the document",
        format=["%d/%m/%Y", "%d %m %Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d"],
        validators=[Optional()],
    )
    answers = RadioField(
        "The screening answers, gone through with the patient",
        choices={"confirmed": "Confirmed: nothing changed", "changed": "Changed: screen the new answers again"},
        validators=[Optional()],
    )
    walk_in = BooleanField("Walk-in: the patient came without an appointment, or on another day than booked")
    consulted = BooleanField("I have seen and examined the patient face to face")
    note = TextAreaField("Note (optional)", validators=[Length(max=4000, message="Enter 4,000 characters or fewer")])

    def record(self) -> dict:
        """The record as the consultation service takes it."""
        return {
            "attendance": self.attendance.data,
            "walk_in": bool(self.walk_in.data),
            "id_document": self.id_document.data or "",
            "id_date_of_birth": self.id_date_of_birth.data,
            "answers": self.answers.data or "",
            "consulted": bool(self.consulted.data),
            "note": self.note.data or "",
        }

    def explain_date_errors(self) -> None:
        """A date of birth typed in another shape gets an example, not the parser's words."""
        raw = (self.id_date_of_birth.raw_data or [""])[0].strip()
        if self.id_date_of_birth.errors and raw and not self.id_date_of_birth.data:
            self.id_date_of_birth.errors = ["Enter the date of birth as it is on the document, for example 22/07/1990"]


class AssessmentForm(FlaskForm):
    """The practitioner's psychological-suitability assessment, before consent when an appearance rule fired."""

    outcome = RadioField(
        "Outcome of the psychological-suitability assessment",
        choices=ASSESSMENT_OUTCOMES,
        validators=[InputRequired("Choose the outcome of the assessment")],
    )
    note = TextAreaField(
        "What you found (optional)",
        validators=[Length(max=CONSENT_LIMITS["note"], message="Enter 4,000 characters or fewer")],
    )


class ConsentForm(FlaskForm):
    """Consent taken by the practitioner who treats, for one treatment (the form's prefix is the treatment). Who
    takes it is the signed-in clinician: there is no field for it."""

    treatment = HiddenField()
    text_sha256 = HiddenField()
    discussed = TextAreaField(
        "What you discussed with the patient",
        validators=[Length(max=CONSENT_LIMITS["discussed"], message="Enter 4,000 characters or fewer")],
    )
    patient_questions = TextAreaField(
        "The patient's questions, and your answers (optional)",
        validators=[Length(max=CONSENT_LIMITS["patient_questions"], message="Enter 4,000 characters or fewer")],
    )
    reasons = TextAreaField(
        "Why the patient wants this treatment",
        validators=[Length(max=CONSENT_LIMITS["reasons"], message="Enter 2,000 characters or fewer")],
    )
    hopes = TextAreaField(
        "What the patient hopes for",
        validators=[Length(max=CONSENT_LIMITS["hopes"], message="Enter 2,000 characters or fewer")],
    )
    photos_record = BooleanField(CONSENT_OPTIONS["photos_record"])
    photos_teaching = BooleanField(CONSENT_OPTIONS["photos_teaching"])
    gp_letter = BooleanField(CONSENT_OPTIONS["gp_letter"])

    def record(self) -> dict:
        """The consent as the consent service takes it."""
        return {
            "treatment": self.treatment.data or "",
            "text_sha256": self.text_sha256.data or "",
            "discussed": self.discussed.data or "",
            "patient_questions": self.patient_questions.data or "",
            "reasons": self.reasons.data or "",
            "hopes": self.hopes.data or "",
            "options": {option: bool(self[option].data) for option in CONSENT_OPTIONS},
        }


class SignatureForm(FlaskForm):
    """The patient's signature: their full name typed, and the tick (no JavaScript needed)."""

    consent_id = HiddenField()
    full_name = StringField(
        _l("Your full name"), validators=[Length(max=200, message=_l("Enter 200 characters or fewer"))]
    )
    understood = BooleanField(_l("I have read and understood the consent above, and I consent"))

    def name_ok(self, full_name: str) -> bool:
        """Signed with the name the patient gave (as the service checks it too), said in the patient's language."""
        if problem := patient_name_problem(self.full_name.data or "", full_name):
            self.full_name.errors = [*self.full_name.errors, problem]
        return not problem


class ConsentOptionForm(FlaskForm):
    """Give or withdraw one optional consent: one button, its values in hidden fields."""

    consent_id = HiddenField()
    option = HiddenField()
    given = HiddenField()


class WithdrawConsentForm(FlaskForm):
    """Withdraw consent to the treatment itself."""

    consent_id = HiddenField()


class ProfileForm(FlaskForm):
    name = StringField(
        "Display name",
        validators=[DataRequired("Enter your name as patients and colleagues know it"), Length(max=200)],
    )
    register = SelectField("Professional register", choices=REGISTERS)
    register_number = StringField("Registration number", validators=[Length(max=40)])


class PasswordChangeForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired("Enter your current password")])
    new = PasswordField("New password", validators=[DataRequired("Enter a new password"), Length(max=1024)])
    again = PasswordField("New password again", validators=[DataRequired("Enter the new password again")])


class ResetForm(FlaskForm):
    new = PasswordField("New password", validators=[DataRequired("Enter a new password"), Length(max=1024)])
    again = PasswordField("New password again", validators=[DataRequired("Enter the new password again")])


class ClinicSettingsForm(FlaskForm):
    name = StringField("Clinic name", validators=[DataRequired("Enter the clinic's name"), Length(max=120)])
    address = TextAreaField("Address", validators=[Length(max=400)])
    phone = StringField("Phone", validators=[Length(max=40)])
    email = EmailField(
        "Email address for patients", validators=[Optional(), Email("Enter a valid email address"), Length(max=254)]
    )
    contact = TextAreaField(
        "What patients who cannot book online are told",
        validators=[DataRequired("Enter what these patients are told"), Length(max=1000)],
    )
    notification_email = EmailField(
        "Notification address (the clinic's alerts)",
        validators=[Optional(), Email("Enter a valid email address"), Length(max=254)],
    )
    notify_bookings = BooleanField("Email the notification address about new bookings and cancellations")
    cooling_off_hours = StringField("Cooling-off between consent and treatment, in hours", validators=[Length(max=10)])
    same_day_treatment = BooleanField(
        "Allow a treatment inside the cooling-off, by the treating practitioner with a reason (audited)"
    )
    filler_recall_months = StringField(
        "Remind patients who agreed about a dermal filler refresh after this many months", validators=[Length(max=10)]
    )


class WithdrawForm(FlaskForm):
    reason = TextAreaField(
        "Reason, for the patient's email",
        validators=[DataRequired("Enter a reason: the patient will read it"), Length(max=500)],
    )


def show_field_error(form, error: FieldError) -> None:
    """Show a service's refusal as the error of the field it names (sentence case), beside the field's own errors."""
    said = _(error.message) if error.message else ""  # a patient's refusal is in the catalogue (errors.N_)
    message = said[:1].upper() + said[1:]
    form[error.field].errors = [*form[error.field].errors, message]


INSTRUMENT_FIELD = "item_{}"  # an item's field name: never one of the form's own attributes, whatever the item's id


@cache
def instrument_form_class(instrument: Instrument) -> type[FlaskForm]:
    """A licensed instrument's answers, as the practitioner records them at the consultation: a radio group per item
    in the instrument's order, the optional ones may stay unanswered."""
    attributes: dict[str, object] = {
        INSTRUMENT_FIELD.format(item.id): RadioField(
            f"{item.text} (optional)" if item.optional else item.text,
            choices={option.id: option.label for option in item.options},
            validators=[Optional()]
            if item.optional
            else [InputRequired(f"Choose the patient's answer to item {number}")],
        )
        for number, item in enumerate(instrument.items, start=1)
    }

    def answers(form) -> dict[str, str]:
        """The chosen option of each answered item, by item id."""
        return {
            item.id: form[INSTRUMENT_FIELD.format(item.id)].data
            for item in instrument.items
            if form[INSTRUMENT_FIELD.format(item.id)].data
        }

    attributes["answers"] = answers
    return type("InstrumentForm", (FlaskForm,), attributes)


@cache
def try_form_class(questionnaire: Questionnaire) -> type[FlaskForm]:
    """The admin's "try a case" form: every question on one page, a screening date and draft overrides."""
    attributes = {
        question.id: (DateAnswerField if question.type == "date" else AnswerField)(question.text, question=question)
        for question in questionnaire.questions
    }
    attributes["screening_date"] = StringField(
        "Screening date (YYYY-MM-DD)",
        validators=[
            Optional(),
            Regexp(r"^\d{4}-\d{2}-\d{2}$", message="Enter the date as YYYY-MM-DD, for example 2026-03-10"),
        ],
    )
    attributes["draft_overrides"] = TextAreaField(
        "Draft overrides (optional: the text of an overrides.toml to try instead of the clinic's)",
        validators=[Optional(), Length(max=20000, message="Keep the draft under 20,000 characters")],
    )
    return type("TryCaseForm", (FlaskForm,), attributes)


class ProblemForm(FlaskForm):
    """A problem after a treatment, from the patient's private page: what happened, the day it started, and the
    urgent symptoms of the treatment's aftercare ticked (the choices are checked by the service, against the file)."""

    what = TextAreaField(
        _l("What happened?"), validators=[Length(max=2000, message=_l("Please keep this to 2000 characters"))]
    )
    started = DateField(
        _l("The day it started"),
        format=["%Y-%m-%d", "%d/%m/%Y", "%d %m %Y", "%d-%m-%Y", "%d.%m.%Y"],
        validators=[Optional()],
    )
    symptoms = SelectMultipleField(_l("Do you have any of these now?"), validate_choice=False)


class FollowUpForm(FlaskForm):
    """A clinician's follow-up of a reported problem: what was done and the outcome, and the product and batch."""

    outcome = TextAreaField(
        "Follow-up and outcome", validators=[Length(max=4000, message="Please keep this to 4000 characters")]
    )
    product = StringField("Product (brand name)", validators=[Length(max=200)])
    batch = StringField("Batch number", validators=[Length(max=200)])


class ClinicianProblemForm(ProblemForm):
    """A problem after a treatment recorded by a clinician (the patient phoned, or came back): which treatment given
    it follows, and the same fields as the patient's report."""

    treatment_given = SelectField("The treatment it follows", choices=[], validate_choice=False)
