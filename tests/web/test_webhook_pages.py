"""Webhook pages: inbound endpoints (secret shown once, rotation with overlap), deliveries,
dead letters (replay), outbound subscriptions under Admin; read-only for viewers, CSRF on
every form, another organization's ids answer 404."""

from __future__ import annotations

import re
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from aria.db.engine import transaction
from aria.installs.models import Installation
from aria.webhooks import service
from aria.webhooks.models import DeadLetter, InboundEvent, Subscription
from tests.support import World
from tests.web.conftest import Browser, sign_in
from tests.web.test_pages import install_demo

ZERO = "00000000-0000-0000-0000-000000000000"


def runtime_of(browser: Browser):  # type: ignore[no-untyped-def]
    return browser.client.app.state.runtime  # type: ignore[attr-defined]


def create_endpoint(browser: Browser, installation: str) -> tuple[str, str, str]:
    """(endpoint id, full URL, secret) from the one-time reveal."""
    response = browser.post(f"/installations/{installation}/webhooks", {"name": "prod"})
    assert response.status_code == 201, response.text[:1000]
    url = re.search(r'id="issued-url" readonly value="([^"]+)"', response.text).group(1)  # type: ignore[union-attr]
    secret = re.search(r'id="issued-secret" readonly value="([^"]+)"', response.text).group(1)  # type: ignore[union-attr]
    webhook_id = re.search(r'id="wh-([0-9a-f-]+)"', response.text).group(1)  # type: ignore[union-attr]
    return webhook_id, url, secret


def subscription_form(**overrides: object) -> dict[str, object]:
    return {
        "name": "SOAR",
        "url": "https://hooks.example.com/aria",
        "method": "POST",
        "event_types": ["finding.created", "risk.closed"],
        **overrides,
    }


def create_subscription(browser: Browser) -> tuple[str, str]:
    response = browser.post("/admin/webhooks", subscription_form())
    assert response.status_code == 201, response.text[:1000]
    secret = re.search(r'id="new-secret" readonly value="([^"]+)"', response.text).group(1)  # type: ignore[union-attr]
    sub_id = re.search(r'id="sub-([0-9a-f-]+)"', response.text).group(1)  # type: ignore[union-attr]
    return sub_id, secret


def dead_letter(browser: Browser, installation: str, webhook_id: str) -> uuid.UUID:
    """An inbound event that died, with its open dead letter (as the worker leaves it)."""
    with transaction(runtime_of(browser).sessions) as session:
        inst = uuid.UUID(installation)
        event = InboundEvent(
            organization_id=session.get(Installation, inst).organization_id,  # type: ignore[union-attr]
            installation_id=inst,
            webhook_id=uuid.UUID(webhook_id),
            body=b"not json",
            body_size=8,
            status="dead",
            attempts=5,
        )
        session.add(event)
        session.flush()
        letter = service.record_dead_letter(
            session,
            organization_id=event.organization_id,
            kind="inbound",
            reason="permanent_error",
            error="payload is not JSON",
            attempts=5,
            installation_id=inst,
            event_id=event.id,
        )
        return letter.id


def test_pages_render_for_the_owner_and_the_admin_tab_shows(owner: Browser) -> None:
    installation = install_demo(owner)
    webhook_id, _, _ = create_endpoint(owner, installation)
    sub_id, _ = create_subscription(owner)
    assert (
        f'href="/installations/{installation}/webhooks"'
        in owner.get(f"/installations/{installation}").text
    )
    for url in (
        f"/installations/{installation}/webhooks",
        f"/installations/{installation}/webhooks/{webhook_id}/deliveries",
        f"/installations/{installation}/webhooks/{webhook_id}/deliveries?status=dead",
        "/dead-letters",
        "/dead-letters?kind=inbound&status=open",
        "/admin/webhooks",
        f"/admin/webhooks/{sub_id}/edit",
        f"/admin/webhooks/{sub_id}/deliveries",
    ):
        response = owner.get(url)
        assert response.status_code == 200, (url, response.text[:500])
        assert response.headers["cache-control"] == "no-store"
    assert 'href="/admin/webhooks"' in owner.get("/admin/members").text


def test_empty_states_say_what_to_do(owner: Browser) -> None:
    installation = install_demo(owner)
    assert "Create one below" in owner.get(f"/installations/{installation}/webhooks").text
    assert "No dead letters" in owner.get("/dead-letters").text
    assert "Add one below" in owner.get("/admin/webhooks").text


