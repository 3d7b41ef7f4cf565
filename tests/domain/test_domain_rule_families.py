"""Truth tables for the 45 rules of spec.md section 4, one parametrized test per family.

Each row starts from the clear baseline patient (34-year-old woman, screening date 2025-03-10), changes the answers
named, and states the exact set of rules that fire, the overall outcome and, when both treatments are requested, the
outcome of each treatment (spec section 2: a rule counts for the treatment it applies to; 'any' counts for both).
"""

from __future__ import annotations

import pytest

from tests.factories import CASE_FIELDS, assert_screening, case


def allergic(*types: str, severe: tuple[str, ...] = ("none",)) -> dict:
    return {"has_allergies": "yes", "allergy_types": list(types), "severe_allergy_history": list(severe)}


# ---------------------------------------------------------------------------------------------------------------------
# Age (screening date 2025-03-10)

AGE_CASES = [
    # 17, the 18th birthday is tomorrow: the Children Act 2021 bars toxin under 18.
    case("toxin-17", "toxin", {"date_of_birth": "2007-03-11"}, {"age_under_18"}, "decline"),
    # 18 today: a person turns 18 on their birthday, so nothing fires.
    case("toxin-18-today", "toxin", {"date_of_birth": "2007-03-10"}, set(), "clear"),
    # 15 and filler: the Act covers cosmetic filler too.
    case("filler-15", "filler", {"date_of_birth": "2010-01-01"}, {"age_under_18"}, "decline"),
    # Under 18 applies to 'any', so both treatments are declined.
    case(
        "both-17",
        "both",
        {"date_of_birth": "2007-03-11"},
        {"age_under_18"},
        "decline",
        toxin="decline",
        filler="decline",
    ),
    # 65 today: toxin products are licensed under 65, so a caution.
    case("toxin-65-today", "toxin", {"date_of_birth": "1960-03-10"}, {"toxin_age_65_plus"}, "caution"),
    # 64, 65 tomorrow: not yet.
    case("toxin-64", "toxin", {"date_of_birth": "1960-03-11"}, set(), "clear"),
    # 70 and filler only: the 65-plus caution is about toxin licences only.
    case("filler-70", "filler", {"date_of_birth": "1955-01-01"}, set(), "clear"),
    # 70 and both: the caution counts for toxin, not for filler.
    case(
        "both-70",
        "both",
        {"date_of_birth": "1955-01-01"},
        {"toxin_age_65_plus"},
        "caution",
        toxin="caution",
        filler="clear",
    ),
    # 21 (22 tomorrow) wanting lip filler: some lip products are licensed from 21 or 22.
    case(
        "lips-21",
        "filler",
        {"date_of_birth": "2003-03-11", "filler_areas": ["lips"]},
        {"filler_lip_age_under_22"},
        "caution",
    ),
    # 22 today wanting lip filler: old enough for every lip product.
    case("lips-22-today", "filler", {"date_of_birth": "2003-03-10", "filler_areas": ["lips"]}, set(), "clear"),
    # 20 wanting cheek filler: the under-22 caution is about lips only.
    case("cheeks-20", "filler", {"date_of_birth": "2005-01-01", "filler_areas": ["cheeks"]}, set(), "clear"),
    # 20 wanting a toxin lip flip: the lip age caution is a filler rule.
    case("lip-flip-20", "toxin", {"date_of_birth": "2005-01-01", "toxin_areas": ["lip_flip"]}, set(), "clear"),
    # 17 wanting lip filler: both age rules fire, and decline wins.
    case(
        "lips-17",
        "filler",
        {"date_of_birth": "2007-03-11", "filler_areas": ["lips"]},
        {"age_under_18", "filler_lip_age_under_22"},
        "decline",
    ),
]


@pytest.mark.parametrize(CASE_FIELDS, AGE_CASES)
def test_age_rules_follow_completed_years_on_the_screening_date(treatment, overrides, fired, outcome, per_treatment):
    assert_screening(treatment, overrides, fired, outcome, per_treatment)


# ---------------------------------------------------------------------------------------------------------------------
# Pregnancy and breastfeeding

