"""The schema, only ever changed by adding a numbered step. No step may drop or rewrite clinic data."""

from __future__ import annotations

import sqlite3

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("screening")


def _run(db: Database, script: str) -> None:
    # executescript() would commit the migration's transaction half-way; run the statements one by one instead,
    # splitting only where SQLite itself sees a complete statement (a ';' in a comment or a string does not count).
    statement = ""
    for piece in script.split(";"):
        statement += piece + ";"
        if sqlite3.complete_statement(statement):
            db.execute(statement)
            statement = ""
    if statement.strip(" \n;"):
        raise ValueError(f"incomplete SQL statement in migration: {statement.strip()[:60]}")


@migrations(name="0001_drafts_and_submissions")
def m0001(db: Database) -> None:
    _run(
        db,
        """
        CREATE TABLE draft (
            id TEXT PRIMARY KEY,                      -- sha256 of the draft token held in the patient's session
            answers TEXT NOT NULL DEFAULT '{}',       -- JSON, normalised answers to visible questions
            contact TEXT NOT NULL DEFAULT '{}',       -- JSON: full_name, email, phone
            submission_key TEXT NOT NULL UNIQUE,      -- one-time key: a retried submit stores one submission
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX draft_updated_at ON draft (updated_at);

        CREATE TABLE submission (
            id INTEGER PRIMARY KEY,
            submission_key TEXT NOT NULL UNIQUE,
            access_token_hash TEXT NOT NULL UNIQUE,   -- sha256 of the patient's private-link token
            created_at TEXT NOT NULL,                 -- UTC, ISO 8601
            screening_date TEXT NOT NULL,
            ruleset_version TEXT NOT NULL,
            answers TEXT NOT NULL,                    -- JSON, normalised; hidden questions already dropped
            full_name TEXT NOT NULL,
            email TEXT NOT NULL,
            phone TEXT NOT NULL DEFAULT '',
            attested_name TEXT NOT NULL,
            outcome TEXT NOT NULL CHECK (outcome IN ('clear', 'caution', 'review', 'defer', 'decline')),
            treatments TEXT NOT NULL,                 -- JSON {treatment: outcome}, requested treatments only
            messages TEXT NOT NULL,                   -- JSON list, as shown to the patient
            engine_errors TEXT NOT NULL DEFAULT '[]', -- JSON list of rule ids whose condition failed
            checksum TEXT NOT NULL                    -- sha256 over the clinical content, to detect tampering
        );
        CREATE INDEX submission_outcome_created ON submission (outcome, created_at);

        CREATE TABLE submission_rule (
            submission_id INTEGER NOT NULL REFERENCES submission (id),
            position INTEGER NOT NULL,                -- rule-file order
            rule_id TEXT NOT NULL,
            level TEXT NOT NULL,
            applies TEXT NOT NULL,
            patient_message TEXT NOT NULL,            -- as rendered for this patient
            rationale TEXT NOT NULL,                  -- as it stood in the rules when the screening ran
            sources TEXT NOT NULL,                    -- JSON [{key, title, urls}]
            trigger_questions TEXT NOT NULL,          -- JSON list of question ids the condition read
            PRIMARY KEY (submission_id, rule_id)
        )
        """,
    )


