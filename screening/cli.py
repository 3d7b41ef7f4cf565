"""The `screening` command: a thin layer over the domain and the app factory."""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import sys
from datetime import date
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import FlaskGroup

from screening import clock, store
from screening.app import ConfigurationError, create_app
from screening.db import get_db
from screening.domain import InvalidAnswers, RulesError, RuleSet, evaluate_screening, load_ruleset
from screening.domain.questionnaire import shorten
from screening.errors import Restricted, ServiceError
from screening.services import clinic
from screening.services.rules.rulebook import instance_dir, rules_dir

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class ScreeningGroup(FlaskGroup):
    """Flask's group (it loads the app for the commands that need it), with only the clinic's commands and options.

    Flask's own (`run`, a development server beside `make run`; `shell`; `routes`; `--app`, `--env-file`,
    `--debug`; installed extensions' plugin commands such as Flask-Limiter's) are not the clinic's: none is
    offered, and a name that is not the clinic's is never looked up in the app. Listing commands (for --help)
    never loads the app, so help works before set-up."""

    def __init__(self, **extra: Any) -> None:
        super().__init__(add_default_commands=False, add_version_option=False, **extra)
        self.params = [param for param in self.params if param.name not in {"env_file", "app", "debug"}]

    def _load_plugin_commands(self) -> None:
        self._loaded_plugin_commands = True  # no plugin commands: only the clinic's

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return click.Group.get_command(self, ctx, name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(click.Group.list_commands(self, ctx))


@click.group(cls=ScreeningGroup, create_app=create_app)
def cli() -> None:
    """Pre-consultation screening for aesthetic injectables."""


def main() -> None:
    """Console entry point: a refusal to start is a clear message and exit 1, never a traceback."""
    # Commands are short-lived: only the server runs the mail sender (`screening mail send` delivers by hand).
    os.environ.setdefault("SCREENING_MAIL_SENDER", "false")
    os.environ.setdefault("SCREENING_PURGE_DAILY", "false")  # and only the server purges daily
    os.environ.setdefault("SCREENING_RECALLS", "false")  # nor sends recalls
    os.environ.setdefault("SCREENING_SERVER_LOCK", "false")  # a command is not a live server (restore checks)
    os.environ.setdefault("SCREENING_AUDIT_DIGEST", "false")  # nor sends the daily digest
    try:
        cli.main(prog_name="screening")
    except (RulesError, ConfigurationError) as error:
        click.echo(f"screening: cannot start: {error}", err=True)
        sys.exit(1)


def _rules_option(function):
    return click.option(
        "--rules",
        "rules_path",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Rules folder (default: $SCREENING_RULES_DIR, else rules/ in the project).",
    )(function)


def _load(rules_path: Path | None) -> RuleSet:
    folder = rules_path or rules_dir()
    try:
        return load_ruleset(folder)
    except RulesError as error:
        click.echo(f"screening: {folder}: {error}", err=True)
        sys.exit(1)


# --------------------------------------------------------------------------------------------------------------------
# rules


@cli.group("rules")
def rules_group() -> None:
    """Check the clinic's questionnaire and rules files."""


def _overrides_option(function):
    return click.option(
        "--overrides",
        "overrides_file",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="The clinic's overrides (default: overrides.toml in the instance folder, when present).",
    )(function)


@rules_group.command("check", with_appcontext=False)
@_rules_option
@_overrides_option
def rules_check(rules_path: Path | None, overrides_file: Path | None = None) -> None:
    """Load and validate the rules files, the consent texts, the aftercare and any licensed instrument; print what they
    hold, or every problem found."""
    folder = rules_path or rules_dir()
    try:
        ruleset = load_ruleset(folder)
    except RulesError as error:
        click.echo(f"screening: {folder}: {error}", err=True)
        _check_beside_the_rules(folder)  # every problem in one pass, so a clinic fixes a broken edit at once
        sys.exit(1)
    questionnaire = ruleset.questionnaire
    counts = ", ".join(f"{level} {n}" for level, n in ruleset.counts().items())
    click.echo(f"{folder}: the rules are valid (version {ruleset.version})")
    click.echo(f"{len(questionnaire.questions)} questions in {len(questionnaire.sections)} sections")
    click.echo(f"{len(ruleset.rules)} rules: {counts}")
    click.echo(f"{len(ruleset.sources)} sources")
    beside = _check_beside_the_rules(folder)
    if not _check_translations(folder, ruleset) or not beside:
        sys.exit(1)
    _check_rule_tests(ruleset, Path(rules_path or rules_dir()) / "tests")
    _check_overrides(ruleset, overrides_file, Path(rules_path or rules_dir()) / "tests")


def _check_beside_the_rules(folder: Path) -> bool:
    """Print the consent texts, the aftercare and the clinic's licensed instruments, or every problem with its file
    and field (on standard error); say whether all are valid."""
    from screening.services.rules.rulebook import load_aftercare_from, load_consent_texts_from, load_instruments_from

    valid = True
    try:
        texts = load_consent_texts_from(folder)
    except RulesError as error:
        valid = False
        _echo_problems("the consent texts are refused", error)
    else:
        listed = ", ".join(f"{text.treatment} {text.version}" for text in texts.values())
        click.echo(f"consent texts: {listed} (valid)")
    try:
        aftercare = load_aftercare_from(folder)
    except RulesError as error:
        valid = False
        _echo_problems("the aftercare is refused", error)
    else:
        listed = ", ".join(
            f"{text.treatment} {text.version} ({len(text.urgent)} urgent symptoms)" for text in aftercare.values()
        )
        click.echo(f"aftercare: {listed} (valid)")
    try:
        instruments = load_instruments_from(folder)
    except RulesError as error:
        valid = False
        _echo_problems("the licensed instruments are refused", error)
    else:
        if not instruments:
            click.echo("licensed instruments: none (the product ships none; see docs/rules.md to add one)")
        for instrument in instruments.values():
            click.echo(
                f"licensed instrument: {instrument.id} {instrument.version}, {len(instrument.items)} items, positive"
                f" at {instrument.cut_off} or more of {instrument.highest_score} (valid)"
            )
    return valid


def _check_translations(folder: Path, ruleset: RuleSet) -> bool:
    """Print each translation's state ("es: 0 untranslated, awaiting a clinician's approval"), or every problem with
    its file, id and value (on standard error); say whether all are valid."""
    from screening.services.rules import translations

    checked = translations.check_all(folder, ruleset)
    if not checked:
        click.echo("translations: none (the questions are shown in English only)")
    valid = True
    for item in checked:
        if item.problems:
            valid = False
            count = f"{len(item.problems)} problem{'s' if len(item.problems) != 1 else ''}"
            click.echo(f"screening: the translation {item.file} is refused ({count}):", err=True)
            for problem in item.problems:
                click.echo(f"  {problem}", err=True)
            continue
        offered = "may be offered" if item.offerable else "not offered to patients"
        click.echo(f"translation {item.file}: {item.summary()} ({offered})")
        if item.report is not None and item.report.untranslated:
            click.echo(f"  untranslated: {', '.join(item.report.untranslated)}")
    return valid


@rules_group.command("wording-version", with_appcontext=False)
@_rules_option
def rules_wording_version(rules_path: Path | None) -> None:
    """Print the version of the English clinical wording (the `translates` a translation of it names)."""
    from screening.domain.translations import wording_version

    click.echo(wording_version(_load(rules_path)))


def _echo_problems(what: str, error: RulesError) -> None:
    count = f"{len(error.problems)} problem{'s' if len(error.problems) != 1 else ''}"
    click.echo(f"screening: {what} ({count}):", err=True)
    for problem in error.problems:
        click.echo(f"  {problem}", err=True)


# --------------------------------------------------------------------------------------------------------------------
# evaluate


@cli.command("evaluate", with_appcontext=False)
@click.argument("file")
@_rules_option
@_overrides_option
def evaluate(file: str, rules_path: Path | None, overrides_file: Path | None = None) -> None:
    """Evaluate screening cases from a JSON FILE (or - for stdin) and print the results as JSON.

    FILE holds one case or a list of cases, each {"id"?, "screening_date"? (YYYY-MM-DD, default today), "answers":
    {question_id: value}}. Exit status: 0 all cases evaluated, 1 a case had bad answers, 2 unreadable input.
    """
    name = "standard input" if file == "-" else file
    try:
        raw = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
        text = raw.decode("utf-8")  # strictly: bytes that are not UTF-8 are refused, never passed on
    except OSError as error:
        _fail(f"cannot read {name}: {error.strerror or error}")
    except UnicodeDecodeError as error:
        _fail(f"cannot read {name}: not UTF-8 text (byte {error.start + 1})")
    try:
        data = json.loads(text, parse_int=_bounded_int)
    except json.JSONDecodeError as error:
        _fail(f"{name} is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}")
    except RecursionError:
        _fail(f"{name} is nested too deeply to be a screening case")
    if isinstance(data, dict):
        cases = [data]
    elif isinstance(data, list):
        cases = data
    else:
        _fail(f"{name} must hold a case object or a list of cases, not {type(data).__name__}")

    ruleset = _with_overrides(_load(rules_path), overrides_file)
    try:
        today = clock.today_in(clock.zone(os.environ.get("SCREENING_CLINIC_TIMEZONE") or "Europe/London"))
    except clock.TimeInputError as error:
        _fail(f"SCREENING_CLINIC_TIMEZONE: {error}")
    results = [evaluate_case(ruleset, case, position, today) for position, case in enumerate(cases, start=1)]
    output = json.dumps(results, indent=2, ensure_ascii=False)
    try:
        output.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate in an id or a value: escape it rather than lose the batch
        output = json.dumps(results, indent=2, ensure_ascii=True)
    click.echo(output)
    sys.exit(1 if any("error" in result for result in results) else 0)


def _fail(message: str) -> None:
    click.echo(f"screening evaluate: {message}", err=True)
    sys.exit(2)


class _HugeNumber(str):
    """A number with more digits than any answer can have: kept as text so the case, not the batch, is refused."""

    def __repr__(self) -> str:
        return f"a number of {len(self):,} digits"


def _bounded_int(text: str) -> int | str:
    return int(text) if len(text) <= 100 else _HugeNumber(text)


def evaluate_case(ruleset: RuleSet, case: Any, position: int, today: date) -> dict[str, Any]:
    """Evaluate one case object; a problem with it becomes {"id", "error"} naming the question and value."""
    if not isinstance(case, dict):
        return {"id": None, "error": f"case {position} must be an object with 'answers'"}
    case_id = case.get("id")
    if not isinstance(case_id, str | int | float | type(None)) or isinstance(case_id, _HugeNumber):
        case_id = shorten(case_id)
    answers = case.get("answers")
    if not isinstance(answers, dict):
        return {"id": case_id, "error": "'answers' must be an object of question_id: value"}
    raw_date = case.get("screening_date")
    if raw_date is None:
        screening_date = today
    else:
        try:
            screening_date = date.fromisoformat(raw_date) if isinstance(raw_date, str) else None
        except ValueError:
            screening_date = None
        if screening_date is None or not ISO_DATE.fullmatch(raw_date):
            return {
                "id": case_id,
                "error": f"screening_date must be a date written YYYY-MM-DD (got {shorten(raw_date)})",
            }
    try:
        normalised = ruleset.questionnaire.normalise(answers, screening_date)
    except InvalidAnswers as error:
        return {"id": case_id, "error": str(error)}
    evaluation = evaluate_screening(ruleset, normalised)
    result = {
        "id": case_id,
        "outcome": evaluation.outcome,
        "rules": evaluation.rule_ids,
        "treatments": evaluation.treatments,
        "messages": list(evaluation.messages),
    }
    if evaluation.engine_errors:
        result["engine_errors"] = list(evaluation.engine_errors)
    return result


# --------------------------------------------------------------------------------------------------------------------
# init


@cli.command("init", with_appcontext=False)
@click.option(
    "--instance",
    "instance_path",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Instance folder (default: $SCREENING_INSTANCE_PATH, else instance/ in the project).",
)
def init(instance_path: Path | None) -> None:
    """Set up the instance folder: a secret key in config.py (kept if present) and the database, migrated."""
    from screening.db import migrate

    folder = instance_path or instance_dir()
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)  # the database and the secret key are for this service's user only
    config = folder / "config.py"
    try:
        descriptor = os.open(config, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # never readable by others
    except FileExistsError:
        click.echo(f"{config}: kept")
        _add_audit_key(config, folder / "screening.sqlite3")
        _add_seed_key(config)
    else:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(
                "# Instance settings for this clinic. Keep this file private: it holds the session-signing key.\n"
                f"SECRET_KEY = {secrets.token_hex(32)!r}\n"
                "# Keys the audit trail's hash chain (HMAC): a copy of the database alone cannot rewrite the trail.\n"
                f"AUDIT_KEY = {secrets.token_hex(32)!r}\n"
                "# Encrypts the clinicians' second-factor seeds in the database: a copy of it alone makes no codes.\n"
                f"TOTP_SEED_KEY = {secrets.token_hex(32)!r}\n"
                "# CLINIC_NAME = 'Our clinic'\n"
                "# CLINIC_CONTACT = 'Phone 020 0000 0000 or email hello@example.org'\n"
            )
        click.echo(f"{config}: created with a new secret key")
    database = folder / "screening.sqlite3"
    applied = migrate(database)
    database.chmod(0o600)  # SQLite gives its -wal and -shm files the database file's permissions
    click.echo(f"{database}: " + (f"applied {', '.join(applied)}" if applied else "up to date"))


# --------------------------------------------------------------------------------------------------------------------
# clinician accounts


@cli.group("clinician")
def clinician_group() -> None:
    """Add and disable clinician accounts. There are no default accounts."""


@clinician_group.command("add")
@click.argument("email")
@click.option("--name", required=True, help="The clinician's name, as colleagues know it.")
@click.option(
    "--role",
    type=click.Choice(["clinician", "admin"]),
    default="clinician",
    show_default=True,
    help="Admins can also add and disable clinicians and read the audit trail.",
)
def clinician_add(email: str, name: str, role: str) -> None:
    """Add a clinician. The password is read from standard input when it is not a terminal, else asked twice."""
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt="Repeat the password")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    email = email.strip().lower()
    if not ISO_EMAIL.fullmatch(email):
        _refuse(f"'{email}' is not an email address")
    if not name.strip():
        _refuse("--name must not be empty")
    with _refusals():
        clinic.add_clinician(get_db(), store.SYSTEM, email=email, name=name, role=role, password=password)
    click.echo(f"added {role} {name} <{email}>")


