"""Reviews through the public API: lifecycle, exact aggregates, votes, authorship, tenants."""

from __future__ import annotations

import threading
import uuid
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from aria.accounts.models import Organization, User
from aria.catalog import reviews
from aria.catalog.models import CatalogEntry, Review, ReviewVote
from aria.catalog.service import get_by_key_or_raise
from aria.db.engine import make_session_factory
from tests.support import Member, World, bearer

URL = "/api/v1/catalog/acme-edr/reviews"


def post(client: TestClient, member: Member, **body: Any) -> Any:
    payload = {"rating": 5, "title": "Solid", **body}
    return client.post(URL, json=payload, headers=bearer(member))


def figures(world: World, key: str = "acme-edr") -> tuple[Decimal, int, int]:
    """avg_rating and total_reviews on the row, and the reviews actually stored."""
    with world.runtime.sessions() as session:
        entry = get_by_key_or_raise(session, key=key)
        stored = session.scalar(
            select(func.count()).select_from(Review).where(Review.integration_id == entry.id)
        )
        return entry.avg_rating, entry.total_reviews, stored or 0


def test_lifecycle_keeps_aggregates_exact(client: TestClient, world: World) -> None:
    first = post(client, world.owner_a, rating=5, ease_of_use_rating=4, would_recommend=True)
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["is_own"] is True and body["my_vote"] is None
    assert "user_id" not in body and "organization_id" not in body  # authors stay anonymous
    assert figures(world) == (Decimal("5.00"), 1, 1)

    second = post(client, world.owner_b, rating=4, would_recommend=False).json()
    assert figures(world) == (Decimal("4.50"), 2, 2)
    detail = client.get("/api/v1/catalog/acme-edr", headers=bearer(world.owner_a)).json()
    assert detail["avg_rating"] == 4.5 and detail["total_reviews"] == 2
    assert detail["rating_breakdown"] == {"1": 0, "2": 0, "3": 0, "4": 1, "5": 1}
    assert detail["sub_ratings"]["ease_of_use"] == 4.0
    assert detail["sub_ratings"]["support"] is None
    assert detail["would_recommend_percent"] == 50.0

    analyst = world.member("analyst-a@example.com", world.org_a, "analyst")
    third = post(client, analyst, rating=1).json()
    assert figures(world) == (Decimal("3.33"), 3, 3)

    changed = client.patch(
        f"{URL}/{second['id']}", json={"rating": 2}, headers=bearer(world.owner_b)
    )
    assert changed.status_code == 200 and changed.json()["rating"] == 2
    assert figures(world) == (Decimal("2.67"), 3, 3)
    retitled = client.patch(
        f"{URL}/{second['id']}", json={"title": "  Better  "}, headers=bearer(world.owner_b)
    )
    assert retitled.json()["title"] == "Better" and retitled.json()["rating"] == 2

    assert client.delete(f"{URL}/{second['id']}", headers=bearer(world.owner_b)).status_code == 204
    assert figures(world) == (Decimal("3.00"), 2, 2)
    assert client.delete(f"{URL}/{third['id']}", headers=bearer(analyst)).status_code == 204
    assert figures(world) == (Decimal("5.00"), 1, 1)
    gone = client.get(f"{URL}/{third['id']}", headers=bearer(analyst))
    assert gone.status_code == 404


def test_delete_to_one_then_none(client: TestClient, world: World) -> None:
    a = post(client, world.owner_a, rating=5).json()
    b = post(client, world.owner_b, rating=4).json()
    assert figures(world) == (Decimal("4.50"), 2, 2)
    client.delete(f"{URL}/{b['id']}", headers=bearer(world.owner_b))
    assert figures(world) == (Decimal("5.00"), 1, 1)
    client.delete(f"{URL}/{a['id']}", headers=bearer(world.owner_a))
    assert figures(world) == (Decimal("0.00"), 0, 0)


