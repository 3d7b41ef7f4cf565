"""Every audit action in plain words: the one mapping the audit trail page and its readers use. The codes stay in the
audit trail itself (and beside the words wherever they are shown), so a filter or a script can still name them;
tests/domain/test_domain_audit_words.py parses the package and fails on an action appended without words here."""

from __future__ import annotations

ACTION_WORDS = {
    # patients
    "submission_created": "A patient sent a screening",
    "booking_created": "An appointment was booked",
    "booking_cancelled": "An appointment was cancelled",
    "treatment_booked": "A treatment appointment was booked, after consent and the cooling-off",
    "treatment_cancelled": "A patient cancelled their treatment appointment",
    "treatment_recorded": "Recorded a treatment given under a signed consent",
    "complication_reported": "A problem after a treatment was reported",
    "return_link_requested": "A patient asked for a link to start again",
    "reminders_agreed": "A patient agreed, at booking, to a reminder when a refresh is due",
    "reminders_withdrawn": "A patient stopped reminders",
    "recall_sent": "A reminder that a treatment's refresh is due was queued",
    "patient_copy_downloaded": "A patient downloaded their copy of their data",
    "honeypot": "A form was filled in by a robot and refused",
    "rule_engine_error": "A rule could not be worked out for a screening",
    # clinicians: screenings and patients
    "submission_viewed": "Opened a screening",
    "submission_printed": "Printed a screening",
    "decision_recorded": "Recorded a decision",
    "decision_conflict": "A decision was refused: someone decided first",
    "submission_held": "A screening was held for a clinician: a decision on the same person's other screening",
    "integrity_failure": "A screening failed its integrity check",
    "patients_searched": "Searched for a patient",
    "patient_viewed": "Opened a patient's history",
    "consultation_recorded": "Recorded a consultation",
    "consultation_stopped": "A consultation record was stopped: the screening has a later version",
    "suitability_assessed": "Recorded a psychological-suitability assessment",
    "instrument_scored": "Recorded a licensed instrument's score",
    "consent_taken": "Took consent to a treatment, as the practitioner who treats",
    "consent_signed": "A patient signed their consent to a treatment",
    "consent_pdf_downloaded": "A signed consent's PDF was downloaded",
    "consent_option_changed": "An optional consent (photographs, a letter to the GP) was given or withdrawn",
    "consent_withdrawn": "Consent to a treatment was withdrawn",
    "complication_followed_up": "Recorded the follow-up and outcome of a reported problem",
    "fhir_exported": "Downloaded a screening for the records system (FHIR)",
    "rules_diff_viewed": "Compared a screening's rules with today's",
    "try_case_from_submission": "Tried a stored screening against the rules",
    # accounts and signing in
    "login_success": "Signed in",
    "login_failure": "A sign-in was refused",
    "logout": "Signed out",
    "rate_limited": "Sign-ins were slowed: too many attempts",
    "account_slowed": "An account's sign-ins were slowed by wrong passwords",
    "access_denied": "A page was refused: not allowed",
    "csrf_failure": "A form was refused: its security token was missing or out of date",
    "password_changed": "Changed their password",
    "password_change_failed": "A password change was refused",
    "password_chosen": "Chose their own password at first sign-in",
    "password_reset_sent": "Sent a link to set a new password",
    "clinician_invited": "Invited a clinician by email",
    "totp_reset": "Reset a clinician's sign-in code (a lost or new phone)",
    "password_reset_used": "Set a new password with a link",
    "profile_updated": "Updated their profile",
    "totp_enrolled": "Set up a sign-in code",
    "totp_requirement_changed": "Changed whether a clinician must use a sign-in code",
    "session_revoked": "Signed a clinician out everywhere",
    # administration
    "clinician_created": "Added a clinician",
    "clinician_disabled": "Disabled a clinician",
    "clinician_enabled": "Enabled a clinician",
    "clinic_settings_changed": "Changed the clinic's settings",
    "slots_added": "Published appointment times",
    "slot_cancelled": "Withdrew an appointment time",
    "product_added": "Added a product to the clinic's list",
    "batch_added": "Added a batch of a product",
    "product_retired": "Retired a product from the treatment form",
    "product_back_in_use": "Put a retired product back in use",
    "batch_recall_sent": "Emailed every patient treated from a batch to get in touch",
    "audit_viewed": "Viewed the audit trail",
    "screenings_exported": "Exported screenings as CSV",
    "patient_records_viewed": "Looked up a patient's records to erase or restrict",
    "patient_erased": "Erased a patient's records",
    "submission_erased": "Erased a screening",
    "submission_restricted": "Restricted a screening",
    "restricted_access_refused": "Refused to show a restricted screening",
    # the system
    "audit_digest": "Sent the daily audit-trail digest",
    "audit_head_started": "Started keeping the audit trail's keyed head",
    "submission_seals_keyed": "Keyed the seals of older screenings",
    "retention_purge": "Deleted records past their retention period",
}


def action_words(action: str) -> str:
    """An audit action in plain words (an action without words still reads, from its code)."""
    return ACTION_WORDS.get(action) or (action[:1].upper() + action[1:]).replace("_", " ")