@clinician_group.command("disable")
@click.argument("email")
def clinician_disable(email: str) -> None:
    """Disable a clinician's account and end their sessions at once."""
    with _refusals():
        target = clinic.clinician(get_db(), email=email)
        ended = clinic.disable_clinician(get_db(), store.SYSTEM, target)
    click.echo(f"disabled {target['name']} <{target['email']}>; {ended} active session(s) ended")


@clinician_group.command("require-code")
@click.argument("email")
@click.option("--off", is_flag=True, help="No longer require a sign-in code.")
def clinician_require_code(email: str, off: bool) -> None:
    """Require a second factor (a 6-digit code from an authenticator app) at the clinician's next sign-in."""
    with _refusals():
        target = clinic.clinician(get_db(), email=email)
        clinic.require_code(get_db(), store.SYSTEM, target, not off)
    click.echo(f"{target['email']}: sign-in code {'not required' if off else 'required'}")


@clinician_group.command("reset-code")
@click.argument("email")
def clinician_reset_code(email: str) -> None:
    """Forget a clinician's sign-in code (a lost or new phone) and end their sessions; they set up a new one at their
    next sign-in."""
    with _refusals():
        target = clinic.clinician(get_db(), email=email)
        ended = clinic.reset_code(get_db(), store.SYSTEM, target)
    click.echo(
        f"{target['email']}: sign-in code reset; {ended} session(s) ended; a new code is set up at the next sign-in"
    )