@migrations(name="0002_clinicians_decisions_audit")
def m0002(db: Database) -> None:
    _run(
        db,
        """
        CREATE TABLE clinician (
            id INTEGER PRIMARY KEY,
            email TEXT NOT NULL UNIQUE COLLATE NOCASE,
            name TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('clinician', 'admin')),
            password_hash TEXT NOT NULL,               -- argon2id
            totp_secret TEXT,                          -- base32, once the clinician has set up a code
            totp_required INTEGER NOT NULL DEFAULT 0,  -- an admin can require a second factor
            totp_pending TEXT,                         -- a secret being set up, until a code confirms it
            created_at TEXT NOT NULL,
            disabled_at TEXT
        );

        -- One row per sign-in. The cookie holds a random id whose hash is the key here, so signing out or disabling
        -- an account ends the session at once, whatever copy of the cookie survives.
        CREATE TABLE clinician_session (
            id TEXT PRIMARY KEY,
            clinician_id INTEGER NOT NULL REFERENCES clinician (id),
            created_at TEXT NOT NULL,
            last_seen_at TEXT NOT NULL,
            revoked_at TEXT
        );
        CREATE INDEX clinician_session_clinician ON clinician_session (clinician_id);

        -- The review state of a submission: none (no review needed), pending, approved, declined, deferred,
        -- information_requested. queue_rank orders the queue: most severe first (0 = decline ... 4 = clear).
        ALTER TABLE submission ADD COLUMN review_state TEXT NOT NULL DEFAULT 'none';
        ALTER TABLE submission ADD COLUMN queue_rank INTEGER NOT NULL DEFAULT 4;
        ALTER TABLE submission ADD COLUMN requested TEXT NOT NULL DEFAULT '';  -- toxin, filler or both
        UPDATE submission SET review_state = 'pending' WHERE outcome = 'review';
        UPDATE submission SET queue_rank = CASE outcome
            WHEN 'decline' THEN 0 WHEN 'defer' THEN 1 WHEN 'review' THEN 2 WHEN 'caution' THEN 3 ELSE 4 END;
        UPDATE submission SET requested = json_extract(answers, '$.treatment_requested');
        CREATE INDEX submission_queue ON submission (review_state, queue_rank, created_at, id);
        CREATE INDEX submission_outcome_queue ON submission (outcome, queue_rank, created_at, id);

        -- Every decision attempt that won. Nothing is updated in place: a later decision is a new row.
        CREATE TABLE decision (
            id INTEGER PRIMARY KEY,
            submission_id INTEGER NOT NULL REFERENCES submission (id),
            clinician_id INTEGER NOT NULL REFERENCES clinician (id),
            action TEXT NOT NULL CHECK (action IN ('approve', 'decline', 'defer', 'request_information')),
            treatments TEXT NOT NULL DEFAULT '[]',     -- JSON: the treatments an approval unlocks
            defer_until TEXT,
            note TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL
        );
        CREATE INDEX decision_submission ON decision (submission_id, id);

        -- The audit trail: append-only, each row's hash chained to the previous row's. No answer text and no
        -- patient name ever goes in here.
        CREATE TABLE audit_event (
            id INTEGER PRIMARY KEY,
            ts TEXT NOT NULL,
            actor_id INTEGER,
            actor_role TEXT NOT NULL,
            action TEXT NOT NULL,
            object_type TEXT NOT NULL DEFAULT '',
            object_id TEXT NOT NULL DEFAULT '',
            outcome TEXT NOT NULL,
            remote_addr TEXT NOT NULL DEFAULT '',
            request_id TEXT NOT NULL DEFAULT '',
            detail TEXT NOT NULL DEFAULT '{}',
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        );
        CREATE INDEX audit_event_object ON audit_event (object_type, object_id, id);
        CREATE INDEX audit_event_actor ON audit_event (actor_id, id);
        CREATE INDEX audit_event_action ON audit_event (action, id);
        CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
        BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END;
        CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
        BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END
        """,
    )


@migrations(name="0003_queue_counts")
def m0003(db: Database) -> None:
    # Counting a million submissions by state on every queue view took 0.6 s (bench/README.md); triggers keep the
    # counts as they change, so reading them is a handful of rows.
    _run(
        db,
        """
        CREATE TABLE queue_count (
            outcome TEXT NOT NULL,
            review_state TEXT NOT NULL,
            n INTEGER NOT NULL,
            PRIMARY KEY (outcome, review_state)
        );
        INSERT INTO queue_count (outcome, review_state, n)
            SELECT outcome, review_state, count(*) FROM submission GROUP BY outcome, review_state;
        CREATE TRIGGER queue_count_insert AFTER INSERT ON submission
        BEGIN
            INSERT INTO queue_count (outcome, review_state, n) VALUES (NEW.outcome, NEW.review_state, 1)
            ON CONFLICT (outcome, review_state) DO UPDATE SET n = n + 1;
        END;
        CREATE TRIGGER queue_count_state AFTER UPDATE OF review_state, outcome ON submission
        BEGIN
            UPDATE queue_count SET n = n - 1 WHERE outcome = OLD.outcome AND review_state = OLD.review_state;
            INSERT INTO queue_count (outcome, review_state, n) VALUES (NEW.outcome, NEW.review_state, 1)
            ON CONFLICT (outcome, review_state) DO UPDATE SET n = n + 1;
        END;
        CREATE TRIGGER queue_count_delete AFTER DELETE ON submission
        BEGIN
            UPDATE queue_count SET n = n - 1 WHERE outcome = OLD.outcome AND review_state = OLD.review_state;
        END
        """,
    )


