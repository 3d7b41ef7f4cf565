"""Every page of the clinic's day opens for the people allowed to see it."""

from __future__ import annotations

from tests.journeys import booked_patient


def test_every_new_page_opens(app, db_path, clock, auth):
    _, submission_id, slot = booked_patient(app, db_path, now=clock.now())
    clinician = auth.registered_clinician()
    for path in [
        "/clinician/queue?level=any&state=any",
        "/clinician/patients",
        "/clinician/patients?q=Seacole",
        f"/clinician/patients/{submission_id}",
        "/clinician/diary",
        "/clinician/diary?mine=1",
        f"/clinician/submissions/{submission_id}",
        f"/clinician/submissions/{submission_id}/print",
        f"/clinician/submissions/{submission_id}/consultation",
        "/clinician/account",
    ]:
        response = clinician.get(path)
        assert response.status_code == 200, (path, response.status_code, response.get_data(as_text=True)[:3000])
    boss = auth.admin()
    for path in ["/clinician/admin/settings", "/clinician/admin/slots", f"/clinician/admin/slots/{slot}/withdraw"]:
        response = boss.get(path)
        assert response.status_code == 200, (path, response.status_code, response.get_data(as_text=True)[:3000])
