"""The submission page a clinician decides from: answers grouped as the patient saw them, why each rule fired (level,
rationale, sources), the answers that made it fire, the rule-set version, free text escaped, earlier decisions."""

from __future__ import annotations

import json
import tomllib

import pytest

from tests.factories import REVIEW_BOTH, RULES_DIR, RULESET, audit_rows, rows
from tests.journeys import decide, submit_through_form
from tests.pages import tree

QUESTIONNAIRE = tomllib.loads((RULES_DIR / "questionnaire.toml").read_text(encoding="utf-8"))
RULES = {rule["id"]: rule for rule in tomllib.loads((RULES_DIR / "contraindications.toml").read_text())["rule"]}
SOURCES = tomllib.loads((RULES_DIR / "sources.toml").read_text(encoding="utf-8"))
QUESTION_TEXT = {q["id"]: q["text"] for section in QUESTIONNAIRE["section"] for q in section["question"]}

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
FIRED = ["toxin_other_neuro", "filler_bleeding_disorder", "toxin_bleeding_disorder"]  # in rule-file order


@pytest.fixture
def both_review(app, auth):
    """A patient asking for both treatments, under review for both, with hostile free text; and a clinician."""
    _, submission_id = submit_through_form(app, **{**REVIEW_BOTH, "neuro_details": SCRIPT, "current_medicines": IMG})
    return submission_id, auth.clinician()


def stored_answers(db_path, submission_id: int) -> dict:
    return json.loads(rows(db_path, "SELECT answers FROM submission WHERE id = ?", [submission_id])[0]["answers"])


def answer_sections(page) -> list[tuple[str, list[str]]]:
    """(section heading, [question ids of the answer rows under it]) in page order."""
    main = tree(page).find_all("main")[0]
    grouped: list[tuple[str, list[str]]] = []
    for node in main.children:
        if isinstance(node, str):
            continue
        if node.tag == "h3" and "heading-s" in node.classes:
            grouped.append((node.text(), []))
        elif node.tag == "dl" and grouped:
            grouped[-1][1].extend(
                found.attrs["id"].removeprefix("answer-")
                for found in node.iter()
                if (found.attrs.get("id") or "").startswith("answer-")
            )
    return grouped


def test_submission_page_groups_answers_by_section(db_path, both_review):
    submission_id, clinician = both_review
    answers = stored_answers(db_path, submission_id)

    page = clinician.get(f"/clinician/submissions/{submission_id}")

    assert page.status_code == 200
    expected = [
        (section["title"], [q["id"] for q in section["question"] if q["id"] in answers])
        for section in QUESTIONNAIRE["section"]
    ]
    expected = [(title, ids) for title, ids in expected if ids]
    assert answer_sections(page) == expected
    neuro = tree(page).by_id("answer-neuro_conditions")
    assert "Multiple sclerosis (MS)" in neuro.text()  # labels, as the patient saw them


def test_submission_page_leaves_out_hidden_questions(db_path, both_review):
    submission_id, clinician = both_review
    answers = stored_answers(db_path, submission_id)
    hidden = ["allergy_types", "allergy_details", "severe_allergy_history", "wind_instrument", "under_eye_swelling"]
    assert not set(hidden) & set(answers)

    page = clinician.get(f"/clinician/submissions/{submission_id}")

    shown = {
        node.attrs["id"].removeprefix("answer-")
        for node in tree(page).iter()
        if (node.attrs.get("id") or "").startswith("answer-")
    }
    assert shown == set(answers)
    text = tree(page).text()
    for question_id in hidden:
        assert QUESTION_TEXT[question_id] not in text