@migrations(name="0004_totp_last_step")
def m0004(db: Database) -> None:
    # The time step of the last accepted sign-in code, so an overheard or replayed code cannot be used again.
    db.execute("ALTER TABLE clinician ADD COLUMN totp_last_step INTEGER")


@migrations(name="0005_slots_and_bookings")
def m0005(db: Database) -> None:
    _run(
        db,
        """
        CREATE TABLE slot (
            id INTEGER PRIMARY KEY,
            starts_at TEXT NOT NULL,                  -- UTC, ISO 8601
            ends_at TEXT NOT NULL,
            practitioner TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            cancelled_at TEXT,
            CHECK (ends_at > starts_at)
        );
        CREATE UNIQUE INDEX slot_once ON slot (starts_at, practitioner) WHERE cancelled_at IS NULL;
        CREATE INDEX slot_starts ON slot (starts_at);

        -- A slot can never hold two bookings, and a screening holds one appointment at a time: the database
        -- enforces both, whatever happens in the application.
        CREATE TABLE booking (
            id INTEGER PRIMARY KEY,
            slot_id INTEGER NOT NULL REFERENCES slot (id),
            submission_id INTEGER NOT NULL REFERENCES submission (id),
            treatments TEXT NOT NULL,                 -- JSON list of the treatments the consultation is for
            created_at TEXT NOT NULL,
            cancelled_at TEXT,
            cancelled_by TEXT                         -- patient or clinic
        );
        CREATE UNIQUE INDEX booking_one_per_slot ON booking (slot_id) WHERE cancelled_at IS NULL;
        CREATE UNIQUE INDEX booking_one_per_submission ON booking (submission_id) WHERE cancelled_at IS NULL
        """,
    )


@migrations(name="0006_outbox")
def m0006(db: Database) -> None:
    # Email is written here in the same transaction as the decision or booking it reports, so a failed or slow mail
    # server can never lose either; a sender delivers from here and retries.
    _run(
        db,
        """
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,                       -- submitted, review_needed, decision, booked, cancelled
            to_addr TEXT NOT NULL,
            subject TEXT NOT NULL,
            body TEXT NOT NULL,                       -- what happened and a link; never clinical details
            created_at TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT NOT NULL,
            claimed_until TEXT,                       -- a sender working on it; another waits until then
            sent_at TEXT,
            last_error TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX outbox_due ON outbox (sent_at, next_attempt_at)
        """,
    )


@migrations(name="0007_versions")
def m0007(db: Database) -> None:
    # Answering a clinician's question makes a new version of the screening; the earlier one is kept and linked.
    _run(
        db,
        """
        ALTER TABLE submission ADD COLUMN kind TEXT NOT NULL DEFAULT 'new';  -- new | amendment
        ALTER TABLE submission ADD COLUMN previous_id INTEGER REFERENCES submission (id);
        ALTER TABLE submission ADD COLUMN superseded_by INTEGER REFERENCES submission (id);
        ALTER TABLE submission ADD COLUMN reply TEXT NOT NULL DEFAULT '';  -- the patient's answer to the question
        ALTER TABLE draft ADD COLUMN kind TEXT NOT NULL DEFAULT 'new';
        ALTER TABLE draft ADD COLUMN amends INTEGER REFERENCES submission (id)
        """,
    )


@migrations(name="0008_returning_patients")
def m0008(db: Database) -> None:
    # A returning patient confirms their email by a one-time link before we pre-fill anything from their last answers.
    _run(
        db,
        """
        CREATE TABLE return_link (
            id TEXT PRIMARY KEY,                      -- sha256 of the token in the emailed link
            submission_id INTEGER NOT NULL REFERENCES submission (id),
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            used_at TEXT
        );
        ALTER TABLE draft ADD COLUMN rescreen_of INTEGER REFERENCES submission (id)
        """,
    )


@migrations(name="0009_rule_overrides")
def m0009(db: Database) -> None:
    # Each submission records the clinic's overrides that judged it (JSON list of {rule, shipped_level,
    # level, reason}); the rule files and overrides behind every version the server ran are kept, so the rules that
    # judged a screening can be compared with today's.
    _run(
        db,
        """
        ALTER TABLE submission ADD COLUMN overrides TEXT NOT NULL DEFAULT '[]';
        CREATE TABLE ruleset_archive (
            version TEXT PRIMARY KEY,                 -- RuleSet.version: the files' hash, with the overrides applied
            files TEXT NOT NULL,                      -- JSON {file name: text} of the three rules files
            overrides TEXT NOT NULL,                  -- the overrides file's text ('' when none)
            first_seen_at TEXT NOT NULL               -- UTC: when a server first ran with it
        )
        """,
    )


