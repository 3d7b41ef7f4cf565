"""Plain titles for the fired rules, for lists a busy clinician scans (the rule ids stay on the detail page).

A rule the clinic adds without a title here gets one made from its id ("filler_new_thing" -> "New thing (filler)"),
so a list never shows a raw id."""

from __future__ import annotations

TITLES = {
    "age_under_18": "Under 18",
    "toxin_allergy": "Allergy to anti-wrinkle injections",
    "toxin_nmj_contraindicated": "Nerve-muscle condition that rules out toxin",
    "filler_ha_allergy": "Allergy to hyaluronic acid or filler",
    "filler_gram_positive_allergy": "Allergy to bacterial proteins",
    "filler_severe_allergy_history": "Severe allergies (filler)",
    "pregnant": "Pregnant",
    "breastfeeding": "Breastfeeding",
    "skin_problem_at_site": "Skin problem at the treatment area",
    "active_cold_sore_perioral": "Cold sore now, near the mouth",
    "unwell_now": "Unwell now",
    "toxin_within_90_days": "Toxin within the last 90 days",
    "pregnancy_unsure": "Might be pregnant",
    "trying_to_conceive": "Trying to conceive",
    "toxin_albumin_allergy": "Allergy to human albumin",
    "toxin_cows_milk_allergy": "Cow's milk protein allergy",
    "filler_lidocaine_allergy": "Allergy to lidocaine",
    "toxin_other_neuro": "Other neurological condition",
    "toxin_swallow_breathing": "Difficulty swallowing or breathing",
    "toxin_interacting_medicine": "Medicine that interacts with toxin",
    "filler_bleeding_disorder": "Bleeding disorder (filler)",
    "filler_autoimmune": "Autoimmune condition",
    "filler_immunosuppressed": "Immunosuppressed",
    "filler_keloid": "Keloid scarring",
    "filler_permanent_implant": "Permanent filler or implant",
    "filler_nose": "Filler in the nose",
    "filler_under_eye_swelling": "Under-eye swelling",
    "previous_adverse_reaction": "Bad reaction to a past treatment",
    "bdd_concern": "Worry about appearance (BDD screen)",
    "toxin_severe_allergy_history": "Severe allergies (toxin)",
    "toxin_heart_condition": "Heart condition",
    "toxin_upper_face_eye_history": "Eye history, upper-face toxin",
    "toxin_age_65_plus": "Aged 65 or over",
    "toxin_underarm_hyperhidrosis": "Underarm sweating treatment",
    "toxin_lip_flip_wind_instrument": "Lip flip and a wind instrument",
    "toxin_bleeding_disorder": "Bleeding disorder (toxin)",
    "anticoagulant_antiplatelet": "Blood thinners",
    "otc_bruising_medicine": "Over-the-counter medicine that bruises",
    "cold_sore_history_perioral_filler": "Cold sores in the past, filler near the mouth",
    "filler_lip_age_under_22": "Lip filler under 22",
    "filler_recent_skin_procedure": "Recent skin procedure",
    "filler_isotretinoin": "Isotretinoin",
    "filler_epilepsy": "Epilepsy",
    "filler_vaccine_dental": "Recent or planned vaccine or dental work",
    "upcoming_event": "Event coming up",
}


def rule_title(rule_id: str) -> str:
    """The plain title of a rule, or one made from its id."""
    if rule_id in TITLES:
        return TITLES[rule_id]
    for prefix in ("toxin_", "filler_"):
        if rule_id.startswith(prefix):
            rest = rule_id[len(prefix) :].replace("_", " ")
            return f"{rest[:1].upper()}{rest[1:]} ({prefix[:-1]})"
    text = rule_id.replace("_", " ")
    return text[:1].upper() + text[1:]
