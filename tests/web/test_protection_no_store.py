"""One rule for caching, in one place (web/protection.py): every response but the static files is `no-store`, because
pages, downloads, the .ics and the FHIR record hold health data or an appointment; the stylesheet may be cached."""

from __future__ import annotations


def test_pages_redirects_and_downloads_are_never_cached_and_the_stylesheet_may_be(client, auth):
    admin = auth.admin()
    responses = {
        "the start page": client.get("/"),
        "a redirect": client.get("/clinician/queue"),
        "the health check": client.get("/healthz"),
        "an admin page": admin.get("/clinician/admin/records"),
        "a CSV export": admin.get("/clinician/admin/records/export?since=2026-01-01&until=2026-01-31"),
    }
    assert {name: r.status_code < 400 for name, r in responses.items()} == dict.fromkeys(responses, True)
    assert {name: r.headers.get("Cache-Control") for name, r in responses.items()} == dict.fromkeys(
        responses, "no-store"
    )
    with client.get("/static/screening.css") as stylesheet:
        assert stylesheet.status_code == 200
        assert stylesheet.headers.get("Cache-Control") != "no-store"