@migrations(name="0010_restriction")
def m0010(db: Database) -> None:
    # A patient who asks for erasure of a screening the clinic must keep (it led to an appointment, so it is part of
    # the clinical record) gets restriction instead (UK GDPR Art. 18): the row stays, but it leaves every list.
    db.execute("ALTER TABLE submission ADD COLUMN restricted_at TEXT")


@migrations(name="0011_clinic_day")
def m0011(db: Database) -> None:
    # The clinic's day: clinic details kept in the database (the admin's settings page), professional
    # registers on clinician profiles, one-time password-reset links, the reason a clinic withdrew a booking, the
    # consultation record, and an index for finding a patient by name or email.
    _run(
        db,
        """
        CREATE TABLE clinic_setting (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            updated_by INTEGER REFERENCES clinician (id)
        );
        ALTER TABLE clinician ADD COLUMN register TEXT NOT NULL DEFAULT '';         -- GMC, NMC, GPhC, GDC, other
        ALTER TABLE clinician ADD COLUMN register_number TEXT NOT NULL DEFAULT '';
        CREATE TABLE password_reset (
            id TEXT PRIMARY KEY,                      -- sha256 of the token in the emailed link
            clinician_id INTEGER NOT NULL REFERENCES clinician (id),
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            used_at TEXT
        );
        ALTER TABLE booking ADD COLUMN cancel_reason TEXT NOT NULL DEFAULT '';
        CREATE TABLE consultation (
            id INTEGER PRIMARY KEY,
            submission_id INTEGER NOT NULL REFERENCES submission (id),
            booking_id INTEGER REFERENCES booking (id),
            clinician_id INTEGER NOT NULL REFERENCES clinician (id),
            clinician_name TEXT NOT NULL,
            register TEXT NOT NULL,
            register_number TEXT NOT NULL,
            attendance TEXT NOT NULL,                 -- attended | did_not_attend
            id_document TEXT NOT NULL DEFAULT '',     -- passport, driving_licence, ...
            id_date_of_birth TEXT NOT NULL DEFAULT '',
            answers TEXT NOT NULL DEFAULT '',         -- confirmed | changed
            new_submission_id INTEGER REFERENCES submission (id),
            consulted INTEGER NOT NULL DEFAULT 0,     -- the in-person consultation took place
            note TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL
        );
        CREATE INDEX consultation_submission ON consultation (submission_id, id);
        CREATE INDEX submission_email ON submission (email COLLATE NOCASE)
        """,
    )


@migrations(name="0012_form_state")
def m0012(db: Database) -> None:
    # Post/redirect/get: what a patient sent on a form that came back with problems, kept on the server (answers are
    # health data) under a hash of a random reference held in the session cookie, for the GET that shows the errors.
    _run(
        db,
        """
        CREATE TABLE form_state (
            id TEXT PRIMARY KEY,                      -- sha256 of the reference in the session
            page TEXT NOT NULL,                       -- the page (path) the values belong to
            sent TEXT NOT NULL,                       -- JSON list of [name, value] pairs, as sent
            created_at TEXT NOT NULL
        );
        CREATE INDEX form_state_created ON form_state (created_at)
        """,
    )


@migrations(name="0013_submission_seal")
def m0013(db: Database) -> None:
    # One digest over everything that decides what a patient may book or a clinician sees (store.submission_seal),
    # kept in step by the writers. Existing rows are sealed as they stand: the old checksum still guards their
    # clinical content, and from here on any change made outside the application shows.
    from screening.store import reseal_submission

    _run(db, "ALTER TABLE submission ADD COLUMN seal TEXT NOT NULL DEFAULT ''")
    for row in list(db.query("SELECT id FROM submission")):
        reseal_submission(db, row["id"], SEALED_IN_0013)  # the columns as they were: later ones do not exist yet


# The columns each sealing migration sealed over, frozen: a migration must not read the live code's list, which
# later migrations extend with columns that do not exist yet when it runs.
SEALED_IN_0013 = (
    "id",
    "access_token_hash",
    "screening_date",
    "ruleset_version",
    "answers",
    "full_name",
    "email",
    "phone",
    "attested_name",
    "outcome",
    "treatments",
    "messages",
    "engine_errors",
    "checksum",
    "review_state",
    "kind",
    "previous_id",
    "superseded_by",
    "reply",
    "queue_rank",
    "requested",
)
SEALED_IN_0014 = (*SEALED_IN_0013, "held_by")