PREGNANCY_CASES = [
    # Pregnant: elective treatment waits (trying_to_conceive is hidden once pregnant is "yes").
    case("toxin-pregnant", "toxin", {"pregnant": "yes"}, {"pregnant"}, "defer"),
    case("filler-pregnant", "filler", {"pregnant": "yes"}, {"pregnant"}, "defer"),
    # 'any' rule: both treatments wait.
    case("both-pregnant", "both", {"pregnant": "yes"}, {"pregnant"}, "defer", toxin="defer", filler="defer"),
    # Breastfeeding: defer.
    case("toxin-breastfeeding", "toxin", {"breastfeeding": "yes"}, {"breastfeeding"}, "defer"),
    # Pregnant and breastfeeding: both reasons are kept.
    case(
        "filler-pregnant-breastfeeding",
        "filler",
        {"pregnant": "yes", "breastfeeding": "yes"},
        {"pregnant", "breastfeeding"},
        "defer",
    ),
    # Not sure whether pregnant: a clinician checks first.
    case("toxin-pregnancy-unsure", "toxin", {"pregnant": "not_sure"}, {"pregnancy_unsure"}, "review"),
    # Not sure and trying to conceive (the question is shown for not_sure): both reviews.
    case(
        "filler-unsure-and-trying",
        "filler",
        {"pregnant": "not_sure", "trying_to_conceive": "yes"},
        {"pregnancy_unsure", "trying_to_conceive"},
        "review",
    ),
    # Trying to conceive or having IVF: review.
    case("filler-trying", "filler", {"trying_to_conceive": "yes"}, {"trying_to_conceive"}, "review"),
    # Pregnant, with a stale "trying" answer: that question is hidden when pregnant is "yes", so only 'pregnant'.
    case(
        "toxin-pregnant-stale-trying", "toxin", {"pregnant": "yes", "trying_to_conceive": "yes"}, {"pregnant"}, "defer"
    ),
    # Male: all three questions are hidden, so whatever is sent for them is dropped.
    case(
        "male-sends-pregnancy-answers",
        "toxin",
        {"sex_at_birth": "male", "pregnant": "yes", "trying_to_conceive": "yes", "breastfeeding": "yes"},
        set(),
        "clear",
    ),
    # Intersex: the questions are hidden only for "male", so pregnancy still defers.
    case("intersex-pregnant", "filler", {"sex_at_birth": "intersex", "pregnant": "yes"}, {"pregnant"}, "defer"),
    # Prefer not to say: still asked, and breastfeeding still defers.
    case(
        "undisclosed-breastfeeding",
        "toxin",
        {"sex_at_birth": "prefer_not_to_say", "breastfeeding": "yes"},
        {"breastfeeding"},
        "defer",
    ),
]


@pytest.mark.parametrize(CASE_FIELDS, PREGNANCY_CASES)
def test_pregnancy_rules(treatment, overrides, fired, outcome, per_treatment):
    assert_screening(treatment, overrides, fired, outcome, per_treatment)


# ---------------------------------------------------------------------------------------------------------------------
# Allergies

