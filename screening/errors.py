"""One error hierarchy for what a service refuses. Each class carries its HTTP meaning; views/errors.py maps them to
pages once, so no view catches store or service exceptions one by one."""

from __future__ import annotations

from typing import Any


def N_(text: str) -> str:  # noqa: N802 - gettext's name for "mark for the catalogue"
    """Mark words a patient may read (a refusal, a word of their copy): `make translations-extract` puts them in the
    catalogue, and the patient's pages translate them where they are shown (web/errors.py, web/forms.show_field_error,
    the templates). The text itself is unchanged."""
    return text


class ServiceError(Exception):
    """A request the service cannot carry out as asked. `message` is written for the person who asked.

    `back_to`, when set, names the endpoint to return to with the message shown there (a patient who lost a race for
    a slot goes back to their page with a kind word); otherwise the error renders as a page with `status`.
    """

    status = 400
    message = N_("That could not be done.")
    back_to: str | None = None
    template: str | None = None  # a page of its own, given `error` and the detail as context

    def __init__(self, message: str | None = None, *, back_to: str | None = None, **detail: Any):
        self.message = message or self.message
        self.back_to = back_to or self.back_to
        self.detail = detail
        super().__init__(self.message)


class FieldError(ServiceError):
    """Input to ask for again: `field` names the form field at fault and the message says what to change; nothing
    was changed. Every view shows it the same way, as that field's error (web.forms.show_field_error)."""

    def __init__(self, field: str, message: str, **detail: Any):
        super().__init__(message, field=field, **detail)
        self.field = field


class NotFound(ServiceError):
    status = 404
    message = N_("There is nothing here.")


class Restricted(NotFound):
    """A screening restricted at the patient's request (UK GDPR Art. 18): kept for the clinic's record, shown
    nowhere but the admin's Records page. The web layer audits each refused opening (web/errors.py)."""

    template = "errors/restricted.html"

    message = (
        "This screening is restricted at the patient's request: the clinic keeps it for its records and shows it "
        "nowhere else. An admin can find it on the Records page."
    )
    patient_message = (
        "This screening is restricted, as you asked: the clinic keeps it for its records and shows it nowhere, "
        "not even here. Contact the clinic if you need it."
    )

    def __init__(self, submission_id: int, *, patient: bool = False):
        super().__init__(self.patient_message if patient else self.message)
        self.submission_id = submission_id
        self.patient = patient


class Forbidden(ServiceError):
    status = 403
    message = N_("You do not have access to that.")


class Conflict(ServiceError):
    """Someone or something got there first: what they did stands and nothing was overwritten."""

    status = 409
    message = N_("That has changed since you opened the page.")


class Unavailable(ServiceError):
    """The database is busy, full or read-only: nothing was stored; try again shortly."""

    status = 503
    message = N_("The service is busy. Nothing was lost; please try again in a moment.")
