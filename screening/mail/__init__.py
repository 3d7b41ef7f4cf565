"""Email: queued in the outbox inside the transaction of what it reports, delivered by a sender that retries.

With no MAIL_SERVER configured, messages are written as .eml files to instance/outbox/ (a log line says so), so
`make run` works with nothing to set up. Emails say only what happened and give a link: no clinical details.
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from email.errors import MessageError
from email.header import Header
from email.message import Message
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

from flask import Flask, has_app_context
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlite_utils import Database

from screening import clock, jobs, store
from screening.db import thread_db
from screening.domain.rules import TREATMENT_NAMES
from screening.mail import links
from screening.mail.links import private_token  # noqa: F401 - the pages and services call it mail.private_token

log = logging.getLogger(__name__)
MAX_BACKOFF = timedelta(hours=1)
CLAIM = timedelta(minutes=2)


# --------------------------------------------------------------------------------------------------------------------
# Delivery


@dataclass(frozen=True)
class Settings:
    server: str
    port: int
    username: str
    password: str
    security: str  # starttls | ssl | none
    sender: str
    outbox_dir: Path
    timeout: float = 10.0
    secret_key: str = ""  # to render the links queued messages refer to (screening/links.py)
    public_url: str = ""

    @classmethod
    def from_config(cls, config: dict[str, Any], instance_path: str) -> Settings:
        return cls(  # the defaults are declared once, in screening/settings.py
            server=config["MAIL_SERVER"],
            port=config["MAIL_PORT"],
            username=config["MAIL_USERNAME"],
            password=config["MAIL_PASSWORD"],
            security=config["MAIL_SECURITY"].lower(),
            sender=config["MAIL_FROM"],
            outbox_dir=Path(instance_path) / "outbox",
            secret_key=config.get("SECRET_KEY") or "",
            public_url=config["PUBLIC_URL"],
        )


class Unbuildable(ValueError):
    """A queued message that cannot become an email (a line break in a header): retrying it cannot help."""


def _header(name: str, value: str) -> str:
    # A line break in a header would start a header of its own (Bcc:...); Python's email package refuses some and
    # passes a bare carriage return through. The reason names the header, never its text (an address, a name).
    if "\r" in value or "\n" in value:
        raise Unbuildable(f"the {name} header contains a line break")
    return value


def _message(row: dict[str, Any], settings: Settings) -> Message:
    # The compat32 API (MIMEText) writes the same plain UTF-8 message as EmailMessage at a fraction of the CPU: the
    # modern header registry was a twentieth of the server's CPU in the patient-journey benchmark.
    message: Message = MIMEText(row["body"], "plain", "utf-8")
    if row.get("calendar"):
        message = _with_calendar(message, row["calendar"])
    if row.get("consent_pdf"):
        message = _with_pdf(message, row["consent_pdf"], f"consent-{row['consent_id']}.pdf")
    message["From"] = _header("From", settings.sender)
    message["To"] = _header("To", row["to_addr"])
    subject = _header("Subject", row["subject"])
    message["Subject"] = Header(subject, "utf-8") if not subject.isascii() else subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(
        idstring=f"outbox-{row['id']}", domain=settings.sender.rpartition("@")[2] or None
    )
    return message


def _with_calendar(text: Message, ics: str) -> Message:
    """The text and the appointment as an attachment calendars open (RFC 6047: text/calendar; method=PUBLISH)."""
    mixed = MIMEMultipart("mixed")
    mixed.attach(text)
    attachment = MIMEText(ics, "calendar", "utf-8")
    attachment.set_param("method", "PUBLISH")
    attachment.add_header("Content-Disposition", "attachment", filename="appointment.ics")
    mixed.attach(attachment)
    return mixed


def _with_pdf(text: Message, document: bytes, filename: str) -> Message:
    """The text and a PDF attachment (the signed consent)."""
    mixed = MIMEMultipart("mixed")
    mixed.attach(text)
    attachment = MIMEApplication(document, "pdf")
    attachment.add_header("Content-Disposition", "attachment", filename=filename)
    mixed.attach(attachment)
    return mixed


def _built(row: dict[str, Any], settings: Settings) -> tuple[Message, bytes]:
    """The message and its bytes, or Unbuildable with the reason: whatever the email package refuses is found here,
    before anything is sent."""
    try:
        body = links.render(row["body"], secret_key=settings.secret_key, public_url=settings.public_url)
        message = _message({**row, "body": body}, settings)
        return message, bytes(message)
    except Unbuildable:
        raise
    except (MessageError, ValueError, LookupError, TypeError) as error:
        raise Unbuildable(f"the message cannot be built ({type(error).__name__})") from None


def _write_private(path: Path, data: bytes) -> None:
    """An .eml file readable by the server's user only: it holds a patient's address and private link."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        os.fchmod(handle.fileno(), 0o600)  # an existing file keeps its mode through O_CREAT
        handle.write(data)