@migrations(name="0014_held_for_clinician")
def m0014(db: Database) -> None:
    # A screening made while a clinician's defer or decline of the same person stands names that screening, and goes
    # to a clinician whatever it gives. The link is sealed: rows whose seal verifies over the columns it was made over
    # are sealed again with the new one; a row already changed outside the application keeps its broken seal.
    from screening.store import reseal_submission, submission_seal

    intact = [
        row["id"]
        for row in db.query("SELECT id, seal FROM submission")
        if row["seal"] == submission_seal(db, row["id"], SEALED_IN_0013)
    ]
    _run(db, "ALTER TABLE submission ADD COLUMN held_by INTEGER")
    for submission_id in intact:
        reseal_submission(db, submission_id, SEALED_IN_0014)


@migrations(name="0015_outbox_about")
def m0015(db: Database) -> None:
    # Which screening a queued email is about (NULL for the clinic's and clinicians' mail), so that a patient's copy
    # lists the emails about their own screenings and never selects by address: anyone can type any address.
    # ON DELETE SET NULL: a deleted screening's id, which SQLite may hand out again, never points at someone else.
    # A patient's message still waiting carries its screening's private-link reference, which names it exactly;
    # sent ones were blanked and stay unattached (choosing them by address is what put others' mail in a copy).
    _run(
        db,
        """
        ALTER TABLE outbox ADD COLUMN submission_id INTEGER REFERENCES submission (id) ON DELETE SET NULL;
        CREATE INDEX outbox_submission ON outbox (submission_id);
        UPDATE outbox SET submission_id = (
            SELECT submission.id FROM submission
            WHERE instr(outbox.body, '⟨private-link:' || submission.submission_key || '⟩') > 0
            ORDER BY submission.id LIMIT 1
        ) WHERE body LIKE '%⟨private-link:%'
        """,
    )


@migrations(name="0016_first_sign_in")
def m0016(db: Database) -> None:
    # A password an admin chose (`screening clinician add`, the Clinicians page) is changed by its owner at first
    # sign-in. Accounts that exist already are left as they are: their owners have been signing in with them.
    db.execute("ALTER TABLE clinician ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0")


@migrations(name="0017_audit_head")
def m0017(db: Database) -> None:
    # The audit trail's head: the newest event's id and hash, keyed with a key derived from AUDIT_KEY and moved in the
    # transaction of every event (store.append_audit), so events cut from the end of the chain are found. Written
    # with the next event; an instance upgraded with events already writes it at its next start (services/integrity).
    _run(
        db,
        """
        CREATE TABLE audit_head (
            id INTEGER PRIMARY KEY CHECK (id = 1),    -- one row
            last_id INTEGER NOT NULL,                 -- the newest audit_event.id
            last_hash TEXT NOT NULL,                  -- its hash
            mac TEXT NOT NULL                         -- HMAC-SHA256 of both with the head key
        )
        """,
    )


@migrations(name="0018_outbox_failed")
def m0018(db: Database) -> None:
    # A message that cannot be built (a line break in a header, from settings saved before they were refused) is
    # marked failed with its reason and never claimed again: rebuilding the same row cannot work, and retrying it
    # forever would hide it among the messages that are only waiting for the mail server.
    _run(db, "ALTER TABLE outbox ADD COLUMN failed_at TEXT")


@migrations(name="0019_decision_private_note")
def m0019(db: Database) -> None:
    # A decision's two texts: `note` stays what the patient is asked (request_information only) and `private_note`
    # is the clinic's own, which the patient never sees. Existing rows are not rewritten: the submission's seal covers
    # the note as it was written, so a decline's or a defer's older note is read as private (store.decisions_for).
    _run(db, "ALTER TABLE decision ADD COLUMN private_note TEXT NOT NULL DEFAULT ''")


@migrations(name="0020_outbox_calendar")
def m0020(db: Database) -> None:
    # A booking confirmation carries the appointment as an .ics attachment, written with the message in the
    # transaction of the booking. It holds the time, the place and the practitioner (nothing clinical, no link) and
    # is blanked with the body once the message is sent. Older rows have none.
    _run(db, "ALTER TABLE outbox ADD COLUMN calendar TEXT NOT NULL DEFAULT ''")


