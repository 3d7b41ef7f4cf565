"""The `screening` command: a thin layer over the domain and the app factory."""

from __future__ import annotations

import json
import os
import re
import secrets
import sys
from datetime import date
from pathlib import Path
from typing import Any

import click
from flask.cli import FlaskGroup

from .app import PROJECT_ROOT, ConfigurationError, create_app, rules_dir
from .domain import InvalidAnswers, RulesError, RuleSet, evaluate_screening, load_ruleset

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class ScreeningGroup(FlaskGroup):
    """Flask's group, except that listing commands (for --help) never loads the app: help works before set-up."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load_plugin_commands()
        return sorted(click.Group.list_commands(self, ctx))


@click.group(cls=ScreeningGroup, create_app=create_app, add_version_option=False)
def cli() -> None:
    """Pre-consultation screening for aesthetic injectables."""


def main() -> None:
    """Console entry point: a refusal to start is a clear message and exit 1, never a traceback."""
    # Commands are short-lived: only the server runs the mail sender (`screening mail send` delivers by hand).
    os.environ.setdefault("SCREENING_MAIL_SENDER", "false")
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


@rules_group.command("check", with_appcontext=False)
@_rules_option
@click.option(
    "--overrides",
    "overrides_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The clinic's overrides to validate (default: overrides.toml in the instance folder, when present).",
)
def rules_check(rules_path: Path | None, overrides_file: Path | None = None) -> None:
    """Load and validate the rules files; print what they hold, or every problem found."""
    ruleset = _load(rules_path)
    questionnaire = ruleset.questionnaire
    counts = ", ".join(f"{level} {n}" for level, n in ruleset.counts().items())
    click.echo(f"{rules_path or rules_dir()}: the rules are valid (version {ruleset.version})")
    click.echo(f"{len(questionnaire.questions)} questions in {len(questionnaire.sections)} sections")
    click.echo(f"{len(ruleset.rules)} rules: {counts}")
    click.echo(f"{len(ruleset.sources)} sources")
    _check_rule_tests(ruleset, Path(rules_path or rules_dir()) / "tests")
    _check_overrides(ruleset, overrides_file, Path(rules_path or rules_dir()) / "tests")


# --------------------------------------------------------------------------------------------------------------------
# evaluate


@cli.command("evaluate", with_appcontext=False)
@click.argument("file")
@_rules_option
@click.option(
    "--overrides",
    "overrides_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The clinic's overrides (default: overrides.toml in the instance folder, when present).",
)
def evaluate(file: str, rules_path: Path | None, overrides_file: Path | None = None) -> None:
    """Evaluate screening cases from a JSON FILE (or - for stdin) and print the results as JSON.

    FILE holds one case or a list of cases, each {"id"?, "screening_date"? (YYYY-MM-DD, default today), "answers":
    {question_id: value}}. Exit status: 0 all cases evaluated, 1 a case had bad answers, 2 unreadable input.
    """
    name = "standard input" if file == "-" else file
    try:
        text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
    except OSError as error:
        _fail(f"cannot read {name}: {error.strerror or error}")
    except UnicodeDecodeError:
        _fail(f"cannot read {name}: not UTF-8 text")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        _fail(f"{name} is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}")
    if isinstance(data, dict):
        cases = [data]
    elif isinstance(data, list):
        cases = data
    else:
        _fail(f"{name} must hold a case object or a list of cases, not {type(data).__name__}")

    ruleset = _with_overrides(_load(rules_path), overrides_file)
    results = [evaluate_case(ruleset, case, position) for position, case in enumerate(cases, start=1)]
    click.echo(json.dumps(results, indent=2, ensure_ascii=False))
    sys.exit(1 if any("error" in result for result in results) else 0)


def _fail(message: str) -> None:
    click.echo(f"screening evaluate: {message}", err=True)
    sys.exit(2)


def evaluate_case(ruleset: RuleSet, case: Any, position: int) -> dict[str, Any]:
    """Evaluate one case object; a problem with it becomes {"id", "error"} naming the question and value."""
    if not isinstance(case, dict):
        return {"id": None, "error": f"case {position} must be an object with 'answers'"}
    case_id = case.get("id")
    answers = case.get("answers")
    if not isinstance(answers, dict):
        return {"id": case_id, "error": "'answers' must be an object of question_id: value"}
    raw_date = case.get("screening_date")
    if raw_date is None:
        screening_date = date.today()
    else:
        try:
            screening_date = date.fromisoformat(raw_date) if isinstance(raw_date, str) else None
        except ValueError:
            screening_date = None
        if screening_date is None or not ISO_DATE.fullmatch(raw_date):
            return {"id": case_id, "error": f"screening_date must be a date written YYYY-MM-DD (got {raw_date!r})"}
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
    from .db import migrate

    folder = instance_path or Path(os.environ.get("SCREENING_INSTANCE_PATH") or PROJECT_ROOT / "instance")
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)  # the database and the secret key are for this service's user only
    config = folder / "config.py"
    try:
        descriptor = os.open(config, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # never readable by others
    except FileExistsError:
        click.echo(f"{config}: kept")
    else:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(
                "# Instance settings for this clinic. Keep this file private: it holds the session-signing key.\n"
                f"SECRET_KEY = {secrets.token_hex(32)!r}\n"
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


def _cli_event(action: str, **detail: Any):
    from .store import AuditEvent

    return AuditEvent(action=action, actor_role="system", detail={"via": "cli", **detail})


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
    from . import auth, store
    from .db import get_db

    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt="Repeat the password")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    email = email.strip().lower()
    if not ISO_EMAIL.fullmatch(email):
        _refuse(f"'{email}' is not an email address")
    if not name.strip():
        _refuse("--name must not be empty")
    problem = auth.password_problem(password, email=email, name=name)
    if problem:
        _refuse(problem)
    try:
        store.add_clinician(
            get_db(),
            email=email,
            name=name,
            role=role,
            password_hash=auth.hash_password(password),
            audit=_cli_event("clinician_created", role=role),
        )
    except store.DuplicateClinician:
        _refuse(f"a clinician with the email {email} exists already")
    click.echo(f"added {role} {name} <{email}>")


@clinician_group.command("disable")
@click.argument("email")
def clinician_disable(email: str) -> None:
    """Disable a clinician's account and end their sessions at once."""
    from . import store
    from .db import get_db

    clinician = store.clinician_by_email(get_db(), email)
    if clinician is None:
        _refuse(f"no clinician has the email {email.strip().lower()}")
    ended = store.disable_clinician(get_db(), clinician["id"], _cli_event("clinician_disabled"))
    click.echo(f"disabled {clinician['name']} <{clinician['email']}>; {ended} active session(s) ended")