def _send(message: Message, settings: Settings) -> None:
    if settings.security == "ssl":
        client = smtplib.SMTP_SSL(
            settings.server, settings.port, timeout=settings.timeout, context=ssl.create_default_context()
        )
    else:
        client = smtplib.SMTP(settings.server, settings.port, timeout=settings.timeout)
    with client:
        if settings.security == "starttls":
            client.starttls(context=ssl.create_default_context())
        if settings.username:
            client.login(settings.username, settings.password)
        client.send_message(message)


def deliver_due(db: Database, settings: Settings, *, limit: int = 20) -> dict[str, int]:
    """Deliver messages that are due; a failure is kept and retried later with backoff, a message that cannot be
    built is marked failed with its reason and not retried. Returns counts (both kinds of failure in "failed")."""
    counts = {"sent": 0, "failed": 0}
    for row in store.claim_due_mail(db, limit=limit, hold=CLAIM):
        try:  # one message that cannot be built must not stop the others
            message, data = _built(row, settings)
            if settings.server:
                _send(message, settings)
            else:
                settings.outbox_dir.mkdir(parents=True, exist_ok=True)
                path = settings.outbox_dir / f"{row['id']:06d}-{row['kind']}.eml"
                _write_private(path, data)
                log.info("no MAIL_SERVER configured: wrote message %s to %s", row["id"], path)
        except Unbuildable as problem:
            store.mail_unsendable(db, row["id"], str(problem))
            log.error("message %s cannot be built and will not be retried: %s", row["id"], problem)
            counts["failed"] += 1
        except (OSError, smtplib.SMTPException) as error:
            attempts = row["attempts"] + 1
            wait = min(timedelta(minutes=2 ** min(attempts, 10)), MAX_BACKOFF)
            store.mail_failed(db, row["id"], attempts, wait, type(error).__name__)
            log.warning(
                "message %s not sent (%s); attempt %s, next try in %s", row["id"], type(error).__name__, attempts, wait
            )
            counts["failed"] += 1
        else:
            store.mail_sent(db, row["id"])
            counts["sent"] += 1
    return counts


# --------------------------------------------------------------------------------------------------------------------
# The sender: a job (screening/jobs.py) woken when mail is queued, and every MAIL_INTERVAL seconds for retries


def delivery_round(app: Flask):
    """The sender's round for screening.jobs: deliver what is due from this app's database."""
    database = app.config["DATABASE"]
    settings = Settings.from_config(app.config, app.instance_path)
    return lambda: deliver_due(thread_db(database), settings)


def nudge(config: dict[str, Any]) -> None:
    """Wake the sender after a commit that queued mail (it would come round anyway)."""
    jobs.wake(config["DATABASE"], "mail")


# --------------------------------------------------------------------------------------------------------------------
# The messages. What happened and a link: never answers, outcomes, rules or anything clinical. A patient's email
# names the screening it is about (store.Mail.submission_id): the patient's copy lists those, never mail by address.