@migrations(name="0021_consent")
def m0021(db: Database) -> None:
    # From consultation to treatment. A slot is for a consultation or a treatment, and a booking keeps its slot's
    # kind, so a screening can hold one consultation and one treatment appointment at a time (the index that allowed
    # one booking per screening becomes one per screening and kind). Consent is taken by the practitioner who treats,
    # after the consultation, and signed by the patient; the optional consents are kept as a history (the newest row
    # per option counts), so a withdrawal never rewrites what was given. The signed PDF is part of the clinical record.
    _run(
        db,
        """
        ALTER TABLE slot ADD COLUMN kind TEXT NOT NULL DEFAULT 'consultation';   -- consultation | treatment
        ALTER TABLE booking ADD COLUMN kind TEXT NOT NULL DEFAULT 'consultation';
        DROP INDEX booking_one_per_submission;
        CREATE UNIQUE INDEX booking_one_per_submission_kind ON booking (submission_id, kind) WHERE cancelled_at IS NULL;

        CREATE TABLE suitability_assessment (
            id INTEGER PRIMARY KEY,
            submission_id INTEGER NOT NULL REFERENCES submission (id),
            clinician_id INTEGER NOT NULL REFERENCES clinician (id),
            clinician_name TEXT NOT NULL,
            outcome TEXT NOT NULL CHECK (outcome IN ('proceed', 'proceed_after_discussion', 'refer_gp')),
            note TEXT NOT NULL DEFAULT '',
            instrument TEXT NOT NULL DEFAULT '',      -- a clinic's licensed instrument's id, when one was used
            score INTEGER,
            positive INTEGER,                         -- the instrument's cut-off reached (1), not reached (0)
            created_at TEXT NOT NULL
        );
        CREATE INDEX suitability_submission ON suitability_assessment (submission_id, id);

        CREATE TABLE consent (
            id INTEGER PRIMARY KEY,
            submission_id INTEGER NOT NULL REFERENCES submission (id),
            consultation_id INTEGER NOT NULL REFERENCES consultation (id),
            treatment TEXT NOT NULL,                  -- toxin | filler
            text_version TEXT NOT NULL,               -- the consent text's version, as shown
            text_sha256 TEXT NOT NULL,                -- of the text as shown
            clinician_id INTEGER NOT NULL REFERENCES clinician (id),
            clinician_name TEXT NOT NULL,
            register TEXT NOT NULL,
            register_number TEXT NOT NULL,
            discussed TEXT NOT NULL,                  -- what was discussed
            patient_questions TEXT NOT NULL DEFAULT '',
            reasons TEXT NOT NULL,                    -- why the patient wants it
            hopes TEXT NOT NULL,                      -- what they hope for
            taken_at TEXT NOT NULL,
            signed_name TEXT NOT NULL DEFAULT '',
            signed_at TEXT,
            signed_where TEXT NOT NULL DEFAULT '',    -- clinic_device | private_page
            pdf BLOB,
            pdf_sha256 TEXT NOT NULL DEFAULT '',
            withdrawn_at TEXT
        );
        CREATE INDEX consent_submission ON consent (submission_id, id);

        CREATE TABLE consent_option (
            id INTEGER PRIMARY KEY,
            consent_id INTEGER NOT NULL REFERENCES consent (id),
            option TEXT NOT NULL,                     -- photos_record | photos_teaching | gp_letter
            given INTEGER NOT NULL,
            changed_by TEXT NOT NULL,                 -- patient | clinician
            changed_at TEXT NOT NULL
        );
        CREATE INDEX consent_option_consent ON consent_option (consent_id, option, id);

        CREATE TABLE treatment_given (
            id INTEGER PRIMARY KEY,
            submission_id INTEGER NOT NULL REFERENCES submission (id),
            consent_id INTEGER NOT NULL REFERENCES consent (id),
            booking_id INTEGER REFERENCES booking (id),
            treatment TEXT NOT NULL,
            clinician_id INTEGER NOT NULL REFERENCES clinician (id),
            clinician_name TEXT NOT NULL,
            same_day_reason TEXT NOT NULL DEFAULT '', -- set only when the clinic allows same-day treatment
            given_at TEXT NOT NULL
        );
        CREATE INDEX treatment_given_submission ON treatment_given (submission_id, id)
        """,
    )


@migrations(name="0022_outbox_consent")
def m0022(db: Database) -> None:
    # The email that tells a patient they signed carries the signed consent's PDF as an attachment. The outbox row
    # names the consent and the PDF is read from the consent at delivery, so the outbox never holds a copy of it.
    _run(db, "ALTER TABLE outbox ADD COLUMN consent_id INTEGER REFERENCES consent (id)")


