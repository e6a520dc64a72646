"""The periodic work as the district's IT person sees it: the admin page and the health check."""

from kiosk_app.services import scheduler

from ..helpers import sign_in


def text(response) -> str:
    return response.get_data(as_text=True)


def test_the_admin_page_and_the_health_check_show_each_jobs_last_run(app):
    admin = sign_in(app, "admin-district")
    before = text(admin.get("/staff/admin/"))
    assert 'id="version">版本 0.' in before  # (a schema made by create_all has no revision: "—")
    assert before.count('data-job="') == len(scheduler.JOBS) and "从未" in before
    assert before.count('<span class="badge bad">已延迟</span>') == len(scheduler.JOBS)
    assert admin.get("/healthz").get_json()["jobs"]["outbox"] == {"last_ok": None, "late": True, "last_error": ""}
    with app.app_context():
        scheduler.ensure()
        scheduler.run_due("test")
    after = text(admin.get("/staff/admin/"))
    assert '<span class="badge bad">已延迟</span>' not in after and after.count("<td>正常</td>") == len(scheduler.JOBS)
    jobs = admin.get("/healthz").get_json()["jobs"]
    assert set(jobs) == {job.name for job in scheduler.JOBS} and not any(job["late"] for job in jobs.values())
    # Anyone else learns nothing of it.
    assert "jobs" not in app.test_client().get("/healthz").get_json()
