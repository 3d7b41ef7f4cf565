"""Whole patient journeys against the product and against a floor app: server CPU per request, throughput, latency.

Usage: .venv/bin/python bench/journey.py [--journeys 80] [--patients 8] [--rounds 2] [--max-seconds 240] [--json]
                                        [--project DIR]  (serve another copy of the code, e.g. an older commit)

Serves the product the way `make run` does (`screening init` into a throwaway instance folder, then
`waitress-serve --threads=8 --call screening:create_app`, rate limits off for the run), and beside it the floor app in
bench/floor_app.py (Flask, one SQLite INSERT per request with WAL and synchronous=FULL on a connection kept per
thread) on the same server with the same threads. The same client drives both in the same run, in alternating
rounds: patients (threads) each walk whole screenings with JavaScript off (start page, Start now, each step's form
with its CSRF token, details, check your answers and sign, the result page), as many journeys as asked or until the
time is up. The floor gets the same requests in the same order (same methods, same form bodies), one INSERT each.

Reports for both: requests per second, p50/p95 latency, and the server process's CPU (utime + stime from
/proc/<pid>/stat, before and after each round) per request, and the ratio product/floor. Any failed request (a
status other than the one expected, a missing form, a journey that does not end on the result page with its
outcome) stops the run with a non-zero exit. Talks only to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import platform
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from http.cookies import CookieError, SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
BIN = ROOT / ".venv" / "bin"  # the project's .venv, as `make run` uses (make install creates it)
HOST = "127.0.0.1"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
RESULT_PATH = "/your-result"
# The result page's heading for a patient who can book (templates/intake/result.html).
CLEAR_HEADING = "You can book a consultation"
MAX_PAGES = 40  # a journey that has not reached the result page after this many pages is an error


# --------------------------------------------------------------------------------------------------------------------
# The patient: a clear baseline, nothing clinical varied


def clear_patient(today: date) -> tuple[dict[str, object], dict[str, str]]:
    """A 34-year-old woman asking for toxin on the forehead, answering no or none to everything; and her details."""
    anchor = today.replace(day=1)
    born = anchor.replace(year=anchor.year - 34) - timedelta(days=40)  # 34 years old, whatever today is
    answers: dict[str, object] = {
        "date_of_birth": born,
        "treatment_requested": "toxin",
        "toxin_areas": ["forehead"],
        "sex_at_birth": "female",
        "pregnant": "no",
        "trying_to_conceive": "no",
        "breastfeeding": "no",
        "has_allergies": "no",
        "neuro_conditions": ["none"],
        "swallow_breath_problems": "no",
        "heart_condition": "no",
        "eye_face_history": ["none"],
        "blood_thinners": ["none"],
        "toxin_interacting_meds": ["none"],
        "current_medicines": "",
        "skin_problem_at_site": ["none"],
        "cold_sore_now": "no",
        "bleeding_disorder": "no",
        "previous_toxin": "no",
        "unwell_now": "no",
        "upcoming_event": "no",
        "bdd_diagnosis": "no",
        "appearance_preoccupation": "no",
    }
    details = {"full_name": "Jane Example", "email": "jane@example.org", "phone": "07700 900 982"}
    return answers, details


def form_data(fields: list[tuple[str, str, str]], answers: dict[str, object], details: dict[str, str]) -> list:
    """What a browser without JavaScript would send for this form: hidden fields as given, then our answers to the
    questions the form asks (a date as three boxes, a multi choice as repeated fields), details, and the signature."""
    names = {name for name, _, _ in fields}
    data: list[tuple[str, str]] = [(name, value) for name, kind, value in fields if kind == "hidden"]
    for name, value in answers.items():
        if isinstance(value, date):
            parts = {"day": value.day, "month": value.month, "year": value.year}
            data += [(f"{name}-{part}", str(number)) for part, number in parts.items() if f"{name}-{part}" in names]
        elif name in names:
            data += [(name, item) for item in value] if isinstance(value, list) else [(name, str(value))]
    data += [(name, value) for name, value in details.items() if name in names]
    if "signature" in names:
        data.append(("signature", details["full_name"]))
    if "confirm" in names:
        data.append(("confirm", "y"))
    return data


class _Page(HTMLParser):
    """The first POST form of a page (its action and fields) and the text of its first h1."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.action: str | None = None
        self.fields: list[tuple[str, str, str]] = []
        self.heading = ""
        self._in_form = False
        self._forms = 0
        self._h1 = 0

    def handle_starttag(self, tag, attrs):
        attributes = {key: value or "" for key, value in attrs}
        if tag == "form" and attributes.get("method", "get").lower() == "post":
            self._forms += 1
            if self._forms == 1:
                self._in_form = True
                self.action = attributes.get("action", "")
        elif tag in ("input", "textarea", "select") and self._in_form and attributes.get("name"):
            kind = attributes.get("type", tag).lower()
            self.fields.append((attributes["name"], kind, attributes.get("value", "")))
        elif tag == "h1":
            self._h1 += 1

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        elif tag == "h1" and self._h1 == 1:
            self._h1 = 2

    def handle_data(self, data):
        if self._h1 == 1:
            self.heading += data


