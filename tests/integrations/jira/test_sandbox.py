"""The sandbox speaks Jira: envelopes, auth, JQL, paging, fields, workflow and validation."""

from __future__ import annotations

import pytest

from aria.integrations.jira.sandbox import make_sandbox
from aria.integrations.jira.sandbox_data import aria_issue, generate
from aria.integrations.jira.sandbox_jql import JqlError, compile_jql
from tests.integrations.jira.conftest import site

SEARCH = "/rest/api/3/search/jql"


@pytest.mark.anyio
async def test_auth_errors_use_jiras_envelope() -> None:
    app = make_sandbox(size=5)
    async with site(app) as client:
        client.headers["Authorization"] = "Basic bm9ib2R5Ondyb25n"
        answer = await client.get("/rest/api/3/myself")
    assert answer.status_code == 401
    assert answer.json() == {
        "errorMessages": [
            "You are not authenticated. Authentication required to perform this operation."
        ],
        "errors": {},
    }


@pytest.mark.anyio
async def test_search_pages_with_next_page_token_and_projects_fields() -> None:
    app = make_sandbox(size=30)
    jql = 'project = SEC AND labels = "aria-risk" ORDER BY updated ASC'
    async with site(app) as client:
        ids_only = (await client.get(SEARCH, params={"jql": jql})).json()
        first = (
            await client.get(SEARCH, params={"jql": jql, "maxResults": 20, "fields": "status"})
        ).json()
        second = (
            await client.get(
                SEARCH,
                params={
                    "jql": jql,
                    "maxResults": 20,
                    "fields": "status",
                    "nextPageToken": first["nextPageToken"],
                },
            )
        ).json()
        posted = (
            await client.post(SEARCH, json={"jql": jql, "maxResults": 500, "fields": ["*all"]})
        ).json()
        removed = await client.get("/rest/api/3/search", params={"jql": jql})
        unbounded = await client.get(SEARCH, params={"jql": "ORDER BY updated"})
    assert len(ids_only["issues"]) == 30 and set(ids_only["issues"][0]) == {"id"}
    assert first["isLast"] is False and len(first["issues"]) == 20
    assert set(first["issues"][0]["fields"]) == {"status"}
    assert second["isLast"] is True and "nextPageToken" not in second
    assert len(second["issues"]) == 10
    ids = [i["id"] for i in first["issues"] + second["issues"]]
    assert len(set(ids)) == 30
    stamps = [i["fields"]["updated"] for i in posted["issues"]]
    assert len(posted["issues"]) == 30 and stamps == sorted(stamps)  # capped at 100, sorted
    assert (
        removed.status_code == 410
        and "/rest/api/3/search/jql" in removed.json()["errorMessages"][0]
    )
    assert unbounded.status_code == 400
    assert "Unbounded JQL" in unbounded.json()["errorMessages"][0]


@pytest.mark.anyio
async def test_create_validation_in_jiras_shape() -> None:
    app = make_sandbox(size=2)
    bad = {
        "fields": {
            "project": {"key": "SEC"},
            "issuetype": {"name": "Task"},
            "summary": "",
            "description": "plain text is not ADF",
            "labels": ["has space"],
            "priority": {"name": "Urgent"},
            "customfield_1": 1,
        }
    }
    async with site(app) as client:
        answer = await client.post("/rest/api/3/issue", json=bad)
    assert answer.status_code == 400
    body = answer.json()
    assert body["errorMessages"] == []
    assert set(body["errors"]) == {
        "summary",
        "description",
        "labels",
        "priority",
        "customfield_1",
    }
    assert body["errors"]["summary"] == "You must specify a summary of the issue."
    assert not app.state.jira.created


@pytest.mark.anyio
async def test_transitions_follow_the_workflow_and_stamp_updated() -> None:
    app = make_sandbox(size=4)
    issue = app.state.issues[0]
    before = issue["fields"]["updated"]
    async with site(app) as client:
        listed = (await client.get(f"/rest/api/3/issue/{issue['key']}/transitions")).json()
        targets = {t["to"]["name"] for t in listed["transitions"]}
        current = issue["fields"]["status"]["name"]
        invalid = await client.post(
            f"/rest/api/3/issue/{issue['key']}/transitions", json={"transition": {"id": "99"}}
        )
        done = next(t for t in listed["transitions"] if t["to"]["name"] != current)
        moved = await client.post(
            f"/rest/api/3/issue/{issue['key']}/transitions",
            json={"transition": {"id": done["id"]}},
        )
        missing = await client.get("/rest/api/3/issue/SEC-99999/transitions")
    assert current not in targets and len(targets) == 4
    assert invalid.status_code == 400
    assert invalid.json()["errorMessages"] == ["Transition id '99' is not valid for this issue."]
    assert moved.status_code == 204
    assert issue["fields"]["status"]["name"] == done["to"]["name"]
    assert issue["fields"]["updated"] > before
    assert missing.status_code == 404


def test_data_is_prefix_stable_and_newer_with_size() -> None:
    small, big = generate(7, 20), generate(7, 30)
    by_key = {i["key"]: i for i in big.issues}
    assert all(by_key[i["key"]] == i for i in small.issues)
    newest_small = max(i["fields"]["updated"] for i in small.issues if i["key"].startswith("SEC"))
    added = [i for i in big.issues if i["key"] not in {s["key"] for s in small.issues}]
    aria_added = [i for i in added if "aria-risk" in i["fields"]["labels"] and "SEC" in i["key"]]
    assert aria_added and all(i["fields"]["updated"] > newest_small for i in aria_added)
    assert aria_issue(7, 3) == aria_issue(7, 3) != aria_issue(8, 3)


def test_jql_engine_subset() -> None:
    issues = generate(7, 40).issues
    done = compile_jql('project = SEC AND status IN ("Done", "Won\'t Do")').run(issues)
    assert done and all(i["fields"]["status"]["statusCategory"]["key"] == "done" for i in done)
    recent = compile_jql('updated >= "2025/04/18 14:00" AND NOT labels = phishing').run(issues)
    assert 0 < len(recent) < len(issues)
    assert all(i["fields"]["updated"] >= "2025-04-18T14:00" for i in recent)
    assert all("phishing" not in i["fields"]["labels"] for i in recent)
    by_key = compile_jql("key = SEC-3 OR issuekey = sec-5 ORDER BY key DESC").run(issues)
    assert [i["key"] for i in by_key] == ["SEC-5", "SEC-3"]
    unassigned = compile_jql("assignee IS EMPTY AND project = SEC").run(issues)
    assert unassigned and all(i["fields"]["assignee"] is None for i in unassigned)
    texty = compile_jql('summary ~ "rdp"').run(issues)
    assert texty and all("rdp" in i["fields"]["summary"].lower() for i in texty)
    for bad in ("", "ORDER BY updated", "bogus = 1", "status = ", 'updated >= "yesterday"'):
        with pytest.raises(JqlError):
            compile_jql(bad).run(issues)