def _refuse(message: str) -> None:
    click.echo(f"screening: {message}", err=True)
    sys.exit(1)


def _links_as_the_server_builds_them(command: str) -> None:
    """A command that builds links (emails, FHIR) uses the running server's PUBLIC_URL, or refuses, changing nothing."""
    from screening import settings

    try:
        current_app.config["PUBLIC_URL"] = settings.public_url_for_commands(
            current_app.config,
            current_app.instance_path,
            chosen=current_app.extensions["screening.public_url_chosen"],
        )
    except ValueError as problem:
        _refuse(f"{command}: {problem}")


@contextlib.contextmanager
def _refusals():
    """What a service refuses becomes one line and exit 1, as the pages show it to people."""
    try:
        yield
    except ServiceError as refusal:
        _refuse(refusal.message[0].lower() + refusal.message[1:])
    except clock.TimeInputError as problem:
        _refuse(str(problem))


ISO_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


# --------------------------------------------------------------------------------------------------------------------
# audit


@cli.group("audit")
def audit_group() -> None:
    """The audit trail."""


@audit_group.command("verify")
def audit_verify() -> None:
    """Check the audit trail's hash chain and head, and every screening's seal against the audit trail's record of it;
    report what is broken, or that all is whole."""
    from screening.services import integrity

    report = integrity.check(get_db())
    chain = report.chain
    if chain.first_broken is not None:
        click.echo(f"the audit chain is broken at event {chain.first_broken}: {chain.reason}", err=True)
    for line in report.problem_lines():
        click.echo(line, err=True)
    if not report.whole:
        sys.exit(1)
    click.echo(f"the audit chain is whole: {chain.rows} events")
    if chain.last_hash:
        # The head finds rows cut from the end, unless it was cut too with the key: keep this line elsewhere as well.
        click.echo(f"last event {chain.rows}: {chain.last_hash}")
    click.echo(f"every screening's seal checks out and agrees with the audit trail: {report.screenings} screenings")


