"""Only legal state transitions happen; every illegal one is a 409 with a reason."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from aria.errors import Conflict
from aria.installs.models import INSTALL_STATUSES, Installation
from aria.installs.state import TRANSITIONS, check_transition
from tests.support import World, bearer

API_VERBS = {"enabled": "enable", "disabled": "disable", "suspended": "suspend"}


def test_transition_table_covers_every_state() -> None:
    assert set(TRANSITIONS) == set(INSTALL_STATUSES)
    for targets in TRANSITIONS.values():
        assert targets <= set(INSTALL_STATUSES)


@pytest.mark.parametrize("current", INSTALL_STATUSES)
@pytest.mark.parametrize("target", INSTALL_STATUSES)
def test_every_pair_is_either_legal_or_refused_with_a_reason(current: str, target: str) -> None:
    if target in TRANSITIONS[current]:
        check_transition(current, target)
        return
    with pytest.raises(Conflict) as caught:
        check_transition(current, target)
    assert current in caught.value.message and target in caught.value.message
    assert "cannot" in caught.value.message or "already" in caught.value.message


def test_api_walks_every_illegal_transition(client: TestClient, world: World) -> None:
    headers = bearer(world.owner_a)
    created = client.post(
        "/api/v1/installations",
        json={"integration_key": "acme-edr", "mode": "sandbox"},
        headers=headers,
    ).json()
    installation_id = uuid.UUID(created["id"])
    illegal = 0
    for current in INSTALL_STATUSES:
        for target, verb in API_VERBS.items():
            if target in TRANSITIONS[current]:
                continue
            with world.runtime.sessions() as session:
                session.execute(
                    update(Installation)
                    .where(Installation.id == installation_id)
                    .values(status=current)
                )
                session.commit()
            response = client.post(
                f"/api/v1/installations/{installation_id}/{verb}", headers=headers
            )
            assert response.status_code == 409, (current, target, response.text)
            error = response.json()["error"]
            assert error["code"] == "conflict" and error["message"]
            after = client.get(f"/api/v1/installations/{installation_id}", headers=headers)
            assert after.json()["status"] == current
            illegal += 1
    assert illegal >= 5


def test_legal_walk_through_the_api(client: TestClient, world: World) -> None:
    headers = bearer(world.owner_a)
    created = client.post(
        "/api/v1/installations",
        json={"integration_key": "acme-edr", "mode": "sandbox"},
        headers=headers,
    ).json()
    path = f"/api/v1/installations/{created['id']}"
    for verb, expected in (
        ("enable", "enabled"),
        ("suspend", "suspended"),
        ("enable", "enabled"),
        ("disable", "disabled"),
        ("enable", "enabled"),
    ):
        response = client.post(f"{path}/{verb}", json={"reason": f"test {verb}"}, headers=headers)
        assert response.status_code == 200, (verb, response.text)
        assert response.json()["status"] == expected
    changes = client.get(
        f"{path}/activity", params={"activity_type": "state_change"}, headers=headers
    ).json()["items"]
    assert len(changes) == 5
    assert changes[0]["message"] == "disabled → enabled: test enable"