ALLERGY_CASES = [
    # A previous reaction to any toxin rules out every toxin brand.
    case("toxin-toxin-allergy", "toxin", allergic("botulinum_toxin"), {"toxin_allergy"}, "decline"),
    # ... but it has nothing to do with filler.
    case("filler-toxin-allergy", "filler", allergic("botulinum_toxin"), set(), "clear"),
    # Both: toxin declined, filler still open.
    case(
        "both-toxin-allergy",
        "both",
        allergic("botulinum_toxin"),
        {"toxin_allergy"},
        "decline",
        toxin="decline",
        filler="clear",
    ),
    # Human albumin is in most toxin products: review for toxin, irrelevant to filler.
    case("toxin-albumin", "toxin", allergic("human_albumin"), {"toxin_albumin_allergy"}, "review"),
    case("filler-albumin", "filler", allergic("human_albumin"), set(), "clear"),
    # Cow's milk protein matters only for abobotulinumtoxinA: review for toxin, clear for filler (spec 4.3).
    case("toxin-milk", "toxin", allergic("cows_milk_protein"), {"toxin_cows_milk_allergy"}, "review"),
    case("filler-milk", "filler", allergic("cows_milk_protein"), set(), "clear"),
    # Lactose intolerance is entered as "other": no rule (spec 4.3).
    case("toxin-lactose-as-other", "toxin", allergic("other"), set(), "clear"),
    case("filler-lactose-as-other", "filler", allergic("other"), set(), "clear"),
    # Hyaluronic acid or filler allergy: filler declined, toxin unaffected.
    case("filler-ha", "filler", allergic("hyaluronic_acid_or_filler"), {"filler_ha_allergy"}, "decline"),
    case("toxin-ha", "toxin", allergic("hyaluronic_acid_or_filler"), set(), "clear"),
    case(
        "both-ha",
        "both",
        allergic("hyaluronic_acid_or_filler"),
        {"filler_ha_allergy"},
        "decline",
        toxin="clear",
        filler="decline",
    ),
    # Gram-positive bacterial protein allergy: HA fillers are made by streptococcal fermentation.
    case(
        "filler-gram-positive",
        "filler",
        allergic("gram_positive_bacteria"),
        {"filler_gram_positive_allergy"},
        "decline",
    ),
    case("toxin-gram-positive", "toxin", allergic("gram_positive_bacteria"), set(), "clear"),
    # Lidocaine is in many fillers: review for filler, nothing for toxin.
    case("filler-lidocaine", "filler", allergic("lidocaine"), {"filler_lidocaine_allergy"}, "review"),
    case("toxin-lidocaine", "toxin", allergic("lidocaine"), set(), "clear"),
    # Anaphylaxis: the filler IFUs contraindicate it (decline) ...
    case(
        "filler-anaphylaxis",
        "filler",
        allergic("other", severe=("anaphylaxis",)),
        {"filler_severe_allergy_history"},
        "decline",
    ),
    # ... but for toxin it is only a caution.
    case(
        "toxin-anaphylaxis",
        "toxin",
        allergic("other", severe=("anaphylaxis",)),
        {"toxin_severe_allergy_history"},
        "caution",
    ),
    # Multiple severe allergies with both: filler declined, toxin caution.
    case(
        "both-multiple-severe",
        "both",
        allergic("other", severe=("multiple_severe",)),
        {"filler_severe_allergy_history", "toxin_severe_allergy_history"},
        "decline",
        toxin="caution",
        filler="decline",
    ),
    # Albumin and lidocaine with both: each treatment gets its own review.
    case(
        "both-albumin-lidocaine",
        "both",
        allergic("human_albumin", "lidocaine"),
        {"toxin_albumin_allergy", "filler_lidocaine_allergy"},
        "review",
        toxin="review",
        filler="review",
    ),
    # has_allergies "no": the allergy questions are hidden and stale answers to them are ignored.
    case(
        "no-allergies-stale-types",
        "both",
        {
            "has_allergies": "no",
            "allergy_types": ["botulinum_toxin", "hyaluronic_acid_or_filler"],
            "severe_allergy_history": ["anaphylaxis"],
        },
        set(),
        "clear",
        toxin="clear",
        filler="clear",
    ),
]


@pytest.mark.parametrize(CASE_FIELDS, ALLERGY_CASES)
def test_allergy_rules(treatment, overrides, fired, outcome, per_treatment):
    assert_screening(treatment, overrides, fired, outcome, per_treatment)


# ---------------------------------------------------------------------------------------------------------------------
# Nerves, muscles and epilepsy