def test_duplicate_is_409_and_changes_nothing(client: TestClient, world: World) -> None:
    original = post(client, world.owner_a, rating=5, title="First").json()
    again = post(client, world.owner_a, rating=1, title="Second")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "conflict"
    assert again.json()["error"]["details"] == {"review_id": original["id"]}
    assert figures(world) == (Decimal("5.00"), 1, 1)
    # The same person acting for another organization writes that organization's review.
    same_person_b = world.member("owner-a@example.com", world.org_b, "analyst")
    assert post(client, same_person_b, rating=3).status_code == 201
    assert figures(world) == (Decimal("4.00"), 2, 2)


BAD_REVIEWS: list[dict[str, Any]] = [
    {"rating": 0},
    {"rating": 6},
    {"rating": 4.5},
    {"rating": "5"},
    {"rating": None},
    {"rating": True},
    {"ease_of_use_rating": 0},
    {"documentation_rating": 6},
    {"support_rating": -1},
    {"value_rating": 10},
    {"title": ""},
    {"title": "   "},
    {"title": "x" * 201},
    {"review_text": "x" * 10_001},
    {"pros": "x" * 5_001},
    {"would_recommend": "maybe"},
    {"is_verified_purchase": True},
    {"helpful_count": 99},
]


def test_bad_reviews_are_422_and_store_nothing(client: TestClient, world: World) -> None:
    for bad in BAD_REVIEWS:
        response = post(client, world.owner_a, **bad)
        assert response.status_code == 422, (bad, response.text)
        assert response.json()["error"]["code"] == "validation_error"
    assert figures(world) == (Decimal("0.00"), 0, 0)


def test_edge_lengths_are_accepted(client: TestClient, world: World) -> None:
    response = post(client, world.owner_a, title="x" * 200, review_text="y" * 10_000, rating=1)
    assert response.status_code == 201
    mine = response.json()["id"]
    for bad in ({"rating": 0}, {"title": None}, {"rating": None}, {"review_text": "z" * 10_001}):
        patch = client.patch(f"{URL}/{mine}", json=bad, headers=bearer(world.owner_a))
        assert patch.status_code == 422, bad
    assert client.patch(f"{URL}/{mine}", json={}, headers=bearer(world.owner_a)).status_code == 422
    assert figures(world) == (Decimal("1.00"), 1, 1)


def test_verified_purchase_follows_the_organizations_installation(
    client: TestClient, world: World
) -> None:
    installed = client.post(
        "/api/v1/installations",
        json={"integration_key": "acme-edr", "mode": "sandbox"},
        headers=bearer(world.owner_a),
    )
    assert installed.status_code == 201, installed.text
    assert post(client, world.owner_a).json()["is_verified_purchase"] is True
    assert post(client, world.owner_b).json()["is_verified_purchase"] is False


def test_votes_one_per_user_and_changeable(client: TestClient, world: World) -> None:
    review = post(client, world.owner_a).json()
    votes = f"{URL}/{review['id']}/votes"
    voter = world.member("analyst-b@example.com", world.org_b, "analyst")

    def counts(response: Any) -> tuple[int, int, bool | None]:
        assert response.status_code == 200, response.text
        body = response.json()
        return body["helpful_count"], body["not_helpful_count"], body["my_vote"]

    assert counts(client.post(votes, json={"helpful": True}, headers=bearer(voter))) == (
        1,
        0,
        True,
    )
    assert counts(client.post(votes, json={"helpful": True}, headers=bearer(voter)))[:2] == (1, 0)
    assert counts(client.post(votes, json={"helpful": False}, headers=bearer(voter))) == (
        0,
        1,
        False,
    )
    assert counts(client.post(votes, json={"helpful": True}, headers=bearer(world.owner_b)))[
        :2
    ] == (1, 1)
    own = client.post(votes, json={"helpful": True}, headers=bearer(world.owner_a))
    assert own.status_code == 403
    for bad in ({}, {"helpful": "yes"}, {"helpful": 1}, {"helpful": True, "x": 1}):
        assert client.post(votes, json=bad, headers=bearer(voter)).status_code == 422
    listed = client.get(URL, headers=bearer(voter)).json()["items"][0]
    assert (listed["helpful_count"], listed["not_helpful_count"], listed["my_vote"]) == (
        1,
        1,
        False,
    )
    assert counts(client.delete(votes, headers=bearer(voter))) == (1, 0, None)
    with world.runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ReviewVote)) == 1