@clinician_group.command("require-code")
@click.argument("email")
@click.option("--off", is_flag=True, help="No longer require a sign-in code.")
def clinician_require_code(email: str, off: bool) -> None:
    """Require a second factor (a 6-digit code from an authenticator app) at the clinician's next sign-in."""
    from . import store
    from .db import get_db

    clinician = store.clinician_by_email(get_db(), email)
    if clinician is None:
        _refuse(f"no clinician has the email {email.strip().lower()}")
    store.set_totp_required(
        get_db(), clinician["id"], not off, _cli_event("totp_requirement_changed", required=not off)
    )
    click.echo(f"{clinician['email']}: sign-in code {'not required' if off else 'required'}")


def _refuse(message: str) -> None:
    click.echo(f"screening: {message}", err=True)
    sys.exit(1)


ISO_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


# --------------------------------------------------------------------------------------------------------------------
# audit


@cli.group("audit")
def audit_group() -> None:
    """The audit trail."""


@audit_group.command("verify")
def audit_verify() -> None:
    """Check the audit trail's hash chain; report the first broken link, or that the chain is whole."""
    from . import store
    from .db import get_db

    report = store.verify_audit_chain(get_db())
    if report.first_broken is None:
        click.echo(f"the audit chain is whole: {report.rows} events")
        if report.last_hash:
            # A chain proves nothing about rows cut from its end: keep this line somewhere else to compare later.
            click.echo(f"last event {report.rows}: {report.last_hash}")
        return
    click.echo(f"the audit chain is broken at event {report.first_broken}: {report.reason}", err=True)
    sys.exit(1)


# --------------------------------------------------------------------------------------------------------------------
# slots


@cli.group("slots")
def slots_group() -> None:
    """Publish, list and cancel consultation slots (times in the clinic's time zone, CLINIC_TIMEZONE)."""


def _clinic_zone():
    from flask import current_app

    from . import clinic_time

    try:
        return clinic_time.zone(current_app.config["CLINIC_TIMEZONE"])
    except clinic_time.TimeInputError as error:
        _refuse(f"CLINIC_TIMEZONE: {error}")


@slots_group.command("add")
@click.option("--start", required=True, help="First slot's start, clinic time: 2026-12-01T09:00.")
@click.option("--end", required=True, help="When the last slot must have ended, clinic time: 2026-12-01T17:00.")
@click.option("--every", default="30m", show_default=True, help="Slot length: 15m, 30m, 1h...")
@click.option("--practitioner", default="", help="Who sees the patient (shown to them).")
def slots_add(start: str, end: str, every: str, practitioner: str) -> None:
    """Publish back-to-back slots between START and END; existing ones are kept, not doubled."""
    from . import clinic_time, store
    from .db import get_db

    tz = _clinic_zone()
    try:
        slots = clinic_time.make_slots(
            clinic_time.parse_local(start, tz), clinic_time.parse_local(end, tz), clinic_time.parse_every(every)
        )
    except clinic_time.TimeInputError as error:
        _refuse(str(error))
    added = store.add_slots(get_db(), slots, practitioner.strip(), _cli_event("slots_added"))
    who = f" with {practitioner.strip()}" if practitioner.strip() else ""
    click.echo(f"published {added} slot(s){who}; {len(slots) - added} existed already")