def public_link(config: dict[str, Any], path: str) -> str:
    # Links come from configuration, never from the request's Host header (which a visitor controls).
    return config["PUBLIC_URL"].rstrip("/") + path


_public = public_link


def patient_link(config: dict[str, Any], secret_key: str, submission_key: str) -> str:
    """The private link as a queued message holds it: a reference the sender turns into the link at delivery, so the
    outbox never stores a link that opens a page (screening/links.py)."""
    return links.private_link_ref(submission_key)


@contextmanager
def in_language(language: str | None):
    """A patient's email is written in the language they answered in (submission.language), whatever the language
    of the page or job that queues it: English when none is known, or outside the app (plain English words)."""
    if not has_app_context():
        yield
        return
    with force_locale(language or "en"):
        yield


def language_of(submission: dict[str, Any] | None) -> str:
    """The language a screening was answered in (submission.language); English for an older row."""
    return (submission or {}).get("language") or "en"


def _keep_private() -> str:
    return _("Keep this link to yourself: anyone who has it can see your page.")


def submitted(config: dict[str, Any], to: str, link: str, *, submission_id: int, language: str = "en") -> store.Mail:
    clinic = config["CLINIC_NAME"]
    with in_language(language):
        return store.Mail(
            "submitted",
            to,
            _("Your health questions have reached %(clinic)s", clinic=clinic),
            _("Thank you for answering the health questions before your consultation.")
            + "\n\n"
            + _("Your result, and anything that happens next, is on your private page:")
            + f"\n{link}\n\n{_keep_private()}\n\n{clinic}\n",
            submission_id,
        )


def review_needed(config: dict[str, Any], to: str, submission_id: int) -> store.Mail:
    """The clinic's alert that a screening waits for a clinician, to its notification address (never the address
    patients write to): a link, nothing clinical."""
    return store.Mail(
        "review_needed",
        to,
        f"A screening is waiting for review (screening {submission_id})",
        f"A new screening is waiting for a clinician's decision:\n"
        f"{_public(config, links.SUBMISSION_PATH.format(submission_id=submission_id))}\n",
    )


def decision(config: dict[str, Any], to: str, link: str, *, submission_id: int, language: str = "en") -> store.Mail:
    clinic = config["CLINIC_NAME"]
    with in_language(language):
        return store.Mail(
            "decision",
            to,
            _("An update from %(clinic)s", clinic=clinic),
            _("A clinician has looked at your answers. Your private page says what happens next:")
            + f"\n{link}\n\n{clinic}\n",
            submission_id,
        )


APPOINTMENT_KINDS = ("consultation", "treatment")  # a booking's kind: the emails and the .ics word each


# The treatments in a patient's words, in the email's language (TREATMENT_NAMES is the clinic's English).
TREATMENT_IN_WORDS = {"toxin": _l("anti-wrinkle injections"), "filler": _l("dermal filler")}


def treatment_words(treatments: tuple[str, ...] | list[str]) -> str:
    """'anti-wrinkle injections', 'anti-wrinkle injections and dermal filler': what the patient booked, in words."""
    named = [str(TREATMENT_IN_WORDS[t]) for t in treatments if t in TREATMENT_NAMES]
    if not named:
        return _("treatment")
    if len(named) == 1:
        return named[0]
    return _("%(first)s and %(second)s", first=", ".join(named[:-1]), second=named[-1])


def _choose_again(link: str, kind: str, treatments: tuple[str, ...] | list[str]) -> str:
    """The private page, at the treatment's own section for a treatment (where its free times are listed)."""
    if kind == "treatment" and treatments and treatments[0] in TREATMENT_NAMES:
        return f"{link}#treatment-{treatments[0]}"
    return link