def test_only_the_author_changes_a_review(client: TestClient, world: World) -> None:
    """Others get 403, not 404: the review is public, so hiding it would protect nothing."""
    review = post(client, world.owner_a, rating=4, title="Mine").json()
    url = f"{URL}/{review['id']}"
    colleague = world.member("im-a@example.com", world.org_a, "integration_manager")
    same_person_b = world.member("owner-a@example.com", world.org_b, "owner")
    for other in (colleague, world.owner_b, same_person_b):
        seen = client.get(url, headers=bearer(other))
        assert seen.status_code == 200 and seen.json()["is_own"] is False
        edit = client.patch(url, json={"rating": 1}, headers=bearer(other))
        assert edit.status_code == 403 and edit.json()["error"]["code"] == "forbidden"
        assert client.delete(url, headers=bearer(other)).status_code == 403
    after = client.get(url, headers=bearer(world.owner_a)).json()
    assert (after["rating"], after["title"], after["is_own"]) == (4, "Mine", True)
    assert figures(world) == (Decimal("4.00"), 1, 1)


def test_reviews_are_public_across_organizations(client: TestClient, world: World) -> None:
    post(client, world.owner_a, title="From A")
    listed = client.get(URL, headers=bearer(world.owner_b))
    assert listed.status_code == 200
    assert [r["title"] for r in listed.json()["items"]] == ["From A"]
    viewer = world.member("viewer-b@example.com", world.org_b, "viewer")
    assert client.get(URL, headers=bearer(viewer)).status_code == 200
    assert post(client, viewer).status_code == 403  # viewers may read, not review
    assert client.get(URL).status_code == 401


def test_unknown_keys_and_foreign_review_ids_are_404(client: TestClient, world: World) -> None:
    with world.runtime.sessions() as session:
        session.add(
            CatalogEntry(key="other", name="Other", vendor="O", category="siem", version="1.0.0")
        )
        session.commit()
    review = post(client, world.owner_a).json()
    headers = bearer(world.owner_a)
    assert (
        client.get(f"/api/v1/catalog/other/reviews/{review['id']}", headers=headers).status_code
        == 404
    )
    assert (
        client.patch(
            f"/api/v1/catalog/other/reviews/{review['id']}", json={"rating": 1}, headers=headers
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"/api/v1/catalog/other/reviews/{review['id']}/votes",
            json={"helpful": True},
            headers=bearer(world.owner_b),
        ).status_code
        == 404
    )
    assert client.get(f"{URL}/{uuid.uuid4()}", headers=headers).status_code == 404
    assert client.get(f"{URL}/not-a-uuid", headers=headers).status_code == 422
    missing = client.get("/api/v1/catalog/nope/reviews", headers=headers)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert post_to(client, "nope", world.owner_a).status_code == 404
    assert figures(world) == (Decimal("5.00"), 1, 1)
    assert figures(world, "other") == (Decimal("0.00"), 0, 0)


def post_to(client: TestClient, key: str, member: Member) -> Any:
    return client.post(
        f"/api/v1/catalog/{key}/reviews", json={"rating": 5, "title": "t"}, headers=bearer(member)
    )


