"""The Linear sandbox on its own: Linear's connection order and paging, variable checks,
and data that grows with the size the way a live workspace does."""

from __future__ import annotations

from typing import Any

import pytest

from aria.integrations.linear.sandbox import DEMO, READONLY_API_KEY, make_sandbox
from tests.integrations.linear.conftest import graphql

pytestmark = pytest.mark.anyio
KEY = DEMO["api_key"]
ARIA = {"labels": {"name": {"eq": "aria-risk"}}}


async def page(app: Any, first: int, after: str | None = None, **filters: Any) -> dict[str, Any]:
    response = await graphql(
        app, KEY, "AriaIssues", {"first": first, "after": after, "filter": {**ARIA, **filters}}
    )
    assert response.status_code == 200, response.text
    return response.json()["data"]["issues"]


async def test_issues_come_newest_first_and_page_without_overlap() -> None:
    app = make_sandbox(size=12)
    seen: list[dict[str, Any]] = []
    after = None
    while True:
        connection = await page(app, 5, after)
        seen.extend(connection["nodes"])
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    assert len(seen) == 12 and len({i["id"] for i in seen}) == 12
    stamps = [i["updatedAt"] for i in seen]
    assert stamps == sorted(stamps, reverse=True)
    assert all("aria-risk" in [lb["name"] for lb in i["labels"]["nodes"]] for i in seen)


async def test_updated_at_filter_and_growth_keep_old_issues_identical() -> None:
    small, big = make_sandbox(size=10), make_sandbox(size=15)
    old = (await page(small, 50))["nodes"]
    new = (await page(big, 50))["nodes"]
    assert {i["id"]: i for i in new if i["id"] in {o["id"] for o in old}} == {
        o["id"]: o for o in old
    }
    newest = max(i["updatedAt"] for i in old)
    later = (await page(big, 50, updatedAt={"gt": newest}))["nodes"]
    assert len(later) == 5 and all(i["updatedAt"] > newest for i in later)


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"first": 5}, 'Variable "$filter" of required type "IssueFilter!" was not provided.'),
        ({"first": 5, "filter": {}, "orderBy": "x"}, 'Variable "$orderBy" is not defined'),
        ({"first": 5, "filter": {"estimate": {"eq": 1}}}, 'Field "estimate" is not defined'),
    ],
)
async def test_bad_variables_are_validation_errors(variables: dict[str, Any], message: str) -> None:
    response = await graphql(make_sandbox(size=1), KEY, "AriaIssues", variables)
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert message in error["message"]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_a_read_only_key_may_read_but_not_write() -> None:
    app = make_sandbox(size=1)
    assert (await graphql(app, READONLY_API_KEY, "AriaViewer", {})).status_code == 200
    response = await graphql(
        app, READONLY_API_KEY, "AriaCommentCreate", {"input": {"issueId": "SEC-1", "body": "x"}}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_missing_entities_are_input_errors_with_null_data() -> None:
    response = await graphql(
        make_sandbox(size=1), KEY, "AriaIssueUpdate", {"id": "SEC-404", "input": {}}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
