"""The signed consent's PDF: every part of the text as shown, the discussion, both names, the clinic's times, any
name a patient types, and the same bytes (so the same hash) whenever it is made again from the record."""

import io
from zoneinfo import ZoneInfo

from pypdf import PdfReader

from screening.domain.consent import OPTIONS
from screening.services.consent_pdf import consent_pdf, sha256
from screening.services.rules.rulebook import load_consent_texts_from, rules_dir

LONDON = ZoneInfo("Europe/London")


def texts():
    return load_consent_texts_from(rules_dir())


def signed(text, **changes):
    consent = {
        "id": 7,
        "treatment": text.treatment,
        "text_sha256": text.sha256,
        "discussed": "The risks, the aftercare, and dissolving the filler if needed",
        "patient_questions": "Will it hurt?",
        "reasons": "My lips have thinned",
        "hopes": "A subtle change",
        "clinician_name": "Dr Ana Müller",
        "register": "GMC",
        "register_number": "7654321",
        "taken_at": "2026-06-01T09:40:00Z",
        "signed_at": "2026-06-01T09:55:00Z",
        "signed_where": "clinic_device",
        "signed_name": "Łucja Nowak",
    }
    return {**consent, **changes}


def make(text, consent, options=None, name="Łucja Nowak"):
    return consent_pdf(
        clinic_name="Riverside Aesthetics",
        text=text,
        consent=consent,
        options=options or {},
        patient_name=name,
        tz=LONDON,
    )


def words(document: bytes) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(document)).pages)


def test_the_pdf_holds_the_text_as_shown_the_discussion_both_names_and_the_clinics_times():
    for text in texts().values():
        found = words(make(text, signed(text), {"photos_record": True, "gp_letter": False}))
        for part in (
            text.title,
            text.what,
            text.benefits,
            text.duration,
            *text.alternatives,
            *text.common_effects,
            *text.rare_risks,
            *text.report_at_once,
        ):
            assert " ".join(part.split()) in found, part
        assert f"Text version {text.version}" in found and text.sha256 in found
        assert "The risks, the aftercare, and dissolving the filler if needed" in found
        assert "Will it hurt?" in found and "My lips have thinned" in found and "A subtle change" in found
        assert "Dr Ana Müller, GMC 7654321" in found
        assert 'typed the name "Łucja Nowak"' in found and "on the clinic's device" in found
        # 09:55 UTC on 1 June is 10:55 in London (summer time): the clinic's time, not the server's
        assert "Monday 1 June 2026, 10:55am" in found and "Europe/London" in found
        assert f"{OPTIONS['photos_record']}: given" in found
        assert f"{OPTIONS['gp_letter']}: not given" in found
        assert f"{OPTIONS['photos_teaching']}: not given" in found


def test_the_same_consent_makes_the_same_bytes_and_a_different_one_a_different_hash():
    text = texts()["toxin"]
    first = make(text, signed(text))
    assert sha256(first) == sha256(make(text, signed(text)))
    assert sha256(first) != sha256(make(text, signed(text, signed_name="Lucja Nowak")))
    assert sha256(first) != sha256(make(text, signed(text), {"photos_teaching": True}))
    assert first.startswith(b"%PDF-")


def test_signed_from_the_private_page_says_so_and_pages_are_numbered():
    text = texts()["filler"]
    found = words(make(text, signed(text, signed_where="private_page")))
    assert "from the patient's private page" in found
    pages = len(PdfReader(io.BytesIO(make(text, signed(text)))).pages)
    assert f"page {pages} of {pages}" in found
