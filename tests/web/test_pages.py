"""Every page: renders for allowed roles, sends anonymous visitors to login, hides or refuses
what a role may not do, rejects forms without CSRF, and shows errors next to fields."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.support import PASSWORD, World
from tests.web.conftest import Browser, hidden, sign_in

PAGES = [
    "/integrations",
    "/integrations/results?q=acme",
    "/integrations/acme-edr",
    "/integrations/installed",
    "/integrations/installed?filter=errors",
    "/register/risks",
    "/register/findings",
    "/register/assets",
    "/register/incidents",
    "/register/indicators",
    "/analytics",
    "/admin/members",
    "/admin/tokens",
]


def install_demo(browser: Browser) -> str:
    response = browser.post("/integrations/acme-edr/demo")
    assert response.status_code == 303, response.text
    return response.headers["location"].split("/")[2]


def activate(browser: Browser, installation: str) -> None:
    response = browser.post(
        f"/installations/{installation}/setup/activate",
        {"action": "activate", "sync_frequency": "daily"},
    )
    assert response.status_code == 303, response.text


@pytest.mark.parametrize(
    "url", [*PAGES, "/admin/audit", "/jobs/00000000-0000-0000-0000-000000000000"]
)
def test_anonymous_visitors_are_sent_to_login(client: TestClient, url: str) -> None:
    response = client.get(url, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


def test_every_page_renders_for_the_owner(owner: Browser) -> None:
    for url in [*PAGES, "/admin/audit"]:
        response = owner.get(url)
        assert response.status_code == 200, (url, response.text[:500])
        assert "text/html" in response.headers["content-type"]
        assert response.headers["cache-control"] == "no-store"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_installation_pages_render_after_a_demo_install(owner: Browser) -> None:
    installation = install_demo(owner)
    for step in ("credentials", "mapping", "activate"):
        response = owner.get(f"/installations/{installation}/setup/{step}")
        assert response.status_code == 200, (step, response.text[:500])
    page = owner.get(f"/installations/{installation}/setup/mapping").text
    assert "Sample 1" in page  # the preview ran on sandbox records
    activate(owner, installation)
    for url in (
        f"/installations/{installation}",
        f"/installations/{installation}/activity",
        f"/installations/{installation}/error",
        f"/installations/{installation}/query",
        f"/installations/{installation}/uninstall",
        f"/analytics/installations/{installation}",
    ):
        assert owner.get(url).status_code == 200, url
    cards = owner.get("/integrations/installed").text
    for action in ("Configure", "Sync Now", "Test Query", "Disable", "View Logs"):
        assert action in cards


def test_login_form_double_submit_and_errors(client: TestClient, world: World) -> None:
    form = client.get("/login")
    assert form.status_code == 200
    token = hidden(form.text, "login_csrf")
    email = world.owner_a.user.email
    forged = client.post(
        "/login",
        data={"email": email, "password": PASSWORD, "login_csrf": "forged"},
        follow_redirects=False,
    )
    assert forged.status_code == 403
    token = hidden(forged.text, "login_csrf")
    wrong = client.post(
        "/login",
        data={"email": email, "password": "nope", "login_csrf": token},
        follow_redirects=False,
    )
    assert wrong.status_code == 401
    assert "Email or password is wrong" in wrong.text
    token = hidden(wrong.text, "login_csrf")
    good = client.post(
        "/login",
        data={"email": email, "password": PASSWORD, "login_csrf": token, "next": "//evil.example"},
        follow_redirects=False,
    )
    assert good.status_code == 303
    assert good.headers["location"] == "/integrations"  # no open redirect
    assert "aria_session" in good.headers["set-cookie"]
    assert "httponly" in good.headers["set-cookie"].lower()
    assert client.get("/integrations", follow_redirects=False).status_code == 200


def test_logout_needs_csrf_and_ends_the_session(owner: Browser) -> None:
    assert owner.post("/logout", csrf=False).status_code == 403
    response = owner.post("/logout")
    assert response.status_code == 303
    owner.client.cookies.clear()
    assert owner.get("/integrations").status_code == 303


@pytest.mark.parametrize(
    "url",
    [
        "/integrations/acme-edr/demo",
        "/integrations/acme-edr/install",
        "/integrations/acme-edr/reviews",
        "/admin/tokens",
        "/admin/members",
    ],
)
def test_forms_without_csrf_are_rejected(owner: Browser, url: str) -> None:
    response = owner.post(url, {"mode": "sandbox", "name": "x", "title": "x"}, csrf=False)
    assert response.status_code == 403
    assert "form expired" in response.text


def test_viewer_browses_but_sees_no_install_buttons(as_role) -> None:  # type: ignore[no-untyped-def]
    viewer: Browser = as_role("viewer")
    home = viewer.get("/integrations").text
    assert "/integrations/acme-edr/install" not in home
    detail = viewer.get("/integrations/acme-edr").text
    assert "Try Demo" not in detail and "Configure &amp; Install" not in detail
    assert "Write a review" not in detail
    assert viewer.get("/integrations/acme-edr/install").status_code == 403
    assert viewer.post("/integrations/acme-edr/demo").status_code == 403
    assert viewer.get("/admin/audit").status_code == 403
    assert "Add a member" not in viewer.get("/admin/members").text


def test_analyst_syncs_but_cannot_configure(owner: Browser, as_role) -> None:  # type: ignore[no-untyped-def]
    installation = install_demo(owner)
    activate(owner, installation)
    analyst: Browser = as_role("analyst")
    cards = analyst.get("/integrations/installed").text
    assert "Sync Now" in cards and "Disable" not in cards and "Configure</a>" not in cards
    assert analyst.get(f"/installations/{installation}/setup/credentials").status_code == 403
    assert analyst.post(f"/installations/{installation}/disable").status_code == 403


def test_credentials_errors_show_next_to_their_field(owner: Browser) -> None:
    response = owner.post(
        "/integrations/acme-edr/install/credentials",
        {"action": "next", "base_url": "https://api.acme-edr.example", "client_id": ""},
    )
    assert response.status_code == 422
    assert re.search(r'id="err-client_secret"', response.text)
    assert 'aria-invalid="true"' in response.text
    # The non-secret value typed is kept; nothing is installed.
    assert 'value="https://api.acme-edr.example"' in response.text
    assert "Nothing installed yet" in owner.get("/integrations/installed").text


def test_demo_credentials_are_masked_and_kept(owner: Browser) -> None:
    installation = install_demo(owner)
    page = owner.get(f"/installations/{installation}/setup/credentials").text
    assert "demo-secret-123" not in page
    assert "stored — leave empty to keep" in page
    tested = owner.post(
        f"/installations/{installation}/setup/credentials",
        {"action": "test", "client_id": "demo-client", "base_url": "https://api.acme-edr.example"},
    )
    assert "Connection works" in tested.text
    saved = owner.post(
        f"/installations/{installation}/setup/credentials",
        {"action": "next", "client_id": "demo-client", "base_url": "https://api.acme-edr.example"},
    )
    assert saved.status_code == 303
    assert saved.headers["location"].endswith("/setup/mapping")


def test_mapping_rules_errors_and_preview(owner: Browser) -> None:
    installation = install_demo(owner)
    url = f"/installations/{installation}/setup/mapping"
    broken = owner.post(url, {"action": "save", "source_type": "alerts", "rules": "{nope"})
    assert broken.status_code == 422 and "not valid JSON" in broken.text
    invalid = owner.post(
        url,
        {
            "action": "save",
            "source_type": "alerts",
            "rules": '{"field_mappings": [{"source": "raw.name", "target": "no_such_field"}]}',
        },
    )
    assert invalid.status_code == 422
    assert "field_mappings[0]" in invalid.text
    rules = '{"transformations": [{"field": "title", "transforms": ["uppercase"]}]}'
    preview = owner.post(url, {"action": "preview", "source_type": "alerts", "rules": rules})
    assert preview.status_code == 200 and "Changed:" in preview.text
    saved = owner.post(url, {"action": "save", "source_type": "alerts", "rules": rules})
    assert saved.status_code == 303
    assert "uppercase" in owner.get(url).text  # Back shows what was saved


def test_sync_now_queues_a_job_and_shows_progress(owner: Browser) -> None:
    installation = install_demo(owner)
    activate(owner, installation)
    response = owner.post(f"/installations/{installation}/sync")
    assert response.status_code == 303
    cards = owner.get("/integrations/installed").text
    job = re.search(r'data-job="([0-9a-f-]+)"', cards)
    assert job, "the card shows the running job"
    assert owner.get(f"/jobs/{job.group(1)}").status_code == 200
    # One at a time: a second click points at the running sync instead of queueing another.
    again = owner.post(f"/installations/{installation}/sync")
    assert again.status_code == 303 and "sync_running" in again.headers["location"]
    from aria.sync.models import SyncJob

    with owner.client.app.state.runtime.sessions() as session:  # type: ignore[attr-defined]
        assert session.query(SyncJob).count() == 1


def test_error_installation_offers_reconfigure_retry_view_error(owner: Browser) -> None:
    from aria.db.engine import transaction
    from aria.installs.models import Installation

    installation = install_demo(owner)
    activate(owner, installation)
    runtime = owner.client.app.state.runtime  # type: ignore[attr-defined]
    with transaction(runtime.sessions) as session:
        row = session.get(Installation, __import__("uuid").UUID(installation))
        row.status, row.last_error = "error", "401 from vendor"
    cards = owner.get("/integrations/installed?filter=errors").text
    for action in ("Reconfigure", "Retry", "View Error"):
        assert action in cards
    assert "Sync Now" not in cards
    assert "401 from vendor" in owner.get(f"/installations/{installation}/error").text
    retried = owner.post(f"/installations/{installation}/retry")
    assert retried.status_code == 303  # the sandbox answers again, so it is re-enabled


def test_uninstall_needs_typed_confirmation(owner: Browser) -> None:
    installation = install_demo(owner)
    refused = owner.post(f"/installations/{installation}/uninstall", {"confirm": "yes"})
    assert refused.status_code == 422 and "Type acme-edr to confirm" in refused.text
    done = owner.post(f"/installations/{installation}/uninstall", {"confirm": "acme-edr"})
    assert done.status_code == 303


def test_another_organization_cannot_see_an_installation(
    owner: Browser, client: TestClient, world: World
) -> None:
    installation = install_demo(owner)
    other = sign_in(client, world.owner_b.user.email)
    assert other.get(f"/installations/{installation}").status_code == 404
    assert other.get(f"/installations/{installation}/setup/credentials").status_code == 404
    assert other.post(f"/installations/{installation}/sync").status_code == 404


def test_empty_states_say_what_to_do(owner: Browser) -> None:
    assert "Try Demo" in owner.get("/integrations/installed").text
    assert "Records arrive when an integration syncs" in owner.get("/register/findings").text
    assert "Install an integration" in owner.get("/analytics").text
    assert "No integrations match" in owner.get("/integrations?q=zzzz").text


def test_logo_is_an_image_data_uri_never_inline_markup(owner: Browser) -> None:
    page = owner.get("/integrations/acme-edr").text
    assert "<svg" not in page.split("<main", 1)[1]
    for src in re.findall(r'<img class="logo" src="([^"]+)"', page):
        assert src.startswith("data:image/svg+xml;base64,")


def test_reviews_validate_escape_and_vote(owner: Browser, as_role) -> None:  # type: ignore[no-untyped-def]
    missing = owner.post("/integrations/acme-edr/reviews", {"title": ""})
    assert missing.status_code == 422
    assert 'id="err-rating"' in missing.text and 'id="err-title"' in missing.text
    saved = owner.post(
        "/integrations/acme-edr/reviews",
        {"rating": "4", "title": "<script>alert(1)</script>", "review_text": "Works."},
    )
    assert saved.status_code == 303
    page = owner.get("/integrations/acme-edr").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    review_id = re.search(r'id="review-([0-9a-f-]+)"', page).group(1)  # type: ignore[union-attr]
    analyst: Browser = as_role("analyst")
    voted = analyst.post(f"/integrations/acme-edr/reviews/{review_id}/vote", {"helpful": "yes"})
    assert voted.status_code == 303
    assert "1 found this helpful" in analyst.get("/integrations/acme-edr").text


def test_token_is_shown_once(owner: Browser) -> None:
    bad = owner.post("/admin/tokens", {"name": ""})
    assert bad.status_code == 422 and 'id="t-name-err"' in bad.text
    created = owner.post("/admin/tokens", {"name": "ci", "expires_in_days": "30"})
    assert created.status_code == 201
    token = re.search(r'id="new-token" readonly value="([^"]+)"', created.text).group(1)  # type: ignore[union-attr]
    assert token.startswith("aria_") or len(token) > 20
    assert token not in owner.get("/admin/tokens").text


def test_members_add_validate_and_audit_chain(owner: Browser) -> None:
    bad = owner.post("/admin/members", {"email": "not-an-email", "role": "analyst"})
    assert bad.status_code == 422 and 'id="m-email-err"' in bad.text
    added = owner.post(
        "/admin/members",
        {"email": "new@example.com", "role": "analyst", "password": PASSWORD},
    )
    assert added.status_code == 303
    assert "new@example.com" in owner.get("/admin/members").text
    audit = owner.get("/admin/audit?verify=1").text
    assert "Chain verified" in audit and "member.added" in audit


def test_organization_switcher(client: TestClient, world: World) -> None:
    world.member(world.owner_a.user.email, world.org_b, "viewer")
    browser = sign_in(client, world.owner_a.user.email)
    page = browser.get("/integrations").text
    assert "Org B (viewer)" in page
    switched = browser.post("/switch-organization", {"organization_id": str(world.org_b.id)})
    assert switched.status_code == 303
    assert browser.get("/admin/audit").status_code == 403  # now a viewer in Org B
    assert browser.post("/switch-organization", {"organization_id": "nope"}).status_code == 303