NEURO_CASES = [
    # Neuromuscular junction disorders: toxin can worsen weakness, so decline.
    case("toxin-mg", "toxin", {"neuro_conditions": ["myasthenia_gravis"]}, {"toxin_nmj_contraindicated"}, "decline"),
    case("toxin-lems", "toxin", {"neuro_conditions": ["lambert_eaton"]}, {"toxin_nmj_contraindicated"}, "decline"),
    case("toxin-mnd", "toxin", {"neuro_conditions": ["als_mnd"]}, {"toxin_nmj_contraindicated"}, "decline"),
    # MG does not affect filler.
    case("filler-mg", "filler", {"neuro_conditions": ["myasthenia_gravis"]}, set(), "clear"),
    # MG with both: toxin declined, filler clear (spec section 2 example).
    case(
        "both-mg",
        "both",
        {"neuro_conditions": ["myasthenia_gravis"]},
        {"toxin_nmj_contraindicated"},
        "decline",
        toxin="decline",
        filler="clear",
    ),
    # Other neuromuscular or neurological conditions: a clinician reviews toxin.
    case("toxin-other-nm", "toxin", {"neuro_conditions": ["other_neuromuscular"]}, {"toxin_other_neuro"}, "review"),
    case("toxin-ms", "toxin", {"neuro_conditions": ["multiple_sclerosis"]}, {"toxin_other_neuro"}, "review"),
    case("toxin-palsy", "toxin", {"neuro_conditions": ["facial_palsy"]}, {"toxin_other_neuro"}, "review"),
    case("toxin-stroke", "toxin", {"neuro_conditions": ["other_neurological"]}, {"toxin_other_neuro"}, "review"),
    # ... and nothing for filler.
    case("filler-ms", "filler", {"neuro_conditions": ["multiple_sclerosis", "facial_palsy"]}, set(), "clear"),
    # Epilepsy: a caution for filler (lidocaine), nothing for toxin.
    case("filler-epilepsy", "filler", {"neuro_conditions": ["epilepsy"]}, {"filler_epilepsy"}, "caution"),
    case("toxin-epilepsy", "toxin", {"neuro_conditions": ["epilepsy"]}, set(), "clear"),
    case(
        "both-epilepsy",
        "both",
        {"neuro_conditions": ["epilepsy"]},
        {"filler_epilepsy"},
        "caution",
        toxin="clear",
        filler="caution",
    ),
    # MG and epilepsy with both: each treatment gets its own level.
    case(
        "both-mg-epilepsy",
        "both",
        {"neuro_conditions": ["myasthenia_gravis", "epilepsy"]},
        {"toxin_nmj_contraindicated", "filler_epilepsy"},
        "decline",
        toxin="decline",
        filler="caution",
    ),
    # Free-text details never trigger a rule.
    case(
        "toxin-ms-with-details",
        "toxin",
        {"neuro_conditions": ["multiple_sclerosis"], "neuro_details": "myasthenia gravis since 2010"},
        {"toxin_other_neuro"},
        "review",
    ),
]


@pytest.mark.parametrize(CASE_FIELDS, NEURO_CASES)
def test_neuro_rules(treatment, overrides, fired, outcome, per_treatment):
    assert_screening(treatment, overrides, fired, outcome, per_treatment)


# ---------------------------------------------------------------------------------------------------------------------
# Toxin-specific history: breathing, heart, eyes and brows, underarms, wind instruments

TOXIN_HISTORY_CASES = [
    # Swallowing or breathing problems: highest risk from distant spread, review.
    case("toxin-swallow", "toxin", {"swallow_breath_problems": "yes"}, {"toxin_swallow_breathing"}, "review"),
    # Heart condition: caution.
    case("toxin-heart", "toxin", {"heart_condition": "yes"}, {"toxin_heart_condition"}, "caution"),
    # Heart condition with both: counts for toxin only.
    case(
        "both-heart",
        "both",
        {"heart_condition": "yes"},
        {"toxin_heart_condition"},
        "caution",
        toxin="caution",
        filler="clear",
    ),
    # Filler only: the toxin questions are hidden, stale answers are ignored.
    case(
        "filler-stale-toxin-history",
        "filler",
        {"swallow_breath_problems": "yes", "heart_condition": "yes", "eye_face_history": ["dry_eye"]},
        set(),
        "clear",
    ),
    # Drooping lid with forehead toxin: caution.
    case(
        "forehead-drooping-lid",
        "toxin",
        {"toxin_areas": ["forehead"], "eye_face_history": ["drooping_lid_or_brow"]},
        {"toxin_upper_face_eye_history"},
        "caution",
    ),
    # Facial surgery with crow's feet: caution.
    case(
        "crows-feet-surgery",
        "toxin",
        {"toxin_areas": ["crows_feet"], "eye_face_history": ["face_eye_surgery"]},
        {"toxin_upper_face_eye_history"},
        "caution",
    ),
    # Dry eye but only jaw muscles treated: the eye caution is for the upper face only.
    case("masseter-dry-eye", "toxin", {"toxin_areas": ["masseter"], "eye_face_history": ["dry_eye"]}, set(), "clear"),
    # Underarm sweating: look for secondary hyperhidrosis.
    case("underarms", "toxin", {"toxin_areas": ["underarms"]}, {"toxin_underarm_hyperhidrosis"}, "caution"),
    # Lip flip and a wind instrument: embouchure caution.
    case(
        "lip-flip-wind",
        "toxin",
        {"toxin_areas": ["lip_flip"], "wind_instrument": "yes"},
        {"toxin_lip_flip_wind_instrument"},
        "caution",
    ),
    # Lip flip, no instrument: nothing.
    case("lip-flip-no-wind", "toxin", {"toxin_areas": ["lip_flip"], "wind_instrument": "no"}, set(), "clear"),
    # Forehead only with a stale "yes" for the instrument: the question is hidden without lip_flip.
    case("forehead-stale-wind", "toxin", {"toxin_areas": ["forehead"], "wind_instrument": "yes"}, set(), "clear"),
]