# --------------------------------------------------------------------------------------------------------------------
# slots


@cli.group("slots")
def slots_group() -> None:
    """Publish, list and cancel consultation slots (times in the clinic's time zone, CLINIC_TIMEZONE)."""


def _clinic_zone():
    try:
        return clock.zone(current_app.config["CLINIC_TIMEZONE"])
    except clock.TimeInputError as error:
        _refuse(f"CLINIC_TIMEZONE: {error}")


@slots_group.command("add")
@click.option("--start", required=True, help="First slot's start, clinic time: 2026-12-01T09:00.")
@click.option("--end", required=True, help="When the last slot must have ended, clinic time: 2026-12-01T17:00.")
@click.option("--every", default="30m", show_default=True, help="Slot length: 15m, 30m, 1h...")
@click.option("--practitioner", default="", help="Who sees the patient (shown to them).")
@click.option(
    "--kind",
    type=click.Choice(["consultation", "treatment"]),
    default="consultation",
    show_default=True,
    help="What the slots are for: the consultation, or a treatment after consent and the cooling-off.",
)
def slots_add(start: str, end: str, every: str, practitioner: str, kind: str) -> None:
    """Publish back-to-back slots on each day from START's date to END's, from START's time of day to END's;
    existing ones are kept, not doubled."""
    tz = _clinic_zone()
    with _refusals():
        first, last = clock.parse_local(start, tz), clock.parse_local(end, tz)
        published = clinic.publish_schedule(
            get_db(),
            store.SYSTEM,
            tz,
            first_day=first.date(),
            last_day=last.date(),
            opens=first.time(),
            closes=last.time(),
            every=clock.parse_every(every),
            practitioner=practitioner,
            kind=kind,
        )
    who = f" with {published.practitioner}" if published.practitioner else ""
    each = " each day" if len(published.days) > 1 else ""
    what = "treatment slot(s)" if kind == "treatment" else "slot(s)"
    click.echo(
        f"published {published.added} {what}{who} on {len(published.days)} day(s), {published.hours()}{each};"
        f" {published.existed} existed already"
    )
    for line in published.day_lines():
        click.echo(f"  {line}")


