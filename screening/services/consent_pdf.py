"""The signed consent as a PDF, made on the server when the patient signs.

fpdf2 draws it: pure Python, installed from the package index alone (its own needs, Pillow, fonttools and
defusedxml, come as wheels), so `make run` works on a machine with no system libraries. DejaVu Sans is embedded
(screening/data/NOTICE.md) so any name a patient types is drawn, not only Latin-1.

The same consent always makes the same bytes: the document's creation date is the signature's time and nothing else
varies, so the SHA-256 in the audit trail can be checked again from the record at any time."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fpdf import FPDF

from screening import clock
from screening.domain.consent import OPTIONS, ConsentText

_FONTS = Path(__file__).resolve().parent.parent / "data"
_INK = (11, 12, 12)
_QUIET = (80, 90, 95)


class _Page(FPDF):
    def __init__(self, footer: str):
        super().__init__(format="A4")
        self._footer = footer
        self.add_font("DejaVu", "", str(_FONTS / "DejaVuSans.ttf"))
        self.add_font("DejaVu", "B", str(_FONTS / "DejaVuSans-Bold.ttf"))
        self.set_margins(18, 18, 18)
        self.set_auto_page_break(auto=True, margin=18)

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font("DejaVu", "", 8)
        self.set_text_color(*_QUIET)
        self.cell(0, 5, f"{self._footer}  ·  page {self.page_no()} of {{nb}}", align="C")


def consent_pdf(
    *,
    clinic_name: str,
    text: ConsentText,
    consent: dict[str, Any],
    options: dict[str, bool],
    patient_name: str,
    tz: ZoneInfo,
) -> bytes:
    """The consent as signed: the treatment, the text's version and hash, every section of the text as shown, the
    discussion, the optional consents, both names and the times in the clinic's zone."""
    signed_at = consent["signed_at"]
    pdf = _Page(f"{clinic_name}  ·  consent {consent['id']}  ·  text {text.version}")
    pdf.set_creation_date(clock.from_utc_iso(signed_at).astimezone(ZoneInfo("UTC")))
    pdf.set_title(text.title)
    pdf.set_author(clinic_name)
    pdf.set_subject(f"Consent {consent['id']} to {text.treatment}, signed {clock.local_iso(signed_at, tz)}")
    pdf.add_page()

    def heading(words: str, size: int = 12) -> None:
        pdf.ln(2)
        pdf.set_font("DejaVu", "B", size)
        pdf.set_text_color(*_INK)
        pdf.multi_cell(0, size * 0.55, words, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)

    def para(words: str) -> None:
        pdf.set_font("DejaVu", "", 10)
        pdf.set_text_color(*_INK)
        pdf.multi_cell(0, 5.2, words, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1.5)

    def items(lines: tuple[str, ...] | list[str]) -> None:
        for line in lines:
            para(f"•  {line}")

    def field(label: str, value: str) -> None:
        pdf.set_font("DejaVu", "B", 10)
        pdf.set_text_color(*_QUIET)
        pdf.multi_cell(0, 5.2, label, new_x="LMARGIN", new_y="NEXT")
        para(value or "None recorded")

    heading(clinic_name, 10)
    heading(text.title, 16)
    para(
        f"Text version {text.version}, as shown to the patient (SHA-256 {consent['text_sha256']}). "
        f"Times are the clinic's ({tz.key})."
    )

    heading("What the treatment is")
    para(text.what)
    heading("The benefits")
    para(text.benefits)
    heading("How long the results last")
    para(text.duration)
    heading("The alternatives")
    items(text.alternatives)
    heading("Common effects")
    items(text.common_effects)
    heading("Rare but serious risks")
    items(text.rare_risks)
    heading("Tell us at once")
    items(text.report_at_once)

    heading("The consultation")
    field("What was discussed", consent["discussed"])
    field("The patient's questions", consent["patient_questions"])
    field("Why the patient wants the treatment", consent["reasons"])
    field("What the patient hopes for", consent["hopes"])

    heading("Other consents")
    for option, words in OPTIONS.items():
        given = options.get(option)
        para(f"{words}: {'given' if given else 'not given'}")

    heading("Signed")
    field(
        "The practitioner who will treat, and who took this consent",
        f"{consent['clinician_name']}, {consent['register']} {consent['register_number']}, "
        f"on {clock.readable(consent['taken_at'], tz)}",
    )
    where = (
        "on the clinic's device" if consent["signed_where"] == "clinic_device" else "from the patient's private page"
    )
    field(
        "The patient",
        f'{patient_name}, who typed the name "{consent["signed_name"]}" and ticked to consent, '
        f"{where}, on {clock.readable(signed_at, tz)}",
    )
    return bytes(pdf.output())


def sha256(document: bytes) -> str:
    """The PDF's SHA-256 in hex, as the audit trail keeps it."""
    return hashlib.sha256(document).hexdigest()