@pytest.mark.parametrize(CASE_FIELDS, TOXIN_HISTORY_CASES)
def test_toxin_history_rules(treatment, overrides, fired, outcome, per_treatment):
    assert_screening(treatment, overrides, fired, outcome, per_treatment)


# ---------------------------------------------------------------------------------------------------------------------
# Medicines

MEDICINE_CASES = [
    # Each interacting medicine, and "not sure", needs a medicines review before toxin.
    *[
        case(f"toxin-{option}", "toxin", {"toxin_interacting_meds": [option]}, {"toxin_interacting_medicine"}, "review")
        for option in (
            "aminoglycoside",
            "muscle_relaxant",
            "anticholinergic",
            "myasthenia_medicine",
            "antimalarial",
            "not_sure",
        )
    ],
    # Filler only: the toxin medicines question is hidden, a stale "not sure" is ignored.
    case("filler-stale-interacting", "filler", {"toxin_interacting_meds": ["not_sure"]}, set(), "clear"),
    # Both, interacting medicine: toxin review, filler clear.
    case(
        "both-aminoglycoside",
        "both",
        {"toxin_interacting_meds": ["aminoglycoside"]},
        {"toxin_interacting_medicine"},
        "review",
        toxin="review",
        filler="clear",
    ),
    # Prescribed anticoagulant or antiplatelet: caution for either treatment.
    case(
        "toxin-anticoagulant", "toxin", {"blood_thinners": ["anticoagulant"]}, {"anticoagulant_antiplatelet"}, "caution"
    ),
    case(
        "filler-antiplatelet", "filler", {"blood_thinners": ["antiplatelet"]}, {"anticoagulant_antiplatelet"}, "caution"
    ),
    case(
        "both-anticoagulant",
        "both",
        {"blood_thinners": ["anticoagulant"]},
        {"anticoagulant_antiplatelet"},
        "caution",
        toxin="caution",
        filler="caution",
    ),
    # Over-the-counter NSAIDs or supplements: a separate caution.
    case("toxin-nsaid", "toxin", {"blood_thinners": ["nsaid_regular"]}, {"otc_bruising_medicine"}, "caution"),
    case("filler-supplements", "filler", {"blood_thinners": ["supplements"]}, {"otc_bruising_medicine"}, "caution"),
    # Anticoagulant and supplements: both cautions.
    case(
        "filler-anticoagulant-supplements",
        "filler",
        {"blood_thinners": ["anticoagulant", "supplements"]},
        {"anticoagulant_antiplatelet", "otc_bruising_medicine"},
        "caution",
    ),
    # Recent isotretinoin: caution for filler; hidden for toxin.
    case("filler-isotretinoin", "filler", {"isotretinoin_recent": "yes"}, {"filler_isotretinoin"}, "caution"),
    case("toxin-stale-isotretinoin", "toxin", {"isotretinoin_recent": "yes"}, set(), "clear"),
    # Immunosuppressed: review for filler; hidden for toxin.
    case("filler-immunosuppressed", "filler", {"immunosuppressed": "yes"}, {"filler_immunosuppressed"}, "review"),
    case("toxin-stale-immunosuppressed", "toxin", {"immunosuppressed": "yes"}, set(), "clear"),
    # Free-text medicines never trigger a rule.
    case("toxin-free-text-medicines", "toxin", {"current_medicines": "warfarin, gentamicin"}, set(), "clear"),
]


@pytest.mark.parametrize(CASE_FIELDS, MEDICINE_CASES)
def test_medicine_rules(treatment, overrides, fired, outcome, per_treatment):
    assert_screening(treatment, overrides, fired, outcome, per_treatment)


# ---------------------------------------------------------------------------------------------------------------------
# Skin and cold sores

