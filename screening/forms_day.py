"""Forms of the clinic's day (issue 10): finding a patient, the consultation record, accounts, clinic settings and
withdrawing a booked slot. CSRF on every form that changes something (FlaskForm); the search is a GET form."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    Form,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional

ID_DOCUMENTS = {
    "passport": "Passport",
    "driving_licence": "Photocard driving licence",
    "national_id": "National identity card",
    "residence_permit": "Biometric residence permit",
    "pass_card": "PASS proof-of-age card",
}
REGISTERS = {"": "None", "GMC": "GMC", "NMC": "NMC", "GPhC": "GPhC", "GDC": "GDC", "other": "Other"}


class SearchForm(Form):
    q = StringField("Name, email address or screening reference", validators=[Optional(), Length(max=200)])
    dob = DateField("Date of birth", validators=[Optional()])


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
    consulted = BooleanField("I have seen and examined the patient face to face")
    note = TextAreaField("Note (optional)", validators=[Length(max=4000, message="Enter 4,000 characters or fewer")])

    def record(self) -> dict:
        """The record as the consultation service takes it."""
        return {
            "attendance": self.attendance.data,
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
        "Notification address (new bookings and cancellations)",
        validators=[Optional(), Email("Enter a valid email address"), Length(max=254)],
    )
    notify_bookings = BooleanField("Email the notification address about new bookings and cancellations")


class WithdrawForm(FlaskForm):
    reason = TextAreaField(
        "Reason, for the patient's email",
        validators=[DataRequired("Enter a reason: the patient will read it"), Length(max=500)],
    )