@migrations(name="0023_instrument_score")
def m0023(db: Database) -> None:
    # A clinic's licensed assessment instrument, administered face to face and scored: which instrument and version
    # (its hash as used), the score and whether it reached the cut-off, who recorded it. The answers are not kept, so
    # the licensed text is never copied into the clinical record. A positive score makes the psychological-suitability
    # assessment necessary before consent, as a fired appearance question does.
    _run(
        db,
        """
        CREATE TABLE instrument_score (
            id INTEGER PRIMARY KEY,
            submission_id INTEGER NOT NULL REFERENCES submission (id),
            instrument TEXT NOT NULL,                 -- the instrument's id (rules/instruments/<id>.toml)
            version TEXT NOT NULL,
            instrument_sha256 TEXT NOT NULL,          -- of the instrument as administered and scored
            score INTEGER NOT NULL,
            cut_off INTEGER NOT NULL,
            positive INTEGER NOT NULL CHECK (positive IN (0, 1)),
            clinician_id INTEGER NOT NULL REFERENCES clinician (id),
            clinician_name TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX instrument_score_submission ON instrument_score (submission_id, id);
        """,
    )


@migrations(name="0024_reminders")
def m0024(db: Database) -> None:
    # The interval rule from the clinic's own record, and recalls. `record_facts` holds what the clinic's own record
    # of a toxin treatment supplied when a screening was judged (JSON: the date recorded, the treatment's id, what the
    # patient answered), or '' when the record supplied nothing; the patient's answers stay as answered. It is sealed
    # only when it holds something, so every seal written before it still verifies unchanged. `reminders_at` is when
    # the patient agreed, at booking, to be reminded when a refresh is due (NULL: not agreed, or withdrawn). A recall
    # row is written once per treatment given, in the transaction that queues its email (or finds nothing to send),
    # so no treatment is ever recalled twice.
    _run(
        db,
        """
        ALTER TABLE submission ADD COLUMN record_facts TEXT NOT NULL DEFAULT '';
        ALTER TABLE submission ADD COLUMN reminders_at TEXT;

        CREATE TABLE recall (
            id INTEGER PRIMARY KEY,
            treatment_given_id INTEGER NOT NULL UNIQUE REFERENCES treatment_given (id),
            submission_id INTEGER NOT NULL REFERENCES submission (id),  -- the screening of the treatment given
            treatment TEXT NOT NULL,                  -- toxin | filler
            due_on TEXT NOT NULL,                     -- the clinic's date the refresh was due
            outcome TEXT NOT NULL,                    -- sent | no_consent | treated_again
            created_at TEXT NOT NULL
        );
        CREATE INDEX recall_submission ON recall (submission_id)
        """,
    )


# No row is sealed again: an empty record_facts is left out of the seal (store.submissions._sealed_row).
SEALED_IN_0024 = (*SEALED_IN_0014, "record_facts")


@migrations(name="0025_products")
def m0025(db: Database) -> None:
    # The clinic's products and their batches, and what a treatment given used: the product, the batch (for a recall)
    # and the amount per area in the product's unit. A product is never deleted (a treatment names it): it is made
    # inactive. The treatment's interval warning, when the practitioner read one and went on, is kept with it.
    _run(
        db,
        """
        CREATE TABLE product (
            id INTEGER PRIMARY KEY,
            brand TEXT NOT NULL,
            generic_name TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('toxin', 'filler')),
            unit TEXT NOT NULL CHECK (unit IN ('units', 'ml')),
            max_per_session REAL,                     -- the label's maximum per session, where it states one
            active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
            created_at TEXT NOT NULL
        );
        CREATE UNIQUE INDEX product_brand ON product (brand COLLATE NOCASE);

        CREATE TABLE batch (
            id INTEGER PRIMARY KEY,
            product_id INTEGER NOT NULL REFERENCES product (id),
            lot_number TEXT NOT NULL,
            expiry_date TEXT NOT NULL,                -- YYYY-MM-DD, the last day it may be used
            received_date TEXT NOT NULL,              -- YYYY-MM-DD
            created_at TEXT NOT NULL
        );
        CREATE UNIQUE INDEX batch_product_lot ON batch (product_id, lot_number COLLATE NOCASE);

        ALTER TABLE treatment_given ADD COLUMN product_id INTEGER REFERENCES product (id);
        ALTER TABLE treatment_given ADD COLUMN batch_id INTEGER REFERENCES batch (id);
        ALTER TABLE treatment_given ADD COLUMN interval_warning TEXT NOT NULL DEFAULT '';
        CREATE INDEX treatment_given_batch ON treatment_given (batch_id);

        CREATE TABLE treatment_area (
            id INTEGER PRIMARY KEY,
            treatment_given_id INTEGER NOT NULL REFERENCES treatment_given (id),
            area TEXT NOT NULL,
            amount REAL NOT NULL CHECK (amount > 0),
            unit TEXT NOT NULL                        -- the product's unit when given: units | ml
        );
        CREATE INDEX treatment_area_treatment ON treatment_area (treatment_given_id, id);
        """,
    )