@slots_group.command("list")
@click.option("--days", default=14, show_default=True, help="How many days ahead, from today.")
def slots_list(days: int) -> None:
    """List slots from today, with whether each is free or booked."""
    tz = _clinic_zone()
    rows = clinic.slots_ahead(get_db(), tz, days)
    for row in rows:
        state = f"booked (screening {row['submission_id']})" if row["booking_id"] else "free"
        who = f" {row['practitioner']}" if row["practitioner"] else ""
        click.echo(f"{row['id']:>6}  {clock.readable(row['starts_at'], tz)}{who}  {state}")
    click.echo(f"{len(rows)} slot(s), {sum(1 for r in rows if not r['booking_id'])} free")


@slots_group.command("cancel")
@click.argument("slot_id", type=click.IntRange(1, 2**63 - 1))  # SQLite's integers: a larger id names no slot
@click.option("--reason", default="", help="Why, for the patient's email; required when the slot is booked.")
def slots_cancel(slot_id: int, reason: str) -> None:
    """Withdraw a slot; a booking it held is cancelled by the clinic, and the patient emailed with the reason."""
    _links_as_the_server_builds_them("slots cancel")
    if clinic.slot_is_booked(get_db(), slot_id) and not reason.strip():
        _refuse(f"slot {slot_id} is booked: give --reason, which the patient reads in their email")
    with _refusals():
        held = clinic.withdraw_slot(get_db(), current_app.config, store.SYSTEM, slot_id, reason)
    click.echo(f"cancelled slot {slot_id}" + (f"; booking {held['id']} cancelled with it" if held else ""))


# --------------------------------------------------------------------------------------------------------------------
# mail


@cli.group("mail")
def mail_group() -> None:
    """The outbox: email waiting to be sent (the server sends it by itself; this is for a manual push)."""


@mail_group.command("send")
def mail_send() -> None:
    """Deliver every message that is due now; failures stay queued and are retried later."""
    from screening import mail

    _links_as_the_server_builds_them("mail send")

    settings = mail.Settings.from_config(current_app.config, current_app.instance_path)
    counts = mail.deliver_due(get_db(), settings, limit=1000)
    where = f"via {settings.server}:{settings.port}" if settings.server else f"to {settings.outbox_dir}"
    click.echo(
        f"sent {counts['sent']} message(s) {where}; {counts['failed']} failed (retried later, except a message that"
        " cannot be built, which is marked failed with its reason: see the log)"
    )


# --------------------------------------------------------------------------------------------------------------------
# The data's life: backup and restore, retention purge, erasure


@cli.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(path: Path) -> None:
    """Take an online, consistent copy of the database to PATH (a new file), check it and say what it holds."""
    from flask import current_app

    from screening.services.lifecycle import backup

    try:
        summary = backup.take_backup(current_app.config["DATABASE"], path)
    except backup.BackupError as error:
        _refuse(f"backup: {error}")
    for line in summary.lines():
        click.echo(line)
    if not summary.trustworthy:  # the copy is kept (it is the evidence), but the database it copies fails its checks
        _refuse(f"backup: {path} was written, but the database fails its checks (above); run `screening audit verify`")