SKIN_CASES = [
    # A skin problem at the site defers either treatment until it has healed.
    case("toxin-acne", "toxin", {"skin_problem_at_site": ["acne"]}, {"skin_problem_at_site"}, "defer"),
    case(
        "filler-infection",
        "filler",
        {"skin_problem_at_site": ["infection", "wound"]},
        {"skin_problem_at_site"},
        "defer",
    ),
    case("toxin-other-skin", "toxin", {"skin_problem_at_site": ["other"]}, {"skin_problem_at_site"}, "defer"),
    # A cold sore now with forehead toxin only: away from the mouth, nothing fires (spec 4.3).
    case("forehead-cold-sore-now", "toxin", {"cold_sore_now": "yes", "toxin_areas": ["forehead"]}, set(), "clear"),
    # A cold sore now with a lip flip: perioral toxin, defer.
    case(
        "lip-flip-cold-sore-now",
        "toxin",
        {"cold_sore_now": "yes", "toxin_areas": ["lip_flip"]},
        {"active_cold_sore_perioral"},
        "defer",
    ),
    # A cold sore now with each perioral filler area: defer.
    *[
        case(
            f"filler-{area}-cold-sore-now",
            "filler",
            {"cold_sore_now": "yes", "filler_areas": [area]},
            {"active_cold_sore_perioral"},
            "defer",
        )
        for area in ("lips", "nasolabial", "marionette")
    ],
    # A cold sore now with cheek filler: not perioral, nothing fires.
    case("cheeks-cold-sore-now", "filler", {"cold_sore_now": "yes", "filler_areas": ["cheeks"]}, set(), "clear"),
    # Both, forehead toxin and lip filler, cold sore now: the rule applies to 'any', so both treatments wait.
    case(
        "both-lips-cold-sore-now",
        "both",
        {"cold_sore_now": "yes", "toxin_areas": ["forehead"], "filler_areas": ["lips"]},
        {"active_cold_sore_perioral"},
        "defer",
        toxin="defer",
        filler="defer",
    ),
    # Gets cold sores, lip filler: antiviral cover, caution.
    case(
        "lips-cold-sore-history",
        "filler",
        {"filler_areas": ["lips"], "cold_sore_history": "yes"},
        {"cold_sore_history_perioral_filler"},
        "caution",
    ),
    # Gets cold sores and has one now, marionette filler: both rules, defer wins.
    case(
        "marionette-cold-sore-now-and-history",
        "filler",
        {"filler_areas": ["marionette"], "cold_sore_now": "yes", "cold_sore_history": "yes"},
        {"active_cold_sore_perioral", "cold_sore_history_perioral_filler"},
        "defer",
    ),
    # Cheek filler: the history question is hidden, a stale "yes" is ignored.
    case("cheeks-stale-history", "filler", {"filler_areas": ["cheeks"], "cold_sore_history": "yes"}, set(), "clear"),
    # Lip flip toxin: the history question is asked only for perioral filler.
    case("lip-flip-stale-history", "toxin", {"toxin_areas": ["lip_flip"], "cold_sore_history": "yes"}, set(), "clear"),
    # Keloid scarring: review for filler.
    case("filler-keloid", "filler", {"keloid_history": "yes"}, {"filler_keloid"}, "review"),
    # Recent laser or peel: plan the timing of filler.
    case("filler-recent-peel", "filler", {"recent_skin_procedure": "yes"}, {"filler_recent_skin_procedure"}, "caution"),
    # Toxin only: keloid and skin-procedure questions are hidden.
    case("toxin-stale-skin", "toxin", {"keloid_history": "yes", "recent_skin_procedure": "yes"}, set(), "clear"),
]


@pytest.mark.parametrize(CASE_FIELDS, SKIN_CASES)
def test_skin_and_cold_sore_rules(treatment, overrides, fired, outcome, per_treatment):
    assert_screening(treatment, overrides, fired, outcome, per_treatment)


# ---------------------------------------------------------------------------------------------------------------------
# Bleeding and immune system