def parse_page(body: bytes) -> _Page:
    page = _Page()
    page.feed(body.decode("utf-8", "replace"))
    page.close()
    page.heading = " ".join(page.heading.split())
    return page


# --------------------------------------------------------------------------------------------------------------------
# The client: one keep-alive connection per patient, cookies kept by hand


class JourneyError(RuntimeError):
    pass


@dataclass
class Reply:
    status: int
    location: str
    body: bytes


class Browser:
    """A browser with JavaScript off, as far as the server can tell: keep-alive HTTP/1.1 to 127.0.0.1, and cookies.

    The product's session cookie is `__Host-session` with Secure. A browser sends Secure cookies to
    http://127.0.0.1 (loopback counts as a secure context); http.cookiejar would not, so cookies are kept here by
    name, ignoring Secure, and sent back on every request. Only this one loopback host is ever spoken to.
    """

    def __init__(self, port: int, latencies: list[float]):
        self.port = port
        self.latencies = latencies
        self.cookies: dict[str, str] = {}
        self.connection: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def request(self, method: str, path: str, data: list | None = None) -> Reply:
        headers = {"Host": f"{HOST}:{self.port}", "Accept": "text/html", "User-Agent": "bench-journey"}
        body = None
        if data is not None:
            body = urlencode(data).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = f"http://{HOST}:{self.port}"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        if self.connection is None:
            self.connection = http.client.HTTPConnection(HOST, self.port, timeout=60)
        started = time.perf_counter()
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            content = response.read()
        except (OSError, http.client.HTTPException) as error:
            self.close()
            raise JourneyError(f"{method} {path}: {type(error).__name__}: {error}") from error
        self.latencies.append(time.perf_counter() - started)
        for header in response.msg.get_all("Set-Cookie") or []:
            self._keep(header)
        if response.getheader("Connection", "").lower() == "close":
            self.close()
        location = urlsplit(response.getheader("Location", ""))
        return Reply(response.status, location.path + (f"?{location.query}" if location.query else ""), content)

    def _keep(self, header: str) -> None:
        jar = SimpleCookie()
        try:
            jar.load(header)
        except CookieError as error:
            raise JourneyError(f"unreadable Set-Cookie header: {error}") from error
        for name, morsel in jar.items():
            gone = morsel.value == "" or morsel["max-age"] == "0" or "1970" in morsel["expires"]
            if gone:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = morsel.value


def expect(reply: Reply, status: int, what: str) -> Reply:
    if reply.status != status:
        snippet = reply.body[:300].decode("utf-8", "replace")
        raise JourneyError(f"{what}: expected {status}, got {reply.status} {reply.location} {snippet!r}")
    return reply