def booked(
    config: dict[str, Any],
    to: str,
    link: str,
    when: str,
    *,
    submission_id: int,
    practitioner: str = "",
    address: str = "",
    calendar: str = "",
    kind: str = "consultation",
    treatments: tuple[str, ...] | list[str] = (),
    language: str = "en",
) -> store.Mail:
    """The booking confirmation of a consultation or a treatment (`kind`); `calendar` is the appointment's .ics
    (mail.calendar.appointment), attached. A treatment's says what to bring and expect, in plain words."""
    clinic = config["CLINIC_NAME"]
    with in_language(language):
        with_whom = _(" with %(practitioner)s", practitioner=practitioner) if practitioner else ""
        place = clinic + (f", {', '.join(address.splitlines())}" if address else "")
        where = "\n\n" + _("Where: %(place)s", place=place)
        attached = _("The appointment is attached: open it to add it to your calendar.") + "\n\n" if calendar else ""
        if kind == "treatment":
            return store.Mail(
                "booked",
                to,
                _("Your treatment appointment at %(clinic)s", clinic=clinic),
                _(
                    "Your treatment (%(treatments)s) is booked for %(when)s%(with_whom)s.",
                    treatments=treatment_words(treatments),
                    when=when,
                    with_whom=with_whom,
                )
                + f"{where}\n\n{attached}"
                + _(
                    "Please bring photo ID. Before the treatment your practitioner will ask whether anything has "
                    "changed since your consultation and answer any questions you have. You can still change your "
                    "mind at any time before you are treated, even on the day."
                )
                + "\n\n"
                + _("To see or cancel it, or add it to your calendar, use your private page:")
                + f"\n{link}\n\n{clinic}\n",
                submission_id,
                calendar,
            )
        return store.Mail(
            "booked",
            to,
            _("Your appointment at %(clinic)s", clinic=clinic),
            _("Your consultation is booked for %(when)s%(with_whom)s.", when=when, with_whom=with_whom)
            + f"{where}\n\n{attached}"
            + _("To see, change or cancel it, or add it to your calendar, use your private page:")
            + f"\n{link}\n\n"
            + _("Please bring photo ID.")
            + f"\n\n{clinic}\n",
            submission_id,
            calendar,
        )


def cancelled(
    config: dict[str, Any],
    to: str,
    link: str,
    when: str,
    *,
    by_clinic: bool,
    submission_id: int,
    kind: str = "consultation",
    treatments: tuple[str, ...] | list[str] = (),
    language: str = "en",
) -> store.Mail:
    """The patient's email when their consultation or treatment appointment (`kind`) is cancelled, and where to
    choose another time."""
    clinic = config["CLINIC_NAME"]
    with in_language(language):
        if kind == "treatment":
            words = treatment_words(treatments)
            opening = (
                _(
                    "We're sorry: the clinic had to cancel your treatment appointment (%(treatments)s) on %(when)s.",
                    treatments=words,
                    when=when,
                )
                if by_clinic
                else _(
                    "Your treatment appointment (%(treatments)s) on %(when)s is cancelled.", treatments=words, when=when
                )
            )
            return store.Mail(
                "cancelled",
                to,
                _("Your treatment appointment at %(clinic)s is cancelled", clinic=clinic),
                f"{opening}\n\n"
                + _("Your consent still stands. You can choose another treatment time on your private page:")
                + f"\n{_choose_again(link, kind, treatments)}\n\n{clinic}\n",
                submission_id,
            )
        opening = (
            _("We're sorry: the clinic had to cancel your appointment on %(when)s.", when=when)
            if by_clinic
            else _("Your appointment on %(when)s is cancelled.", when=when)
        )
        return store.Mail(
            "cancelled",
            to,
            _("Your appointment at %(clinic)s is cancelled", clinic=clinic),
            f"{opening}\n\n" + _("You can choose another time on your private page:") + f"\n{link}\n\n{clinic}\n",
            submission_id,
        )