@migrations(name="0026_aftercare")
def m0026(db: Database) -> None:
    # A problem reported after a treatment: by the patient from the private page (what happened, when it started, the
    # urgent symptoms of the aftercare file ticked) or by a clinician, and the clinician's follow-up and outcome. It
    # names the treatment given; the product and batch are typed by the practitioner until the treatment record
    # names them. Part of the clinical record (retention, erasure, the patient's copy).
    _run(
        db,
        """
        CREATE TABLE complication (
            id INTEGER PRIMARY KEY,
            submission_id INTEGER NOT NULL REFERENCES submission (id),
            treatment_given_id INTEGER NOT NULL REFERENCES treatment_given (id),
            what TEXT NOT NULL,                       -- what happened, in the reporter's words
            started TEXT NOT NULL,                    -- the day it started (ISO date)
            symptoms TEXT NOT NULL DEFAULT '[]',      -- JSON list of the aftercare file's urgent symptom ids ticked
            urgent INTEGER NOT NULL CHECK (urgent IN (0, 1)),
            reported_by TEXT NOT NULL CHECK (reported_by IN ('patient', 'clinician')),
            reporter_id INTEGER REFERENCES clinician (id), -- the clinician who recorded it, when reported_by clinician
            reported_at TEXT NOT NULL,
            outcome TEXT NOT NULL DEFAULT '',         -- the clinician's follow-up and outcome
            followed_up_by INTEGER REFERENCES clinician (id),
            followed_up_name TEXT NOT NULL DEFAULT '',
            followed_up_at TEXT,
            product TEXT NOT NULL DEFAULT '',         -- typed by the practitioner
            batch TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX complication_submission ON complication (submission_id, id);
        CREATE INDEX complication_open ON complication (followed_up_at, urgent, reported_at);
        """,
    )


@migrations(name="0027_language")
def m0027(db: Database) -> None:
    # The language the patient used (a code from LANGUAGES: 'en', 'es'), so every email about this screening is in
    # that language and the clinician sees "Answered in Spanish". Not sealed: it decides nothing a patient may book.
    _run(db, "ALTER TABLE submission ADD COLUMN language TEXT NOT NULL DEFAULT 'en';")


@migrations(name="0028_resume_links")
def m0028(db: Database) -> None:
    # Save a screening and finish it later, on any device: a one-time emailed link to an unfinished questionnaire.
    # Only the token's hash is kept (the outbox holds a reference, never the link); it dies with its draft (sent,
    # purged when stale, erased), when it is used, or after five wrong dates of birth.
    _run(
        db,
        """
        CREATE TABLE resume_link (
            id TEXT PRIMARY KEY,                      -- sha256 of the token in the emailed link
            draft_id TEXT NOT NULL REFERENCES draft (id) ON DELETE CASCADE,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            wrong_tries INTEGER NOT NULL DEFAULT 0    -- dates of birth given that did not match the draft's
        );
        CREATE INDEX resume_link_draft ON resume_link (draft_id)
        """,
    )


@migrations(name="0029_kiosk")
def m0029(db: Database) -> None:
    # A reception tablet: a device a clinician turned into a kiosk, locked to the patient form. The device's cookie
    # carries the row's id and a random secret, signed with SECRET_KEY; only the secret's hash is kept here, so a copy
    # of the database makes no kiosk. A kiosk ends when an admin revokes it or a clinician turns it off on the device.
    _run(
        db,
        """
        CREATE TABLE kiosk (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,                       -- what the clinic calls the device: "Reception tablet 1"
            secret_hash TEXT NOT NULL,                -- sha256 of the random secret in the device's signed cookie
            created_at TEXT NOT NULL,
            created_by INTEGER NOT NULL REFERENCES clinician (id),
            ended_at TEXT,
            ended_by INTEGER REFERENCES clinician (id),
            ended_how TEXT CHECK (ended_how IN ('revoked', 'turned_off'))
        );
        """,
    )