def product_journey(browser: Browser, answers: dict, details: dict, script: list | None = None) -> str:
    """One whole screening through the real pages; returns the result page's heading. When `script` is a list, every
    request made is appended to it as (method, form data) for the floor to replay."""

    def send(method: str, path: str, data: list | None = None) -> Reply:
        if script is not None:
            script.append((method, data))
        return browser.request(method, path, data)

    browser.cookies.clear()
    start = parse_page(expect(send("GET", "/"), 200, "GET /").body)
    if start.action is None:
        raise JourneyError("the start page has no form")
    path = expect(send("POST", start.action or "/", form_data(start.fields, {}, {})), 303, "POST start").location
    for _ in range(MAX_PAGES):
        page = expect(send("GET", path), 200, f"GET {path}")
        parsed = parse_page(page.body)
        if urlsplit(path).path == RESULT_PATH:
            if not parsed.heading:
                raise JourneyError("the result page shows no outcome heading")
            return parsed.heading
        if parsed.action is None:
            raise JourneyError(f"{path} has no form and is not the result page")
        action = parsed.action or path
        reply = send("POST", action, form_data(parsed.fields, answers, details))
        path = expect(reply, 303, f"POST {action}").location
    raise JourneyError(f"no result page after {MAX_PAGES} pages")


def floor_journey(browser: Browser, script: list) -> None:
    """The same requests in the same order against the floor: same methods, same form bodies."""
    for step, (method, data) in enumerate(script):
        if method == "GET":
            expect(browser.request("GET", f"/page/{step}"), 200, f"floor GET {step}")
        else:
            expect(browser.request("POST", f"/page/{step}?next=/page/{step + 1}", data), 303, f"floor POST {step}")


# --------------------------------------------------------------------------------------------------------------------
# Servers


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def server_cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc/<pid>/stat (fields 14 and 15; the name in field 2 may hold spaces)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