def consent_signed(
    config: dict[str, Any], to: str, link: str, *, submission_id: int, consent_id: int, language: str = "en"
) -> store.Mail:
    """The patient's copy of the consent they signed, attached as the PDF (what the clinic keeps, to the patient's
    own address only; nothing clinical in the subject or body)."""
    clinic = config["CLINIC_NAME"]
    with in_language(language):
        return store.Mail(
            "consent_signed",
            to,
            _("Your signed consent form from %(clinic)s", clinic=clinic),
            _("Thank you for signing your consent form. Your copy is attached as a PDF; keep it with your records.")
            + "\n\n"
            + _("You can read it again, or withdraw your consent, on your private page:")
            + f"\n{link}\n\n{clinic}\n",
            submission_id,
            consent_id=consent_id,
        )


def password_reset(config: dict[str, Any], to: str, nonce: str) -> store.Mail:
    """The email that gives a clinician a one-time link to set a new password. At rest it holds a reference to the
    link's token (`⟨reset-token:NONCE⟩`), rendered with SECRET_KEY at delivery, as return links are: a copy of the
    database, or a patient's copy of their emails, opens nobody's account."""
    link = links.reset_link_ref(public_link(config, links.RESET_LINK_PATH.format(token=links.TOKEN_SLOT)), nonce)
    return store.Mail(
        "password_reset",
        to,
        "Set a new password for the clinic's screening service",
        "An admin asked for a link for you to set a new password.\n\n"
        f"It works once, within an hour:\n{link}\n\n"
        "If you were not expecting this, tell the clinic's admin.\n",
    )


def invitation(config: dict[str, Any], to: str, name: str, nonce: str, valid_for: str) -> store.Mail:
    """The email that invites a new clinician: a one-time link to choose their own password, then where to sign in.
    At rest it holds a reference to the link's token (`⟨reset-token:NONCE⟩`), as a reset link's email does."""
    link = links.reset_link_ref(public_link(config, links.RESET_LINK_PATH.format(token=links.TOKEN_SLOT)), nonce)
    clinic = config["CLINIC_NAME"]
    return store.Mail(
        "invitation",
        to,
        f"You have an account on {clinic}'s screening service",
        f"Hello {name},\n\nAn admin of {clinic} made you an account on the clinic's screening service, where "
        "clinicians review patients' screenings before their consultations.\n\n"
        f"Choose your password with this link. It works once, within {valid_for}:\n{link}\n\n"
        f"Then sign in with your email address and that password:\n{public_link(config, links.LOGIN_PATH)}\n\n"
        "If you were not expecting this, tell the clinic's admin.\n",
    )


def slot_withdrawn(
    config: dict[str, Any],
    to: str,
    link: str,
    when: str,
    reason: str,
    *,
    submission_id: int,
    kind: str = "consultation",
    treatments: tuple[str, ...] | list[str] = (),
    language: str = "en",
) -> store.Mail:
    """The patient's email when the clinic withdraws their consultation or treatment appointment (`kind`): sorry,
    why, and how to choose another time (a treatment's links to the page's treatment times). The reason is the
    clinic's own words, as typed."""
    clinic_name = config["CLINIC_NAME"]
    with in_language(language):
        because = "\n\n" + _("The reason: %(reason)s", reason=reason) if reason else ""
        help_line = _("If none of the times suit you, reply to this email or contact us and we'll help.")
        if kind == "treatment":
            return store.Mail(
                "cancelled",
                to,
                _("We're sorry: your treatment appointment at %(clinic)s has to move", clinic=clinic_name),
                _(
                    "We're very sorry: the clinic can no longer give your treatment (%(treatments)s) on %(when)s.",
                    treatments=treatment_words(treatments),
                    when=when,
                )
                + f"{because}\n\n"
                + _(
                    "Your consent still stands, so you don't need to sign it again. Please choose another treatment "
                    "time that suits you on your private page:"
                )
                + f"\n{_choose_again(link, kind, treatments)}\n\n{help_line}\n\n{clinic_name}\n",
                submission_id,
            )
        return store.Mail(
            "cancelled",
            to,
            _("We're sorry: your appointment at %(clinic)s has to move", clinic=clinic_name),
            _("We're very sorry: the clinic can no longer see you on %(when)s.", when=when)
            + f"{because}\n\n"
            + _(
                "Your answers still stand, so you don't need to fill them in again. Please choose another time that "
                "suits you on your private page:"
            )
            + f"\n{link}\n\n{help_line}\n\n{clinic_name}\n",
            submission_id,
        )