BLEEDING_CASES = [
    # Bleeding disorder: review for filler (Radiesse contraindication) ...
    case("filler-bleeding", "filler", {"bleeding_disorder": "yes"}, {"filler_bleeding_disorder"}, "review"),
    # ... but only a caution for toxin.
    case("toxin-bleeding", "toxin", {"bleeding_disorder": "yes"}, {"toxin_bleeding_disorder"}, "caution"),
    # Both: each rule counts for its own treatment.
    case(
        "both-bleeding",
        "both",
        {"bleeding_disorder": "yes"},
        {"filler_bleeding_disorder", "toxin_bleeding_disorder"},
        "review",
        toxin="caution",
        filler="review",
    ),
    # Autoimmune disease: review for filler; hidden for toxin.
    case("filler-autoimmune", "filler", {"autoimmune_condition": "yes"}, {"filler_autoimmune"}, "review"),
    case("toxin-stale-autoimmune", "toxin", {"autoimmune_condition": "yes"}, set(), "clear"),
]


@pytest.mark.parametrize(CASE_FIELDS, BLEEDING_CASES)
def test_bleeding_and_immune_rules(treatment, overrides, fired, outcome, per_treatment):
    assert_screening(treatment, overrides, fired, outcome, per_treatment)


# ---------------------------------------------------------------------------------------------------------------------
# Previous treatment (screening date 2025-03-10)

PREVIOUS_CASES = [
    # Last toxin 89 days ago (2024-12-11): too soon, defer.
    case(
        "toxin-89-days",
        "toxin",
        {"previous_toxin": "yes", "last_toxin_date": "2024-12-11"},
        {"toxin_within_90_days"},
        "defer",
    ),
    # Last toxin exactly 90 days ago (2024-12-10): allowed.
    case("toxin-90-days", "toxin", {"previous_toxin": "yes", "last_toxin_date": "2024-12-10"}, set(), "clear"),
    # Never had toxin, stale date 10 days ago: the date question is hidden, so nothing fires.
    case(
        "toxin-no-previous-stale-date",
        "toxin",
        {"previous_toxin": "no", "last_toxin_date": "2025-02-28"},
        set(),
        "clear",
    ),
    # Both, toxin 10 days ago: toxin defers, filler stays clear.
    case(
        "both-10-days",
        "both",
        {"previous_toxin": "yes", "last_toxin_date": "2025-02-28"},
        {"toxin_within_90_days"},
        "defer",
        toxin="defer",
        filler="clear",
    ),
    # Permanent filler or implant, or not sure: review.
    case(
        "filler-permanent-yes", "filler", {"permanent_filler_or_implant": "yes"}, {"filler_permanent_implant"}, "review"
    ),
    case(
        "filler-permanent-not-sure",
        "filler",
        {"permanent_filler_or_implant": "not_sure"},
        {"filler_permanent_implant"},
        "review",
    ),
    # A stale "yes" for a toxin-only request: the implant question is hidden.
    case("toxin-stale-permanent", "toxin", {"permanent_filler_or_implant": "yes"}, set(), "clear"),
    # A problem after earlier toxin: review (the question is shown because previous_toxin is "yes").
    case(
        "toxin-adverse-reaction",
        "toxin",
        {"previous_toxin": "yes", "last_toxin_date": "2024-06-01", "previous_adverse_reaction": "yes"},
        {"previous_adverse_reaction"},
        "review",
    ),
    # A problem after earlier filler: review.
    case(
        "filler-adverse-reaction",
        "filler",
        {"previous_filler": "yes", "previous_adverse_reaction": "yes", "previous_reaction_details": "lumps"},
        {"previous_adverse_reaction"},
        "review",
    ),
    # No previous treatment: the reaction question is hidden, a stale "yes" is ignored.
    case("filler-stale-adverse-reaction", "filler", {"previous_adverse_reaction": "yes"}, set(), "clear"),
    # Previous filler but the patient asks for toxin only: previous_filler is hidden, and so is the reaction question.
    case(
        "toxin-stale-previous-filler",
        "toxin",
        {"previous_filler": "yes", "previous_adverse_reaction": "yes"},
        set(),
        "clear",
    ),
]


@pytest.mark.parametrize(CASE_FIELDS, PREVIOUS_CASES)
def test_previous_treatment_rules(treatment, overrides, fired, outcome, per_treatment):
    assert_screening(treatment, overrides, fired, outcome, per_treatment)


# ---------------------------------------------------------------------------------------------------------------------
# Health now and plans