class Server:
    def __init__(self, name: str, call: str, cwd: Path, env: dict[str, str], threads: int):
        self.name = name
        self.port = free_port()
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - open as long as the server runs; closed in stop()
        command = [str(BIN / "waitress-serve"), f"--listen={HOST}:{self.port}", f"--threads={threads}", "--call", call]
        self.process = subprocess.Popen(command, cwd=cwd, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_until_up(self, path: str) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise JourneyError(f"the {self.name} server exited with {self.process.returncode}:\n{self.output()}")
            try:
                with closing(http.client.HTTPConnection(HOST, self.port, timeout=2)) as connection:
                    connection.request("GET", path)
                    if connection.getresponse().status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise JourneyError(f"the {self.name} server did not answer {path} within 60 s:\n{self.output()}")

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")[-3000:]

    def cpu(self) -> float:
        return server_cpu_seconds(self.process.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def clean_env() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if not key.startswith(("SCREENING_", "FLASK_", "FLOOR_"))}


def start_product(folder: Path, threads: int, project: Path | None) -> Server:
    env = clean_env() | {"SCREENING_INSTANCE_PATH": str(folder / "instance")}
    if project is not None:  # serve another copy of the code (its screening package, templates and rules)
        project = project.resolve()
        if not (project / "screening" / "__init__.py").is_file():
            raise JourneyError(f"--project {project}: no screening package there")
        env["PYTHONPATH"] = str(project)
    cwd = project or ROOT
    done = subprocess.run(
        [str(BIN / "screening"), "init"], cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    if done.returncode != 0:
        raise JourneyError(f"screening init failed:\n{done.stdout}{done.stderr}")
    # Flask's from_prefixed_env parses values as JSON: "false" is False. Nothing else differs from `make run`.
    env |= {"SCREENING_RATELIMIT_ENABLED": "false", "SCREENING_PUBLIC_URL": "http://127.0.0.1:5000"}
    return Server("product", "screening:create_app", cwd, env, threads)


def start_floor(folder: Path, threads: int) -> Server:
    env = clean_env() | {"FLOOR_DATABASE": str(folder / "floor.sqlite3")}
    return Server("floor", "floor_app:create_app", BENCH, env, threads)


# --------------------------------------------------------------------------------------------------------------------
# Driving


@dataclass
class Tally:
    requests: int = 0
    journeys: int = 0
    seconds: float = 0.0
    server_cpu: float = 0.0
    client_cpu: float = 0.0
    latencies: list[float] = field(default_factory=list)
    headings: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict[str, float | int]:
        ordered = sorted(self.latencies)
        return {
            "journeys": self.journeys,
            "requests": self.requests,
            "requests_per_journey": self.requests / self.journeys if self.journeys else 0,
            "seconds": round(self.seconds, 2),
            "requests_per_second": round(self.requests / self.seconds, 1) if self.seconds else 0.0,
            "p50_ms": round(1000 * statistics.median(ordered), 2) if ordered else 0.0,
            "p95_ms": round(1000 * ordered[math.ceil(0.95 * len(ordered)) - 1], 2) if ordered else 0.0,  # nearest rank
            "server_cpu_ms_per_request": round(1000 * self.server_cpu / self.requests, 3) if self.requests else 0.0,
            "client_cpu_ms_per_request": round(1000 * self.client_cpu / self.requests, 3) if self.requests else 0.0,
        }


def run_round(server: Server, journeys: int, patients: int, deadline: float, journey, tally: Tally) -> None:
    """`journeys` journeys shared among `patients` threads; no new journey starts after `deadline`."""
    lock = threading.Lock()
    remaining = [journeys]
    errors: list[BaseException] = []
    latencies: list[list[float]] = [[] for _ in range(patients)]
    headings: dict[str, int] = {}

    def patient(index: int) -> None:
        browser = Browser(server.port, latencies[index])
        try:
            while not errors:
                with lock:
                    if remaining[0] <= 0 or time.monotonic() > deadline:
                        return
                    remaining[0] -= 1
                heading = journey(browser)
                with lock:
                    tally.journeys += 1
                    if heading:
                        headings[heading] = headings.get(heading, 0) + 1
        except BaseException as error:  # noqa: BLE001 - collected and raised in the main thread
            errors.append(error)
        finally:
            browser.close()

    threads = [threading.Thread(target=patient, args=(index,), daemon=True) for index in range(patients)]
    cpu_before, client_before, started = server.cpu(), _client_cpu(), time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    tally.seconds += time.perf_counter() - started
    tally.server_cpu += server.cpu() - cpu_before
    tally.client_cpu += _client_cpu() - client_before
    for own in latencies:
        tally.latencies += own
        tally.requests += len(own)
    for heading, count in headings.items():
        tally.headings[heading] = tally.headings.get(heading, 0) + count
    if errors:
        raise JourneyError(f"{server.name}: {errors[0]}") from errors[0]


def _client_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--journeys", type=int, default=80, help="journeys per app (default 80)")
    parser.add_argument("--patients", type=int, default=8, help="concurrent patients, one thread each (default 8)")
    parser.add_argument("--threads", type=int, default=8, help="waitress threads per server (default 8, as make run)")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds per app (default 2)")
    parser.add_argument("--max-seconds", type=float, default=240, help="time limit per app, all rounds (default 240)")
    parser.add_argument(
        "--project",
        type=Path,
        help="serve the screening package of another copy of the project (e.g. an export of an older commit) with"
        " this project's .venv; default: this checkout",
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON instead of a table")
    parser.add_argument("--tiny", action="store_true", help="a few seconds' run the test suite makes")
    args = parser.parse_args()
    if args.tiny:
        args.journeys, args.patients, args.rounds = 2, 1, 1
    if min(args.journeys, args.patients, args.threads, args.rounds) < 1 or args.max_seconds <= 0:
        parser.error("--journeys, --patients, --threads, --rounds and --max-seconds must be positive")
    if not (BIN / "waitress-serve").exists() or not (BIN / "screening").exists():
        parser.error(f"no waitress-serve or screening in {BIN}: run `make install` first")
    if not Path("/proc/self/stat").exists():
        parser.error("needs /proc (Linux) to read the server's CPU time")

    answers, details = clear_patient(datetime.now(UTC).date())
    folder = Path(tempfile.mkdtemp(prefix="bench-journey-"))
    servers: list[Server] = []
    try:
        product = start_product(folder, args.threads, args.project)
        servers.append(product)
        floor = start_floor(folder, args.threads)
        servers.append(floor)
        product.wait_until_up("/healthz")
        floor.wait_until_up("/")

        # Warm up both (first requests import modules and compile templates) and record the product's requests,
        # which the floor then replays. Nothing here is measured.
        script: list = []
        warm = Browser(product.port, [])
        heading = product_journey(warm, answers, details, script)
        warm.close()
        if heading != CLEAR_HEADING:
            raise JourneyError(f"the clear patient's result page says {heading!r}, expected {CLEAR_HEADING!r}")
        warm_up = Tally()
        run_round(product, args.patients, args.patients, time.monotonic() + 60, _product(answers, details), warm_up)
        run_round(floor, args.patients, args.patients, time.monotonic() + 60, _floor(script), Tally())

        tallies = {"product": Tally(), "floor": Tally()}
        jobs = {"product": (product, _product(answers, details)), "floor": (floor, _floor(script))}
        per_round = [args.journeys // args.rounds + (i < args.journeys % args.rounds) for i in range(args.rounds)]
        for count in per_round:
            for name in ("product", "floor"):
                server, journey = jobs[name]
                deadline = time.monotonic() + args.max_seconds / args.rounds
                run_round(server, count, args.patients, deadline, journey, tallies[name])
        results = report(args, tallies, len(script))
    except JourneyError as error:
        print(f"bench/journey.py: FAILED: {error}", file=sys.stderr)
        for server in servers:
            print(f"--- {server.name} server output ---\n{server.output()}", file=sys.stderr)
        return 1
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print_table(results)
    return 0


def _product(answers: dict, details: dict):
    def journey(browser: Browser) -> str:
        heading = product_journey(browser, answers, details)
        if heading != CLEAR_HEADING:
            raise JourneyError(f"the result page says {heading!r}, expected {CLEAR_HEADING!r}")
        return heading

    return journey


def _floor(script: list):
    def journey(browser: Browser) -> str:
        floor_journey(browser, script)
        return ""

    return journey


def report(args, tallies: dict[str, Tally], requests_per_journey: int) -> dict:
    product, floor = (tallies[name].summary() for name in ("product", "floor"))
    short = {name: tally.journeys for name, tally in tallies.items() if tally.journeys < args.journeys}
    if any(tally.journeys == 0 for tally in tallies.values()):
        raise JourneyError(f"no journey finished within the time limit: {short}")

    def ratio(key: str) -> float:
        return round(product[key] / floor[key], 2) if floor[key] else 0.0

    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}",
        "command": "bench/journey.py " + " ".join(sys.argv[1:]),
        "patients": args.patients,
        "server_threads": args.threads,
        "rounds": args.rounds,
        "requests_per_journey": requests_per_journey,
        "outcomes": tallies["product"].headings,
        "stopped_by_time_limit": short,
        "product": product,
        "floor": floor,
        "ratio_product_to_floor": {
            "server_cpu_ms_per_request": ratio("server_cpu_ms_per_request"),
            "requests_per_second": ratio("requests_per_second"),
            "p50_ms": ratio("p50_ms"),
            "p95_ms": ratio("p95_ms"),
        },
    }


def print_table(results: dict) -> None:
    print(
        f"{results['date']}; {results['machine']}; {results['patients']} patients, waitress --threads="
        f"{results['server_threads']}, {results['rounds']} alternating rounds; "
        f"{results['requests_per_journey']} requests per journey"
    )
    rows = [
        ("journeys", "journeys", "{:d}"),
        ("requests", "requests", "{:d}"),
        ("requests/s", "requests_per_second", "{:.1f}"),
        ("p50 latency (ms)", "p50_ms", "{:.1f}"),
        ("p95 latency (ms)", "p95_ms", "{:.1f}"),
        ("server CPU ms/request", "server_cpu_ms_per_request", "{:.2f}"),
        ("client CPU ms/request", "client_cpu_ms_per_request", "{:.2f}"),
    ]
    ratios = results["ratio_product_to_floor"]
    print(f"{'':24}{'product':>10}{'floor':>10}{'product/floor':>15}")
    for label, key, style in rows:
        ratio = f"{ratios[key]:.2f}" if key in ratios else ""
        product, floor = results["product"][key], results["floor"][key]
        print(f"{label:24}{style.format(product):>10}{style.format(floor):>10}{ratio:>15}")
    print("outcomes shown:", ", ".join(f"{heading!r} x{count}" for heading, count in results["outcomes"].items()))
    if results["stopped_by_time_limit"]:
        print("stopped by the time limit before all journeys:", results["stopped_by_time_limit"])


if __name__ == "__main__":
    sys.exit(main())