def clinic_booking(
    config: dict[str, Any], to: str, what: str, when: str, submission_id: int, kind: str = "consultation"
) -> store.Mail:
    """The clinic's email about a new booking or a cancellation of a consultation or a treatment (`kind`): the time
    and links, no patient name, nothing clinical."""
    subject = {"booked": "New booking", "cancelled": "Booking cancelled"}[what]
    if kind == "treatment":
        subject = {"booked": "New treatment booking", "cancelled": "Treatment booking cancelled"}[what]
    return store.Mail(
        f"clinic_{what}",
        to,
        f"{subject}: {when}",
        f"{subject} for {when} (screening {submission_id}):\n"
        f"{_public(config, links.SUBMISSION_PATH.format(submission_id=submission_id))}\n\n"
        f"The diary: {_public(config, links.DIARY_PATH)}\n",
    )


def audit_digest(config: dict[str, Any], report: Any, as_of: str) -> store.Mail:
    """The clinic's daily email of the audit chain's last hash, to keep outside the server."""
    check = "whole" if report.first_broken is None else f"BROKEN at event {report.first_broken}"
    return store.Mail(
        "audit_digest",
        config["CLINIC_EMAIL"],
        "Daily audit-trail digest",
        f"The audit trail of {config['CLINIC_NAME']}'s screening service, as of {as_of}:\n\n"
        f"events: {report.rows}\nlast hash: {report.last_hash or '(none)'}\n"
        f"chain check: {check}\n\n"
        "Keep this email. If a later digest shows fewer events, or `screening audit verify` prints a different\n"
        "hash for this event, the trail was cut or rewritten.\n",
    )


def return_link(
    config: dict[str, Any], to: str, nonce: str, *, submission_id: int, private_link: str = "", language: str = "en"
) -> store.Mail:
    """The email with a one-time link to start the questions again from the last answers (a reference at rest), and
    the private link to the last screening's page again (a reference too), for a patient who lost the first email."""
    clinic = config["CLINIC_NAME"]
    link = links.return_link_ref(public_link(config, links.RETURN_LINK_PATH.format(token=links.TOKEN_SLOT)), nonce)
    with in_language(language):
        page = (
            _("Your private page, with your last result and any appointment, is here as before:")
            + f"\n{private_link}\n\n{_keep_private()}\n\n"
            if private_link
            else ""
        )
        return store.Mail(
            "return_link",
            to,
            _("Start your health questions again at %(clinic)s", clinic=clinic),
            _(
                "You asked for your links. To fill in the health questions again, starting from your last answers, "
                "use this link. It works once, within an hour:"
            )
            + f"\n{link}\n\n{page}"
            + _("If you did not ask for this, you can ignore this email: nothing happens without the links.")
            + f"\n\n{clinic}\n",
            submission_id,
        )