@pytest.mark.parametrize(
    "url",
    [f"/installations/{ZERO}/webhooks", "/dead-letters", "/admin/webhooks"],
)
def test_anonymous_visitors_are_sent_to_login(client: TestClient, url: str) -> None:
    response = client.get(url, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


def test_endpoint_secret_is_shown_once_and_rotation_keeps_the_old_url(owner: Browser) -> None:
    installation = install_demo(owner)
    webhook_id, url, secret = create_endpoint(owner, installation)
    token = url.rsplit("/hooks/", 1)[1]
    assert url.startswith("http") and secret.startswith("whsec_")
    listing = owner.get(f"/installations/{installation}/webhooks").text
    assert token not in listing and secret not in listing
    assert f"/hooks/{token[:6]}…" in listing  # the hint only
    rotated = owner.post(
        f"/installations/{installation}/webhooks/{webhook_id}/rotate",
        {"overlap_minutes": "30", "rotate_secret": "1"},
    )
    assert rotated.status_code == 200, rotated.text[:1000]
    new_url = re.search(r'id="issued-url" readonly value="([^"]+)"', rotated.text).group(1)  # type: ignore[union-attr]
    assert new_url != url and "keep working until" in rotated.text
    assert 'id="issued-secret"' in rotated.text
    assert (
        new_url.rsplit("/hooks/", 1)[1]
        not in owner.get(f"/installations/{installation}/webhooks").text
    )
    # Both tokens resolve during the overlap: the old one by its previous hash.
    from aria.db.types import utcnow

    with runtime_of(owner).sessions() as session:
        for candidate in (token, new_url.rsplit("/hooks/", 1)[1]):
            found = service.find_by_token(
                session, digest=service.token_hash(candidate), now=utcnow()
            )
            assert found is not None and str(found[0].id) == webhook_id
    bad = owner.post(
        f"/installations/{installation}/webhooks/{webhook_id}/rotate", {"overlap_minutes": "-1"}
    )
    assert bad.status_code == 422 and f'id="overlap-{webhook_id}-err"' in bad.text


def test_dead_letter_replay_posts_and_flashes(owner: Browser) -> None:
    installation = install_demo(owner)
    webhook_id, _, _ = create_endpoint(owner, installation)
    letter = dead_letter(owner, installation, webhook_id)
    page = owner.get("/dead-letters").text
    assert "permanent error" in page and f'action="/dead-letters/{letter}/replay"' in page
    assert "data-confirm=" in page
    replayed = owner.post(f"/dead-letters/{letter}/replay")
    assert replayed.status_code == 303
    after = owner.get(replayed.headers["location"]).text
    assert "Dead letter queued for replay." in after
    assert f'action="/dead-letters/{letter}/replay"' not in after
    again = owner.post(f"/dead-letters/{letter}/replay")
    assert again.status_code == 409 and "already replayed" in again.text


def test_subscription_url_error_shows_next_to_the_field_and_creates_nothing(
    owner: Browser,
) -> None:
    response = owner.post("/admin/webhooks", subscription_form(url="http://169.254.169.254/x"))
    assert response.status_code == 422
    assert 'id="s-url-err"' in response.text and 'aria-invalid="true"' in response.text
    assert 'value="http://169.254.169.254/x"' in response.text  # what was typed is kept
    none = owner.post("/admin/webhooks", subscription_form(event_types=[]))
    assert none.status_code == 422 and 'id="s-events-err"' in none.text
    with runtime_of(owner).sessions() as session:
        assert session.scalars(select(Subscription)).first() is None


def test_subscription_lifecycle(owner: Browser) -> None:
    sub_id, secret = create_subscription(owner)
    listing = owner.get("/admin/webhooks").text
    assert "SOAR" in listing and secret not in listing
    edited = owner.post(
        f"/admin/webhooks/{sub_id}/edit",
        subscription_form(name="SOAR 2", headers="X-Api-Key: hush"),
    )
    assert edited.status_code == 303
    listing = owner.get(edited.headers["location"]).text
    assert "Subscription saved." in listing and "SOAR 2" in listing
    assert "X-Api-Key" in listing and "hush" not in listing
    form = owner.get(f"/admin/webhooks/{sub_id}/edit").text
    assert "leave empty to keep the current ones" in form and "hush" not in form
    assert 'value="finding.created" checked' in form
    rotated = owner.post(f"/admin/webhooks/{sub_id}/rotate-secret")
    assert rotated.status_code == 200 and 'id="new-secret"' in rotated.text
    assert secret not in rotated.text
    tested = owner.post(f"/admin/webhooks/{sub_id}/test")
    assert tested.status_code == 303
    log = owner.get(tested.headers["location"]).text
    assert "Test event queued" in log and "webhook.test" in log
    disabled = owner.post(f"/admin/webhooks/{sub_id}/active", {"active": "0"})
    assert disabled.status_code == 303
    assert "disabled" in owner.get("/admin/webhooks").text
    deleted = owner.post(f"/admin/webhooks/{sub_id}/delete")
    assert deleted.status_code == 303
    assert "No outbound webhooks yet" in owner.get(deleted.headers["location"]).text


def test_viewer_reads_but_cannot_change(owner: Browser, as_role) -> None:  # type: ignore[no-untyped-def]
    installation = install_demo(owner)
    webhook_id, _, _ = create_endpoint(owner, installation)
    sub_id, _ = create_subscription(owner)
    letter = dead_letter(owner, installation, webhook_id)
    viewer: Browser = as_role("viewer")
    endpoints = viewer.get(f"/installations/{installation}/webhooks")
    assert endpoints.status_code == 200 and "prod" in endpoints.text
    assert "Create endpoint" not in endpoints.text and "Rotate token" not in endpoints.text
    letters = viewer.get("/dead-letters")
    assert letters.status_code == 200 and "/replay" not in letters.text
    subs = viewer.get("/admin/webhooks")
    assert subs.status_code == 200 and "SOAR" in subs.text
    assert "Create subscription" not in subs.text and "/rotate-secret" not in subs.text
    assert viewer.get(f"/admin/webhooks/{sub_id}/deliveries").status_code == 200
    for url in (
        f"/installations/{installation}/webhooks",
        f"/installations/{installation}/webhooks/{webhook_id}/rotate",
        f"/installations/{installation}/webhooks/{webhook_id}/active",
        f"/dead-letters/{letter}/replay",
        "/admin/webhooks",
        f"/admin/webhooks/{sub_id}/edit",
        f"/admin/webhooks/{sub_id}/rotate-secret",
        f"/admin/webhooks/{sub_id}/test",
        f"/admin/webhooks/{sub_id}/delete",
    ):
        assert viewer.post(url, subscription_form()).status_code == 403, url


def test_another_organization_gets_404(owner: Browser, client: TestClient, world: World) -> None:
    installation = install_demo(owner)
    webhook_id, _, _ = create_endpoint(owner, installation)
    sub_id, _ = create_subscription(owner)
    letter = dead_letter(owner, installation, webhook_id)
    other = sign_in(client, world.owner_b.user.email)
    base = f"/installations/{installation}/webhooks"
    for url in (base, f"{base}/{webhook_id}/deliveries", f"/admin/webhooks/{sub_id}/edit"):
        assert other.get(url).status_code == 404, url
    for url in (
        base,
        f"{base}/{webhook_id}/rotate",
        f"/dead-letters/{letter}/replay",
        f"/admin/webhooks/{sub_id}/test",
        f"/admin/webhooks/{sub_id}/delete",
    ):
        assert other.post(url).status_code == 404, url
    assert "permanent error" not in other.get("/dead-letters").text
    assert f"sub-{sub_id}" not in other.get("/admin/webhooks").text


def test_forms_without_csrf_are_rejected(owner: Browser) -> None:
    installation = install_demo(owner)
    webhook_id, _, _ = create_endpoint(owner, installation)
    sub_id, _ = create_subscription(owner)
    for url in (
        f"/installations/{installation}/webhooks",
        f"/installations/{installation}/webhooks/{webhook_id}/rotate",
        f"/dead-letters/{ZERO}/replay",
        "/admin/webhooks",
        f"/admin/webhooks/{sub_id}/delete",
    ):
        response = owner.post(url, subscription_form(), csrf=False)
        assert response.status_code == 403, url
        assert "form expired" in response.text
    with runtime_of(owner).sessions() as session:
        assert session.scalars(select(DeadLetter)).first() is None
        assert len(list(session.scalars(select(Subscription)))) == 1