@cli.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that holds data or that a running server uses.")
def restore_command(path: Path, force: bool) -> None:
    """Restore the backup at PATH into the configured database, after checking its integrity and audit chain."""
    from flask import current_app

    from screening.services.lifecycle import backup

    try:
        report = backup.restore(path, current_app.config["DATABASE"], force=force)
    except backup.BackupError as error:
        _refuse(f"restore: {error}")
    click.echo(f"restored {path} into {current_app.config['DATABASE']} in {report.seconds:.2f} s")
    if report.replaced_rows:
        click.echo(f"replaced a database that held {report.replaced_rows} row(s)")
    for line in report.restored.lines()[1:]:
        click.echo(line)


@cli.command("purge")
@click.option("--dry-run", is_flag=True, help="Only count what is past its retention time; delete nothing.")
def purge_command(dry_run: bool) -> None:
    """Delete what is past its retention time (docs/retention.md), printing the counts per class."""
    from flask import current_app

    from screening.db import get_db
    from screening.services.lifecycle import retention

    report = retention.purge(
        get_db(), retention.Policy.from_config(current_app.config), dry_run=dry_run, actor={"actor_role": "system"}
    )
    for line in report.lines():
        click.echo(line)


@cli.command("erase")
@click.option("--email", required=True, help="The patient's email address, as they gave it.")
@click.option("--date-of-birth", "date_of_birth", required=True, help="The patient's date of birth, YYYY-MM-DD.")
@click.option("--yes", is_flag=True, help="Erase without asking for confirmation.")
@click.option("--restrict", is_flag=True, help="Mark the screenings the clinic must keep as restricted.")
def erase_command(email: str, date_of_birth: str, yes: bool, restrict: bool) -> None:
    """Erase a patient's screenings (and their versions), drafts and email; the audit keeps only the ids."""
    from flask import current_app

    from screening.db import get_db
    from screening.services.lifecycle import erasure

    db = get_db()
    years = float(current_app.config["RETENTION_CONSULTED_YEARS"])
    try:
        patient = erasure.plan(db, email, date_of_birth, consulted_years=years)
    except erasure.ErasureInputError as error:
        _refuse(f"erase: {error}")
    for found in patient.screenings:
        ids = ", ".join(str(i) for i in found.family.ids)
        state = f"kept: {found.retained_reason}" if found.retained_reason else "will be erased"
        flag = " (restricted)" if found.restricted else ""
        click.echo(f"screening {ids} sent {found.created_at[:10]}, {found.outcome}{flag}: {state}")
    click.echo(f"unfinished questionnaires: {patient.drafts}; email messages: {patient.messages}")
    if not yes and not click.confirm("Erase this now?", default=False):
        _refuse("erase: nothing changed")
    with _refusals():
        result = erasure.erase(
            db, patient, store.SYSTEM.event("patient_erased"), outbox_dir=Path(current_app.instance_path) / "outbox"
        )
    click.echo(
        f"erased {len(result.erased_submissions)} submission(s), {result.drafts} draft(s),"
        f" {result.messages} message(s), {result.files} outbox file(s)"
    )
    if patient.retained:
        if restrict:
            marked = erasure.restrict(db, patient, store.SYSTEM.event("submission_restricted"))
            click.echo(f"restricted {len(marked)} submission(s) the clinic must keep")
        else:
            # Not bad input, but not done either: a script that asked for erasure must notice what was kept.
            _refuse(f"kept {len(patient.retained)} screening(s) under retention; --restrict marks them restricted")


# --------------------------------------------------------------------------------------------------------------------
# FHIR R4


@cli.group("fhir")
def fhir_group() -> None:
    """FHIR R4 JSON for the clinic's records system (links use PUBLIC_URL/fhir as their base)."""


def _fhir_base() -> str:
    _links_as_the_server_builds_them("fhir")
    return current_app.config["PUBLIC_URL"].rstrip("/") + "/fhir"


@fhir_group.command("questionnaire")
def fhir_questionnaire() -> None:
    """Print the questionnaire as a FHIR Questionnaire (version = the rule-set version)."""
    from screening.services.lifecycle import fhir
    from screening.services.rules.rulebook import current_ruleset

    click.echo(fhir.to_json(fhir.questionnaire(current_ruleset(), _fhir_base())))


