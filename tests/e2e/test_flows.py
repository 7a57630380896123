"""The issue's browser flows, in Debian's Chromium against a real server and worker."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.conftest import Site, log_in, shot

pytestmark = pytest.mark.slow


def test_new_user_installs_demo_syncs_and_sees_the_register(page: Any, site: Site) -> None:
    from playwright.sync_api import expect

    page.goto("/integrations")
    shot(page, "01-login")
    log_in(page, "new-user@example.com")

    # Search as you type.
    page.get_by_label("Search integrations").press_sequentially(site.search_word, delay=40)
    results = page.locator("#results")
    expect(results.get_by_role("link", name=site.flow_name, exact=True)).to_be_visible()
    expect(page).to_have_url(re.compile(rf"q={site.search_word}"))
    shot(page, "02-marketplace-search")
    results.get_by_role("link", name=site.flow_name, exact=True).click()
    page.wait_for_url(f"**/integrations/{site.flow_key}")
    expect(page.get_by_role("heading", name=site.flow_name, level=1)).to_be_visible()
    shot(page, "03-detail")

    # Try Demo opens the wizard at the credentials step; Test Connection runs inline.
    page.get_by_role("button", name="Try Demo").click()
    page.wait_for_url("**/setup/credentials**")
    page.get_by_role("button", name="Test Connection").click()
    expect(page.locator("#test-result")).to_contain_text("Connection works")
    shot(page, "04-wizard-credentials")
    page.get_by_role("button", name="Next: data mapping").click()

    page.wait_for_url("**/setup/mapping")
    expect(page.get_by_text("Sample 1", exact=False).first).to_be_visible()
    shot(page, "05-wizard-mapping")
    # Back keeps what was saved, Next again.
    page.get_by_role("link", name="Back").click()
    page.wait_for_url("**/setup/credentials")
    expect(page.locator("input[placeholder*='stored']").first).to_be_visible()
    page.get_by_role("button", name="Next: data mapping").click()
    page.wait_for_url("**/setup/mapping")
    page.get_by_role("button", name="Skip (keep defaults)").click()

    page.wait_for_url("**/setup/activate")
    page.get_by_label("How often should ARIA sync?").select_option("daily")
    shot(page, "06-wizard-activate")
    page.get_by_role("button", name="Activate").click()
    page.wait_for_url("**/integrations/installed**")
    card = page.locator(".install-card", has_text=site.flow_name)
    expect(card).to_contain_text("Active")

    # Sync Now, watch the live progress, then the card shows the finished sync.
    card.get_by_role("button", name="Sync Now").click()
    page.wait_for_url("**/integrations/installed**")
    card = page.locator(".install-card", has_text=site.flow_name)
    shot(page, "07-installed-syncing")
    expect(card).to_contain_text("(succeeded)", timeout=90_000)
    expect(card.locator(".counts")).to_contain_text(re.compile(r"[1-9][\d,]* findings"))
    shot(page, "08-installed-synced")

    page.get_by_role("link", name="Risk register").click()
    page.wait_for_url("**/register/risks")
    risk_rows = page.locator("table.table tbody tr")
    expect(risk_rows.first).to_be_visible()
    shot(page, "09-register-risks")
    risk_rows.first.get_by_role("link").click()
    expect(page.get_by_role("heading", name=re.compile("Findings"))).to_be_visible()
    shot(page, "10-risk-detail")

    page.goto("/register/findings")
    finding_rows = page.locator("table.table tbody tr")
    expect(finding_rows.first).to_be_visible()
    shot(page, "11-register-findings")
    finding_rows.first.get_by_role("link").first.click()
    expect(page.get_by_text("OCSF view")).to_be_visible()
    expect(page.locator("pre.code").first).to_contain_text("class_uid")
    shot(page, "12-finding-detail")

    page.goto("/analytics")
    shot(page, "13-analytics")
    page.goto("/register/assets")
    shot(page, "14-register-assets")


def test_error_installation_offers_reconfigure_retry_and_view_error(page: Any, site: Site) -> None:
    from playwright.sync_api import expect

    log_in(page, "ops-owner@example.com")
    page.goto("/integrations/installed?filter=errors")
    card = page.locator(f"#inst-{site.error_installation}")
    expect(card).to_contain_text("Error")
    expect(card.get_by_role("link", name="Reconfigure")).to_be_visible()
    expect(card.get_by_role("button", name="Retry")).to_be_visible()
    expect(card.get_by_role("link", name="View Error")).to_be_visible()
    expect(card.get_by_role("button", name="Sync Now")).to_have_count(0)
    shot(page, "15-installed-error")
    card.get_by_role("link", name="View Error").click()
    expect(page.get_by_text("the API client was deleted")).to_be_visible()
    shot(page, "16-view-error")
    page.goto("/admin/audit?verify=1")
    expect(page.get_by_text("Chain verified")).to_be_visible()
    shot(page, "17-admin-audit")
    page.goto("/admin/members")
    shot(page, "18-admin-members")


def test_viewer_sees_no_install_buttons(page: Any, site: Site) -> None:
    from playwright.sync_api import expect

    log_in(page, "viewer@example.com")
    expect(page.locator("#results .listing").first).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("^Install"))).to_have_count(0)
    page.goto(f"/integrations/{site.flow_key}")
    expect(page.get_by_role("button", name="Try Demo")).to_have_count(0)
    expect(page.get_by_role("link", name="Configure & Install")).to_have_count(0)
    if site.flow_key != "acme-edr":  # a listing never installed in the viewer's organization
        page.goto("/integrations/acme-edr")
        expect(page.get_by_role("button", name="Try Demo")).to_have_count(0)
        expect(page.get_by_text("can browse; ask an admin to install")).to_be_visible()
    shot(page, "19-viewer-detail")
    page.set_viewport_size({"width": 420, "height": 860})
    page.goto("/integrations")
    shot(page, "20-viewer-narrow", full_page=False)