def resume_link(config: dict[str, Any], to: str, nonce: str, *, lasts: timedelta, language: str = "en") -> store.Mail:
    """The email with a one-time link to finish a saved screening (a reference at rest), on any device, in the
    language of the page the patient asked on. Nothing about the answers; the link works for `lasts`."""
    clinic = config["CLINIC_NAME"]
    link = links.return_link_ref(public_link(config, links.RESUME_LINK_PATH.format(token=links.TOKEN_SLOT)), nonce)
    with in_language(language):
        return store.Mail(
            "resume_link",
            to,
            _("Finish your health questions at %(clinic)s", clinic=clinic),
            _(
                "You asked to save your health questions and finish them later. To carry on where you stopped, on "
                "this or any other device, use this link. It works once, within %(lasts)s, and asks for your date of "
                "birth if you gave it:",
                lasts=clock.span_in_words(lasts, language),
            )
            + f"\n{link}\n\n"
            + _("If you did not ask for this, you can ignore this email: nothing happens without the link.")
            + f"\n\n{clinic}\n",
        )


def recall(
    config: dict[str, Any],
    to: str,
    nonce: str,
    *,
    submission_id: int,
    treatment: str,
    valid_days: int,
    language: str = "en",
) -> store.Mail:
    """The one reminder that a treatment's refresh is due: a link to start the health questions again from the last
    answers (a one-time return link, a reference at rest) and the one-click link that stops reminders. Which treatment
    in plain words; nothing else clinical."""
    clinic = config["CLINIC_NAME"]
    link = links.return_link_ref(public_link(config, links.RETURN_LINK_PATH.format(token=links.TOKEN_SLOT)), nonce)
    with in_language(language):
        words = {"toxin": _("anti-wrinkle injections"), "filler": _("dermal filler")}[treatment]
        return store.Mail(
            "recall",
            to,
            _("Time for your next appointment at %(clinic)s?", clinic=clinic),
            _(
                "You asked us to remind you when a refresh of your %(treatment)s might be due, and it is now.",
                treatment=words,
            )
            + "\n\n"
            + _(
                "Every course begins with fresh health questions, because health changes. To answer them, starting "
                "from your last answers, use this link. It works once, within %(days)s days:",
                days=valid_days,
            )
            + f"\n{link}\n\n"
            + _("If you would rather not have reminders, this link stops them (you will be asked to confirm):")
            + f"\n{links.stop_reminders_ref(submission_id)}\n\n{clinic}\n",
            submission_id,
        )


def account_slowed(config: dict[str, Any], to: str, account_email: str) -> store.Mail:
    """An admin's email when sign-ins to an account are being slowed by wrong passwords (at most one an hour per
    account): whose account, what it means, where to look. Nothing about patients."""
    return store.Mail(
        "account_slowed",
        to,
        "Sign-ins to a clinician's account are being slowed",
        f"The account {account_email} has had more wrong passwords within the hour than the limit, from any address,\n"
        "so its sign-ins are now slowed: one try every few seconds from anywhere. A device that signed in to the\n"
        "account before still gets in with the right password.\n\n"
        "If the clinician did not just forget their password, someone may be guessing it. The sign-in attempts\n"
        f"are in the audit trail: {_public(config, links.AUDIT_PATH)}\n\n"
        f"{config['CLINIC_NAME']}\n",
    )


def batch_recall(
    config: dict[str, Any], to: str, link: str, *, given_on: str, submission_id: int, language: str = "en"
) -> store.Mail:
    """A patient's kind message when a batch of a product used in their treatment is recalled: that we would like to
    hear from them, and how to reach the clinic. Nothing clinical beyond "a product used in your treatment": no
    product, no batch, no area."""
    clinic = config["CLINIC_NAME"]
    with in_language(language):
        ways = [
            _("phone %(phone)s", phone=config["CLINIC_PHONE"]) if config.get("CLINIC_PHONE") else "",
            _("email %(email)s", email=config["CLINIC_EMAIL"]) if config.get("CLINIC_EMAIL") else "",
        ]
        reach = _(" or ").join(way for way in ways if way) or _("reply to this email")
        address = config.get("CLINIC_ADDRESS") or ""
        where = "\n\n" + _("Our address: %(address)s", address=", ".join(address.splitlines())) if address else ""
        return store.Mail(
            "batch_recall",
            to,
            _("Please get in touch with %(clinic)s about your treatment", clinic=clinic),
            _("We are writing to you about your treatment with us on %(day)s.", day=given_on)
            + "\n\n"
            + _(
                "We are contacting everyone who was treated with one batch of a product used in your treatment, and "
                "you were one of them. We are sorry to worry you: we are being careful, and we would simply like to "
                "hear how you are and answer any questions you have."
            )
            + "\n\n"
            + _("Please contact us when you can: %(ways)s.", ways=reach)
            + f"{where}\n\n"
            + _("If anything about your treatment worries you before then, please contact us straight away.")
            + "\n\n"
            + _("Your private page is here, as before:")
            + f"\n{link}\n\n"
            + _("With our best wishes,")
            + f"\n{clinic}\n",
            submission_id,
        )