@slots_group.command("list")
@click.option("--days", default=14, show_default=True, help="How many days ahead, from today.")
def slots_list(days: int) -> None:
    """List slots from today, with whether each is free or booked."""
    from datetime import timedelta

    from . import clinic_time, store
    from .db import get_db

    tz = _clinic_zone()
    today = clinic_time.today_in(tz)
    rows = store.slots_between(
        get_db(), clinic_time.day_start_utc(today, tz), clinic_time.day_start_utc(today + timedelta(days=days), tz)
    )
    for row in rows:
        state = f"booked (screening {row['submission_id']})" if row["booking_id"] else "free"
        who = f" {row['practitioner']}" if row["practitioner"] else ""
        click.echo(f"{row['id']:>6}  {clinic_time.readable(row['starts_at'], tz)}{who}  {state}")
    click.echo(f"{len(rows)} slot(s), {sum(1 for r in rows if not r['booking_id'])} free")


@slots_group.command("cancel")
@click.argument("slot_id", type=int)
def slots_cancel(slot_id: int) -> None:
    """Withdraw a slot; a booking it held is cancelled by the clinic, and the patient sees it on their page."""
    from . import store
    from .db import get_db

    if store.get_slot(get_db(), slot_id) is None:
        _refuse(f"no slot has the id {slot_id}")
    from . import appointments

    booking = store.cancel_slot(
        get_db(), slot_id, _cli_event("slot_cancelled"), mails_for=appointments.clinic_cancellation(slot_id)
    )
    click.echo(f"cancelled slot {slot_id}" + (f"; booking {booking} cancelled with it" if booking else ""))


# --------------------------------------------------------------------------------------------------------------------
# mail


@cli.group("mail")
def mail_group() -> None:
    """The outbox: email waiting to be sent (the server sends it by itself; this is for a manual push)."""


@mail_group.command("send")
def mail_send() -> None:
    """Deliver every message that is due now; failures stay queued and are retried later."""
    from flask import current_app

    from . import mail
    from .db import get_db

    settings = mail.Settings.from_config(current_app.config, current_app.instance_path)
    counts = mail.deliver_due(get_db(), settings, limit=1000)
    where = f"via {settings.server}:{settings.port}" if settings.server else f"to {settings.outbox_dir}"
    click.echo(f"sent {counts['sent']} message(s) {where}; {counts['failed']} failed and will be retried")


# --------------------------------------------------------------------------------------------------------------------
# rules test: the example screenings beside the rules (rules/tests/*.toml)


def _run_rule_tests(ruleset: RuleSet, cases_dir: Path, *, verbose: bool):
    """Run the cases in a folder; print each failure naming the case and the rules that differ; return the report."""
    from .domain.ruletests import RuleTestsError, format_failure, load_cases, run_cases, unknown_rule_ids

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
    from .domain.rulediff import diff_rulesets

    result = diff_rulesets(_load(old_dir), _load(new_dir))
    click.echo(f"From {old_dir} (version {result.old_version}) to {new_dir} (version {result.new_version}):")
    for line in result.lines():
        click.echo(line)


# --------------------------------------------------------------------------------------------------------------------
# rules replay: stored screenings judged again with another rule set, without changing them


@rules_group.command("replay")
@_rules_option
@click.option(
    "--overrides",
    "overrides_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Overrides to apply with --rules (default: overrides.toml in the instance folder, when present).",
)
@click.option("--since", default=None, help="Only screenings from this date (YYYY-MM-DD, the screening date).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON, for machines.")
def rules_replay(rules_path: Path | None, overrides_file: Path | None, since: str | None, as_json: bool) -> None:
    """Judge the stored screenings again with another rule set (default: the current one) and report what would
    change, by transition (review -> clear, ...), with the references (submission ids) affected. Nothing is changed.
    """
    import time

    from flask import current_app

    from .app import current_ruleset
    from .replaying import replay_database

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
    from .rulebook import overrides_path

    if given is not None:
        if not given.is_file():
            click.echo(f"screening: {given}: no such overrides file", err=True)
            sys.exit(1)
        return given
    default = overrides_path(configured=os.environ.get("SCREENING_OVERRIDES_FILE"))
    return default if default.is_file() else None


def _with_overrides(ruleset: RuleSet, given: Path | None) -> RuleSet:
    """The rule set with the overrides file applied; a refused file is a clear list of problems and exit 1."""
    from .domain.overrides import apply_overrides, read_overrides

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
        from .domain.ruletests import load_cases, run_cases

        changed = run_cases(overridden, load_cases(cases_dir)).failures
        if changed:
            names = ", ".join(result.case.id for result in changed)
            click.echo(f"  with the overrides, {len(changed)} rule test case(s) give another result: {names}")