def test_submission_page_explains_each_fired_rule_with_sources(db_path, both_review):
    submission_id, clinician = both_review

    page = clinician.get(f"/clinician/submissions/{submission_id}")

    document = tree(page)
    fired_sections = [
        node.attrs["id"].removeprefix("rule-")
        for node in document.find_all("section")
        if (node.attrs.get("id") or "").startswith("rule-")
    ]
    assert fired_sections == FIRED
    for rule_id in FIRED:
        rule = RULES[rule_id]
        section = document.by_id(f"rule-{rule_id}")
        title = document.by_id(f"rule-{rule_id}-title").text()
        assert rule_id in title
        assert rule["level"] in title
        assert " ".join(rule["rationale"].split()) in section.text()
        links = {node.attrs.get("href") for node in section.find_all("a")}
        for key in rule["sources"]:
            for url in SOURCES[key]["urls"]:
                assert url in links, f"{rule_id}: no link to {key} {url}"


def test_submission_page_highlights_the_answers_each_rule_read(db_path, both_review):
    submission_id, clinician = both_review

    page = clinician.get(f"/clinician/submissions/{submission_id}")

    document = tree(page)
    highlighted = {
        node.attrs["id"].removeprefix("answer-"): node.text()
        for node in document.iter()
        if "answer--trigger" in node.classes
    }
    assert set(highlighted) == {"treatment_requested", "neuro_conditions", "bleeding_disorder"}
    assert "Triggered: toxin_other_neuro" in highlighted["neuro_conditions"]
    assert "filler_bleeding_disorder" not in highlighted["neuro_conditions"]
    assert "Triggered: filler_bleeding_disorder, toxin_bleeding_disorder" in highlighted["bleeding_disorder"]
    assert "Triggered:" not in document.by_id("answer-has_allergies").text()


def test_submission_page_shows_ruleset_version(both_review):
    submission_id, clinician = both_review

    page = clinician.get(f"/clinician/submissions/{submission_id}")

    assert f"Rule-set version {RULESET.version}" in tree(page).text()


def test_submission_page_escapes_free_text(both_review):
    submission_id, clinician = both_review

    page = clinician.get(f"/clinician/submissions/{submission_id}")

    document = tree(page)
    assert all(node.attrs.get("src", "").startswith("/static/") for node in document.find_all("script"))
    assert [node for node in document.find_all("script") if node.text()] == []
    assert document.find_all("img") == []
    for node in document.iter():
        for name, value in node.attrs.items():
            assert "alert(1)" not in (value or ""), f"<{node.tag} {name}=...> carries patient input"
    assert SCRIPT in document.by_id("answer-neuro_details").text()
    assert IMG in document.by_id("answer-current_medicines").text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.get_data(as_text=True)


def test_submission_page_lists_earlier_decisions_with_notes(db_path, both_review):
    submission_id, clinician = both_review
    note = "Please send the letter from your neurologist <b>and</b> your haematologist"

    assert decide(clinician, submission_id, action="request_information", question=note).status_code == 303
    page = clinician.get(f"/clinician/submissions/{submission_id}")

    decisions = [node.text() for node in tree(page).iter() if "decision" in node.classes]
    assert len(decisions) == 1
    assert decisions[0].startswith("request information")
    assert "by Ada" in decisions[0]
    assert note in decisions[0]
    assert tree(page).find_all("b") == []
    assert tree(page).find_all("form", action=f"/clinician/submissions/{submission_id}/decision") == []


def test_submission_view_is_audited(db_path, both_review):
    submission_id, clinician = both_review
    clinician_id = rows(db_path, "SELECT id FROM clinician")[0]["id"]

    clinician.get(f"/clinician/submissions/{submission_id}")
    clinician.get(f"/clinician/submissions/{submission_id}")

    viewed = audit_rows(db_path, "submission_viewed")
    assert len(viewed) == 2
    assert {(row["actor_id"], row["object_type"], row["object_id"]) for row in viewed} == {
        (clinician_id, "submission", str(submission_id))
    }


def test_unknown_submission_is_404(db_path, both_review):
    submission_id, clinician = both_review

    response = clinician.get(f"/clinician/submissions/{submission_id + 1000}")

    assert response.status_code == 404
    assert audit_rows(db_path, "submission_viewed") == []
