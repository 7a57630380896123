"""Helpers for page tests: sign people in through the JSON login and read CSRF tokens."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from aria.accounts import sessions as browser_sessions
from tests.support import PASSWORD, World


@dataclass
class Browser:
    """A TestClient signed in as one person, with that session's CSRF token."""

    client: TestClient
    csrf: str

    def get(self, url: str, **kwargs: object):  # type: ignore[no-untyped-def]
        return self.client.get(url, follow_redirects=False, **kwargs)  # type: ignore[arg-type]

    def post(self, url: str, data: dict[str, object] | None = None, *, csrf: bool = True):  # type: ignore[no-untyped-def]
        body = dict(data or {})
        if csrf:
            body.setdefault("csrf_token", self.csrf)
        return self.client.post(url, data=body, follow_redirects=False)  # type: ignore[arg-type]


def sign_in(client: TestClient, email: str) -> Browser:
    response = client.post("/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    assert client.cookies.get(browser_sessions.COOKIE_NAME)
    return Browser(client, response.json()["csrf_token"])


@pytest.fixture
def owner(client: TestClient, world: World) -> Browser:
    return sign_in(client, world.owner_a.user.email)


@pytest.fixture
def as_role(client: TestClient, world: World):  # type: ignore[no-untyped-def]
    """Sign in a new member of org A with ``role``."""

    def make(role: str) -> Browser:
        member = world.member(f"{role}@example.com", world.org_a, role)
        return sign_in(client, member.user.email)

    return make


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no hidden field {name}"
    return found.group(1)
