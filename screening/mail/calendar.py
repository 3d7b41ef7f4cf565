"""A one-event iCalendar file (RFC 5545), written by hand: five fields do not need a library. The appointment's file
is written here once, for the patient's page and for the booking confirmation's attachment alike."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask_babel import gettext as _


def _escape(text: str) -> str:
    # Every line break, a bare carriage return included, becomes the escaped \n: calendar readers end a line at a
    # bare CR too, and an address that held one could add lines of its own (ATTACH:...) to the event.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _stamp(iso_utc: str) -> str:
    return iso_utc.replace("-", "").replace(":", "")  # 2026-12-01T09:00:00Z -> 20261201T090000Z


def ics_event(
    *, uid: str, starts_at: str, ends_at: str, summary: str, description: str, stamp: str, location: str = ""
) -> str:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//screening//appointment//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{_escape(uid)}",
        f"DTSTAMP:{_stamp(stamp)}",
        f"DTSTART:{_stamp(starts_at)}",
        f"DTEND:{_stamp(ends_at)}",
        f"SUMMARY:{_escape(summary)}",
        f"DESCRIPTION:{_escape(description)}",
        *([f"LOCATION:{_escape(location)}"] if location else []),
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(lines) + "\r\n"


def appointment_uid(public_url: str, submission_id: int, slot_id: int, kind: str = "consultation") -> str:
    """The appointment's UID, the same in the page's file and the email's, so a calendar that has both keeps one
    event: one screening holds one appointment of each kind in a slot at a time. A treatment's differs from the
    consultation's of the same screening, so a calendar keeps both."""
    host = (urlsplit(public_url).hostname or "localhost").lower()
    prefix = "treatment" if kind == "treatment" else "appointment"
    return f"{prefix}-{submission_id}-{slot_id}@{host}"


def appointment(
    *,
    uid: str,
    starts_at: str,
    ends_at: str,
    clinic_name: str,
    address: str,
    practitioner: str,
    stamp: str,
    kind: str = "consultation",
    language: str = "en",
) -> str:
    """The patient's appointment (a consultation or a treatment: `kind`) as an .ics: the time and place, who they
    see; nothing clinical (not even which treatment: calendars are shared and synced) and no link. In the patient's
    language (submission.language)."""
    from screening.mail import in_language

    with in_language(language):
        if kind == "treatment":
            summary = _("Treatment at %(clinic)s", clinic=clinic_name)
            description = (
                _("Your treatment with %(practitioner)s.", practitioner=practitioner)
                if practitioner
                else _("Your treatment.")
            )
        else:
            summary = _("Consultation at %(clinic)s", clinic=clinic_name)
            description = (
                _("Your consultation with %(practitioner)s.", practitioner=practitioner)
                if practitioner
                else _("Your consultation.")
            )
        description += " " + _("Bring photo ID. To change or cancel, use your private link.")
    return ics_event(
        uid=uid,
        starts_at=starts_at,
        ends_at=ends_at,
        summary=summary,
        description=description,
        stamp=stamp,
        location=", ".join([clinic_name, *address.splitlines()]),
    )