def aftercare(
    config: dict[str, Any], to: str, link: str, text: Any, *, submission_id: int, phone: str, language: str = "en"
) -> store.Mail:
    """The patient's aftercare, sent when the treatment given is recorded: the clinic's aftercare file for the
    treatment (the same words for every patient, nothing from their answers), the symptoms to call about now, and
    the link to the private page where the aftercare stays and a problem can be reported. The aftercare file's own
    words are the clinic's clinical text, as the file holds them; the email's words around them are translated."""
    clinic = config["CLINIC_NAME"]
    with in_language(language):
        call = _("call the clinic now on %(phone)s", phone=phone) if phone else _("call the clinic now")
        lines = "\n".join(f"- {line}" for line in text.normal)
        avoid = "\n".join(f"- {line}" for line in text.avoid)
        urgent = "\n".join(f"- {symptom.text}" for symptom in text.urgent)
        return store.Mail(
            "aftercare",
            to,
            _("Your aftercare from %(clinic)s", clinic=clinic),
            f"{text.title}\n\n"
            + _("What is normal:")
            + f"\n{lines}\n{text.settles}\n\n"
            + _("Please avoid:")
            + f"\n{avoid}\n\n"
            + _("Please %(call)s if you have any of these, %(window)s:", call=call, window=text.call_window)
            + f"\n{urgent}\n"
            + _("If you have difficulty breathing or any change in your vision, call 999 or go to A&E straight away.")
            + "\n\n"
            + _("Your aftercare stays on your private page, where you can also tell us about a problem:")
            + f"\n{link}\n\n{clinic}\n",
            submission_id,
        )


def check_in(
    config: dict[str, Any], to: str, link: str, *, submission_id: int, due: Any, language: str = "en"
) -> store.Mail:
    """The check-in two weeks after a treatment: how did it go, with the link to the private page to tell the clinic
    about a problem. Queued with the treatment, due two weeks on (the sender does not send it before)."""
    clinic = config["CLINIC_NAME"]
    with in_language(language):
        return store.Mail(
            "check_in",
            to,
            _("How are you getting on? A check-in from %(clinic)s", clinic=clinic),
            _("It is two weeks since your treatment, and we would like to know how it went.")
            + "\n\n"
            + _(
                "If you are happy, there is nothing you need to do. If something is not right, or you have a "
                "question, tell us on your private page and a clinician will get back to you:"
            )
            + f"\n{link}\n\n{_keep_private()}\n\n{clinic}\n",
            submission_id,
            due=due,
        )


def urgent_report(config: dict[str, Any], to: str, submission_id: int) -> store.Mail:
    """The clinic's alert, at once, that a patient reported an urgent problem after a treatment, to its notification
    address: "urgent report" and the link to the screening, no name, nothing clinical beyond that."""
    return store.Mail(
        "urgent_report",
        to,
        f"Urgent report from a patient (screening {submission_id})",
        "A patient has sent an urgent report after their treatment. Please look at it now and call them:\n"
        f"{_public(config, links.SUBMISSION_PATH.format(submission_id=submission_id))}\n",
    )
