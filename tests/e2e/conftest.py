"""A real server for browser tests: uvicorn in a thread on a free loopback port, the
embedded queue worker on SQLite, and Debian's Chromium driven by Playwright.

Without ``/usr/bin/chromium`` (or the ``playwright`` package) the tests skip, except in CI
(``CI=true``), where a missing browser is a failure rather than a silent skip.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from aria.accounts import service as accounts
from aria.accounts.principal import Principal
from aria.app import create_app
from aria.catalog.service import sync_catalog
from aria.config import load_settings
from aria.db import migrate
from aria.db.engine import make_engine, transaction
from aria.db.types import utcnow
from aria.installs import flows
from aria.runtime import Runtime
from aria.sdk.registry import Registry
from tests.support import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).parent / "screenshots"
IN_CI = os.environ.get("CI", "").lower() == "true"


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"browser tests cannot run in CI: {reason}")
    pytest.skip(reason)


def registry() -> tuple[Registry, str]:
    """CrowdStrike Falcon when its package is present, else the SDK's example integration;
    returns the registry and the key the flow test opens."""
    from tests.sdk.example_integration import AcmeEdr

    integrations: dict[str, Any] = {AcmeEdr.key: AcmeEdr}
    try:
        from aria.integrations.crowdstrike_falcon import CrowdStrikeFalcon
    except ImportError:
        return Registry(integrations=integrations), AcmeEdr.key
    integrations[CrowdStrikeFalcon.key] = CrowdStrikeFalcon
    return Registry(integrations=integrations), CrowdStrikeFalcon.key


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Site:
    base_url: str
    runtime: Runtime
    flow_key: str
    flow_name: str
    search_word: str
    error_installation: uuid.UUID


def _member(runtime: Runtime, email: str, org_name: str, role: str) -> None:
    with transaction(runtime.sessions) as session:
        org = accounts.get_organization_by_name(session, name=org_name)
        if org is None:
            org = accounts.create_organization(session, name=org_name)
        user = accounts.create_user(session, email=email, password=PASSWORD)
        accounts.add_membership(session, organization=org, user=user, role=role)


def _error_installation(runtime: Runtime) -> uuid.UUID:
    """An enabled demo installation in "Ops Team" that a health check put into error."""
    _member(runtime, "ops-owner@example.com", "Ops Team", "owner")
    with transaction(runtime.sessions) as session:
        user = accounts.get_user_by_email(session, email="ops-owner@example.com")
        org = accounts.get_organization_by_name(session, name="Ops Team")
        assert user is not None and org is not None
        principal = Principal(
            user_id=user.id,
            email=user.email,
            organization_id=org.id,
            role="owner",
            via="token",
            credential_id=uuid.uuid4(),
        )
        installed = flows.install(
            session,
            runtime,
            principal,
            integration_key="acme-edr",
            config={},
            mode="sandbox",
            sync_frequency="daily",
        )
        flows.transition(session, runtime, principal, installed, target="enabled")
        flows.transition(
            session, runtime, principal, installed, target="error", reason="3 failed health checks"
        )
        # Really broken (a revoked secret), so the embedded worker's health sweep cannot
        # "recover" it while the browser test looks at it.
        flows.reconfigure(
            session, runtime, principal, installed, config={"client_secret": "revoked-000000"}
        )
        installed.installation.last_error = "401 Unauthorized: the API client was deleted"
        # Checked "just now" (an hour ahead), so no scheduled sweep rewrites last_error while
        # the browser reads it.
        installed.installation.last_health_check_at = utcnow() + timedelta(hours=1)
        return installed.installation.id


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    import uvicorn

    data = tmp_path_factory.mktemp("e2e")
    settings = load_settings(
        data_dir=data / "aria-data",
        database_url=f"sqlite:///{data / 'aria.db'}",
        queue_url=f"sqlite:///{data / 'queue.db'}",
        worker_threads=2,
    )
    engine = make_engine(settings.resolved_database_url)
    migrate.upgrade(engine)
    engine.dispose()
    found, key = registry()
    runtime = Runtime(settings, _registry=found)
    with transaction(runtime.sessions) as session:
        sync_catalog(session, registry=runtime.registry)
    _member(runtime, "new-user@example.com", "Acme Corp", "integration_manager")
    _member(runtime, "viewer@example.com", "Acme Corp", "viewer")
    # Seeding runs integration code (asyncio.run); keep it off any loop Playwright owns.
    with ThreadPoolExecutor(1) as pool:
        error_id = pool.submit(_error_installation, runtime).result()

    port = free_port()
    app = create_app(runtime=runtime, embedded_worker=True)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the app did not start")
        time.sleep(0.05)
    cls = found.get(key)
    yield Site(
        base_url=f"http://127.0.0.1:{port}",
        runtime=runtime,
        flow_key=key,
        flow_name=cls.name,
        search_word="crowd" if key == "crowdstrike-falcon" else "acme",
        error_installation=error_id,
    )
    server.should_exit = True
    thread.join(timeout=15)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install playwright)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def page(site: Site, browser: Any) -> Iterator[Any]:
    context = browser.new_context(
        base_url=site.base_url, viewport={"width": 1280, "height": 800}, timezone_id="Europe/Berlin"
    )
    context.set_default_timeout(15_000)
    tab = context.new_page()
    tab.on("dialog", lambda dialog: dialog.accept())
    yield tab
    context.close()


def shot(page: Any, name: str, *, full_page: bool = True) -> None:
    """Save a screenshot for a person to look at (tests/e2e/screenshots/, not committed)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def log_in(page: Any, email: str) -> None:
    page.goto("/integrations")
    page.wait_for_url("**/login**")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/integrations")
