"""A one-event iCalendar file (RFC 5545), written by hand: five fields do not need a library."""

from __future__ import annotations


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