@fhir_group.command("bundle")
@click.argument("ref")
def fhir_bundle(ref: str) -> None:
    """Print screening REF (its number) as a FHIR Bundle: QuestionnaireResponse, DetectedIssue, decisions."""
    from screening import store
    from screening.db import get_db
    from screening.services.lifecycle import fhir
    from screening.services.rules.rulebook import current_ruleset

    if not ref.isdigit() or len(ref) > 18:
        _refuse(f"fhir bundle: '{ref}' is not a screening reference (a number)")
    try:
        found = fhir.bundle(get_db(), current_ruleset(), int(ref), _fhir_base())
    except Restricted:
        store.append_audit(
            get_db(),
            store.SYSTEM.event(
                "restricted_access_refused", outcome="denied", object_type="submission", object_id=ref, detail={}
            ),
        )
        _refuse(f"fhir bundle: screening {ref} is restricted (UK GDPR Art. 18): kept for the record, shown nowhere")
    if found is None:
        _refuse(f"fhir bundle: no screening has the reference {ref}")
    event = store.SYSTEM.event(
        "fhir_exported", object_type="submission", object_id=ref, detail={"resources": len(found["entry"])}
    )
    store.append_audit(get_db(), event)
    click.echo(fhir.to_json(found))


# --------------------------------------------------------------------------------------------------------------------
# rules test: the example screenings beside the rules (rules/tests/*.toml)


def _run_rule_tests(ruleset: RuleSet, cases_dir: Path, *, verbose: bool):
    """Run the cases in a folder; print each failure naming the case and the rules that differ; return the report."""
    from screening.domain.ruletests import RuleTestsError, format_failure, load_cases, run_cases, unknown_rule_ids

    try:
        cases = load_cases(cases_dir)
    except RuleTestsError as error:
        click.echo(f"screening: {cases_dir}: {error}", err=True)
        sys.exit(1)
    unknown = unknown_rule_ids(ruleset, cases)
    report = run_cases(ruleset, cases)
    for result in report.failures:
        click.echo(format_failure(result), err=True)
    for line in unknown:
        click.echo(f"FAIL {line}", err=True)
    if verbose:
        if report.never_fired:
            click.echo("note: no case makes these rules fire: " + ", ".join(report.never_fired))
        if report.no_near_miss:
            click.echo("note: no near-miss case for: " + ", ".join(report.no_near_miss))
    return report, unknown


def _check_rule_tests(ruleset: RuleSet, cases_dir: Path) -> None:
    if not cases_dir.is_dir():
        click.echo(f"no rule tests ({cases_dir} does not exist)")
        return
    report, unknown = _run_rule_tests(ruleset, cases_dir, verbose=False)
    total, failed = len(report.results), len(report.failures)
    if failed or unknown:
        click.echo(f"rule tests: {failed} of {total} cases failed (see `screening rules test`)", err=True)
        sys.exit(1)
    click.echo(f"{total} rule tests passed")


@rules_group.command("test", with_appcontext=False)
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--cases",
    "cases_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder of test cases (default: tests/ inside the rules folder).",
)
def rules_test(directory: Path | None, cases_dir: Path | None) -> None:
    """Run the example screenings in DIRECTORY/tests/*.toml against the rules in DIRECTORY (default: the rules folder).

    Each failing case is named with what differs (outcome, rules that fired or did not, per-treatment outcomes) and
    why it was expected. Exit status 1 when a case fails.
    """
    folder = directory or rules_dir()
    ruleset = _load(folder)
    report, unknown = _run_rule_tests(ruleset, cases_dir or folder / "tests", verbose=True)
    total, failed = len(report.results), len(report.failures)
    if failed or unknown:
        click.echo(f"{failed} of {total} cases failed", err=True)
        sys.exit(1)
    fired = len(ruleset.rules) - len(report.never_fired)
    click.echo(f"{total} cases passed; {fired} of {len(ruleset.rules)} rules fire in at least one case")


# --------------------------------------------------------------------------------------------------------------------
# rules diff: what changed between two rules folders, in words


@rules_group.command("diff", with_appcontext=False)
@click.argument("old_dir", type=click.Path(file_okay=False, path_type=Path))
@click.argument("new_dir", type=click.Path(file_okay=False, path_type=Path))
def rules_diff(old_dir: Path, new_dir: Path) -> None:
    """List the questions, rules and sources added, removed and changed from OLD_DIR to NEW_DIR, in words."""
    from screening.domain.rulediff import diff_rulesets

    result = diff_rulesets(_load(old_dir), _load(new_dir))
    click.echo(f"From {old_dir} (version {result.old_version}) to {new_dir} (version {result.new_version}):")
    for line in result.lines():
        click.echo(line)


# --------------------------------------------------------------------------------------------------------------------
# rules replay: stored screenings judged again with another rule set, without changing them