PLANS_CASES = [
    # Unwell now: defer either treatment.
    case("toxin-unwell", "toxin", {"unwell_now": "yes"}, {"unwell_now"}, "defer"),
    case("both-unwell", "both", {"unwell_now": "yes"}, {"unwell_now"}, "defer", toxin="defer", filler="defer"),
    # Each vaccine or dental option: space it about 2 weeks from filler.
    *[
        case(f"filler-{option}", "filler", {"vaccine_or_dental": [option]}, {"filler_vaccine_dental"}, "caution")
        for option in ("vaccine_recent", "vaccine_planned", "dental_recent", "dental_planned")
    ],
    # Toxin only: the question is hidden, a stale answer is ignored.
    case("toxin-stale-vaccine", "toxin", {"vaccine_or_dental": ["vaccine_recent"]}, set(), "clear"),
    # Both with a dental plan: counts for filler only.
    case(
        "both-dental",
        "both",
        {"vaccine_or_dental": ["dental_planned"]},
        {"filler_vaccine_dental"},
        "caution",
        toxin="clear",
        filler="caution",
    ),
    # An event in the next 2 weeks: caution for either treatment.
    case("toxin-event", "toxin", {"upcoming_event": "yes"}, {"upcoming_event"}, "caution"),
    case("filler-event", "filler", {"upcoming_event": "yes"}, {"upcoming_event"}, "caution"),
    # BDD: either trigger question gives the same review, and both together still fire it once.
    case("toxin-bdd-diagnosis", "toxin", {"bdd_diagnosis": "yes"}, {"bdd_concern"}, "review"),
    case("filler-preoccupation", "filler", {"appearance_preoccupation": "yes"}, {"bdd_concern"}, "review"),
    case(
        "both-bdd-both-questions",
        "both",
        {"bdd_diagnosis": "yes", "appearance_preoccupation": "yes"},
        {"bdd_concern"},
        "review",
        toxin="review",
        filler="review",
    ),
]


@pytest.mark.parametrize(CASE_FIELDS, PLANS_CASES)
def test_health_and_plans_rules(treatment, overrides, fired, outcome, per_treatment):
    assert_screening(treatment, overrides, fired, outcome, per_treatment)


# ---------------------------------------------------------------------------------------------------------------------
# Filler areas: nose and under-eye

FILLER_AREA_CASES = [
    # Nose reshaping is a high-risk vascular area: review.
    case("filler-nose", "filler", {"filler_areas": ["nose"]}, {"filler_nose"}, "review"),
    case(
        "both-nose",
        "both",
        {"filler_areas": ["cheeks", "nose"]},
        {"filler_nose"},
        "review",
        toxin="clear",
        filler="review",
    ),
    # Toxin only with a stale nose answer: filler_areas is hidden.
    case("toxin-stale-nose", "toxin", {"filler_areas": ["nose"]}, set(), "clear"),
    # Tear troughs with under-eye swelling: review.
    case(
        "under-eye-swelling",
        "filler",
        {"filler_areas": ["under_eye"], "under_eye_swelling": "yes"},
        {"filler_under_eye_swelling"},
        "review",
    ),
    # Tear troughs without swelling: clear.
    case(
        "under-eye-no-swelling", "filler", {"filler_areas": ["under_eye"], "under_eye_swelling": "no"}, set(), "clear"
    ),
    # Cheeks only, stale "yes" to swelling: the question is hidden without under_eye.
    case("cheeks-stale-swelling", "filler", {"filler_areas": ["cheeks"], "under_eye_swelling": "yes"}, set(), "clear"),
]


@pytest.mark.parametrize(CASE_FIELDS, FILLER_AREA_CASES)
def test_filler_area_rules(treatment, overrides, fired, outcome, per_treatment):
    assert_screening(treatment, overrides, fired, outcome, per_treatment)


ALL_TABLES = (
    AGE_CASES,
    PREGNANCY_CASES,
    ALLERGY_CASES,
    NEURO_CASES,
    TOXIN_HISTORY_CASES,
    MEDICINE_CASES,
    SKIN_CASES,
    BLEEDING_CASES,
    PREVIOUS_CASES,
    PLANS_CASES,
    FILLER_AREA_CASES,
)


def test_truth_tables_make_every_shipped_rule_fire_somewhere(ruleset):
    fired_somewhere = {rule_id for table in ALL_TABLES for row in table for rule_id in row.values[2]}
    assert fired_somewhere == {rule.id for rule in ruleset.rules}


def test_truth_table_row_ids_are_unique():
    ids = [row.id for table in ALL_TABLES for row in table]
    assert len(ids) == len(set(ids))
