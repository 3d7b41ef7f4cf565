"""Write a PNG of every page of the patient and clinician journeys, at desktop and phone sizes, for people to look at.

Usage (from the project root): .venv/bin/python tests/browser/screenshots.py [--out screenshots]
`make screenshots` runs it. It serves the app with waitress on a free loopback port, with a throwaway instance.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "web")]

from browser_helpers import book_first_slot, clinician_signs_in, complete_screening  # noqa: E402
from issue11_browser import clinic_server, issue11_pages  # noqa: E402
from live_server import CHROMIUM_ARGS, LiveServer, chromium_path  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from web_helpers import answers_by_step  # noqa: E402

SIZES = {"desktop": {"width": 1280, "height": 900}, "mobile": {"width": 375, "height": 667}}


class Camera:
    """Called on every page of a journey (in place of the test checks): one full-page PNG each."""

    def __init__(self, folder: Path, size: str):
        self.folder, self.size, self.count = folder, size, 0
        self.visited: list[str] = []

    def __call__(self, page) -> None:
        page.wait_for_load_state("load")
        self.count += 1
        path = re.sub(r"[^a-z0-9]+", "-", page.url.split("//", 1)[-1].split("/", 1)[-1].lower()).strip("-") or "start"
        page.screenshot(path=str(self.folder / f"{self.size}-{self.count:02d}-{path}.png"), full_page=True)
        self.visited.append(page.url)


def journeys(browser, server: LiveServer, folder: Path, size: str) -> int:
    camera = Camera(folder, size)
    options = {"viewport": SIZES[size], "is_mobile": size == "mobile", "has_touch": size == "mobile"}
    patient = browser.new_context(**options).new_page()
    complete_screening(patient, server.url, answers_by_step("both", upcoming_event="yes"), camera)
    book_first_slot(patient, camera)
    issue11_pages(browser, server.url, camera, options)
    reviewed = browser.new_context(**options).new_page()
    complete_screening(reviewed, server.url, answers_by_step("toxin", neuro_conditions=["multiple_sclerosis"]), camera)
    errors = browser.new_context(**options).new_page()
    errors.goto(server.url + "/")
    errors.get_by_role("button", name="Start now").click()
    errors.get_by_role("button", name="Continue").click()
    camera(errors)
    errors.goto(server.url + "/returning")
    camera(errors)
    clinician = browser.new_context(**options).new_page()
    clinician_signs_in(clinician, server.url, camera)
    clinician.locator("a", has_text="Screening").first.click()
    camera(clinician)
    for path in (
        "/clinician/cautions",
        "/clinician/admin/slots",
        "/clinician/admin/clinicians",
        "/clinician/admin/audit",
    ):
        clinician.goto(server.url + path)
        camera(clinician)
    return camera.count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("screenshots"))
    args = parser.parse_args()
    executable = chromium_path()
    if executable is None:
        sys.exit("screenshots: Debian's chromium is not installed (apt-get install chromium)")
    args.out.mkdir(parents=True, exist_ok=True)
    for old in args.out.glob("*.png"):
        old.unlink()
    with tempfile.TemporaryDirectory() as instance:
        server: LiveServer = clinic_server(Path(instance))  # with the clinic's address and phone, slots on 2 days
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
                total = sum(journeys(browser, server, args.out, size) for size in SIZES)
                browser.close()
        finally:
            server.stop()
    print(f"wrote {total} screenshots to {args.out}/")


if __name__ == "__main__":
    main()