def test_list_pages_newest_and_most_helpful(client: TestClient, world: World) -> None:
    authors = [world.owner_a, world.owner_b, world.member("r@example.com", world.org_a, "analyst")]
    authors += [world.member("owner-a@example.com", world.org_b, "analyst")]  # same user, org B
    authors += [world.member("owner-b@example.com", world.org_a, "analyst")]
    ids = [post(client, m, rating=1 + i, title=f"R{i}").json()["id"] for i, m in enumerate(authors)]
    voters = [world.owner_a, authors[2]]
    for voter in voters:
        client.post(f"{URL}/{ids[1]}/votes", json={"helpful": True}, headers=bearer(voter))
    client.post(f"{URL}/{ids[3]}/votes", json={"helpful": True}, headers=bearer(voters[1]))

    def walk(sort: str) -> list[str]:
        seen, cursor = [], None
        while True:
            params: dict[str, Any] = {"sort": sort, "limit": 2}
            if cursor:
                params["cursor"] = cursor
            page = client.get(URL, params=params, headers=bearer(world.owner_a)).json()
            seen += [r["id"] for r in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                return seen

    newest = walk("newest")
    assert sorted(newest) == sorted(ids) and len(set(newest)) == 5
    helpful = walk("helpful")
    assert helpful[:2] == [ids[1], ids[3]] and sorted(helpful) == sorted(ids)
    only = client.get(URL, params={"rating": 3}, headers=bearer(world.owner_a)).json()
    assert [r["id"] for r in only["items"]] == [ids[2]]
    bad = client.get(URL, params={"cursor": "nonsense"}, headers=bearer(world.owner_a))
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_cursor"
    page = client.get(URL, params={"limit": 1}, headers=bearer(world.owner_a)).json()
    other_sort = client.get(
        URL,
        params={"limit": 1, "sort": "helpful", "cursor": page["next_cursor"]},
        headers=bearer(world.owner_a),
    )
    assert other_sort.status_code == 400


def test_vendor_response_is_service_level(client: TestClient, world: World) -> None:
    review = post(client, world.owner_a).json()
    with world.runtime.sessions() as session:
        entry = get_by_key_or_raise(session, key="acme-edr")
        reviews.respond_as_vendor(
            session, entry=entry, review_id=uuid.UUID(review["id"]), response="Thanks!"
        )
        session.commit()
    shown = client.get(f"{URL}/{review['id']}", headers=bearer(world.owner_b)).json()
    assert shown["vendor_response"] == "Thanks!" and shown["vendor_response_at"]
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert not any("vendor" in path for path in paths)


def test_concurrent_reviews_do_not_lose_an_aggregate_update(engine: Engine) -> None:
    """The second writer waits on the first's row lock, then recounts with its review in."""
    factory = make_session_factory(engine)
    with factory() as setup:
        entry = CatalogEntry(key="x", name="X", vendor="X", category="edr", version="1.0.0")
        org = Organization(name="Org", slug="org")
        users = [User(email=f"u{i}@example.com", password_hash="x") for i in range(2)]
        setup.add_all([entry, org, *users])
        setup.commit()
        ids = (entry.id, org.id, [u.id for u in users])
    entry_id, org_id, (first_user, second_user) = ids

    def write(session: Session, user_id: uuid.UUID, rating: int) -> None:
        found = session.get(CatalogEntry, entry_id)
        assert found is not None
        reviews.create(
            session,
            entry=found,
            user_id=user_id,
            organization_id=org_id,
            rating=rating,
            title="t",
        )

    first = factory()
    write(first, first_user, 5)  # holds the lock until commit

    def second() -> None:
        with factory() as session:
            write(session, second_user, 4)
            session.commit()

    thread = threading.Thread(target=second)
    thread.start()
    thread.join(0.5)
    assert thread.is_alive()  # queued behind the first writer
    first.commit()
    first.close()
    thread.join(30)
    assert not thread.is_alive()
    with factory() as check:
        found = check.get(CatalogEntry, entry_id)
        assert found is not None
        assert (found.avg_rating, found.total_reviews) == (Decimal("4.50"), 2)