@rules_group.command("replay")
@_rules_option
@_overrides_option
@click.option("--since", default=None, help="Only screenings from this date (YYYY-MM-DD, the screening date).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON, for machines.")
def rules_replay(rules_path: Path | None, overrides_file: Path | None, since: str | None, as_json: bool) -> None:
    """Judge the stored screenings again with another rule set (default: the current one) and report what would
    change, by transition (review -> clear, ...), with the references (submission ids) affected. Nothing is changed.
    """
    import time

    from flask import current_app

    from screening.services.rules.replay import replay_database
    from screening.services.rules.rulebook import current_ruleset

    if since is not None:
        try:
            if not ISO_DATE.fullmatch(since):
                raise ValueError
            date.fromisoformat(since)
        except ValueError:
            _refuse(f"--since must be a date written YYYY-MM-DD (got {since!r})")
    if rules_path is not None or overrides_file is not None:
        ruleset = _with_overrides(_load(rules_path), overrides_file)
    else:
        ruleset = current_ruleset()  # what the server runs: the rules folder with the instance's overrides
    started = time.perf_counter()
    report = replay_database(current_app.config["DATABASE"], ruleset, since)
    elapsed = time.perf_counter() - started
    if as_json:
        click.echo(json.dumps({**report.as_json(), "seconds": round(elapsed, 3)}, indent=2))
        return
    for line in report.lines():
        click.echo(line)
    click.echo(f"({elapsed:.1f} s; nothing was changed)")


# --------------------------------------------------------------------------------------------------------------------
# overrides: instance/overrides.toml (or --overrides FILE) applied to the shipped rules


def _overrides_file(given: Path | None) -> Path | None:
    from screening.services.rules.rulebook import overrides_path

    if given is not None:
        if not given.is_file():
            click.echo(f"screening: {given}: no such overrides file", err=True)
            sys.exit(1)
        return given
    default = overrides_path(configured=os.environ.get("SCREENING_OVERRIDES_FILE"))
    return default if default.is_file() else None


def _with_overrides(ruleset: RuleSet, given: Path | None) -> RuleSet:
    """The rule set with the overrides file applied; a refused file is a clear list of problems and exit 1."""
    from screening.domain.overrides import apply_overrides, read_overrides

    path = _overrides_file(given)
    if path is None:
        return ruleset
    try:
        return apply_overrides(ruleset, read_overrides(path, ruleset))
    except RulesError as error:
        click.echo(f"screening: {path}: {error}", err=True)
        sys.exit(1)


def _check_overrides(ruleset: RuleSet, given: Path | None, cases_dir: Path) -> None:
    path = _overrides_file(given)
    if path is None:
        click.echo("no overrides")
        return
    overridden = _with_overrides(ruleset, path)
    click.echo(f"{path}: {len(overridden.overrides)} override(s) valid (version with overrides {overridden.version})")
    for override in overridden.overrides:
        click.echo(f"  {override.rule_id}: {override.describe()}")
    if cases_dir.is_dir():  # the cases describe the shipped rules; say which ones the overrides change
        from screening.domain.ruletests import load_cases, run_cases

        changed = run_cases(overridden, load_cases(cases_dir)).failures
        if changed:
            names = ", ".join(result.case.id for result in changed)
            click.echo(f"  with the overrides, {len(changed)} rule test case(s) give another result: {names}")


# --------------------------------------------------------------------------------------------------------------------
# The audit chain's key: added to an instance created before it existed


def _add_audit_key(config: Path, database: Path) -> None:
    """Append AUDIT_KEY (and how many unkeyed rows the chain holds so far) to an existing config.py, once."""
    text = config.read_text(encoding="utf-8")
    if re.search(r"^AUDIT_KEY\s*=", text, re.MULTILINE):
        return
    legacy = 0
    if database.exists():
        from screening.db import connect, migrate

        migrate(database)
        with contextlib.closing(connect(database)) as db:
            legacy = store.count_rows(db, "audit_event")
    with config.open("a", encoding="utf-8") as handle:
        handle.write(
            "\n# Keys the audit trail's hash chain (HMAC), added by `screening init`; the rows before are unkeyed.\n"
            f"AUDIT_KEY = {secrets.token_hex(32)!r}\n"
            f"AUDIT_LEGACY_ROWS = {legacy}\n"
        )
    click.echo(f"{config}: added an audit-chain key ({legacy} earlier audit events stay unkeyed)")


def _add_seed_key(config: Path) -> None:
    """Append TOTP_SEED_KEY to an existing config.py, once; seeds stored in clear are encrypted at the next start."""
    text = config.read_text(encoding="utf-8")
    if re.search(r"^TOTP_SEED_KEY\s*=", text, re.MULTILINE):
        return
    with config.open("a", encoding="utf-8") as handle:
        handle.write(
            "\n# Encrypts the clinicians' second-factor seeds in the database, added by `screening init`.\n"
            f"TOTP_SEED_KEY = {secrets.token_hex(32)!r}\n"
        )
    click.echo(f"{config}: added a key for second-factor seeds (seeds stored in clear are encrypted at next start)")
