"""Signed sample deliveries of Jira admin webhooks, built from sandbox issues.

Webhook bodies carry the issue in the REST v2 shape: the description and comment bodies are
plain strings (wiki markup), not ADF. ``issue_updated`` below is a status change to Done with
its changelog; ``comment_created`` is a comment on the same issue.
"""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

from aria.integrations.jira import adf
from aria.integrations.jira.sandbox_data import (
    NOW,
    aria_issue,
    aria_user,
    comment,
    jira_time,
    status,
)
from aria.integrations.jira.webhooks import signed
from aria.sdk import WebhookEvent


def v2_issue(issue: dict[str, Any]) -> dict[str, Any]:
    """An issue as webhooks send it: plain-string description and comment bodies."""
    out = copy.deepcopy(issue)
    fields = out["fields"]
    if fields.get("description") is not None:
        fields["description"] = adf.to_text(fields["description"])
    for note in (fields.get("comment") or {}).get("comments") or []:
        note["body"] = adf.to_text(note["body"])
    return out


def issue_updated(seed: int = 7, index: int = 0, to_status: str = "Done") -> dict[str, Any]:
    """``jira:issue_updated``: ARIA's ticket ``index`` moved to ``to_status``."""
    issue = aria_issue(seed, index)
    before = issue["fields"]["status"]
    after = status(to_status)
    moment = NOW + timedelta(minutes=5)
    issue["fields"].update(status=after, updated=jira_time(moment))
    return {
        "timestamp": int(moment.timestamp() * 1000),
        "webhookEvent": "jira:issue_updated",
        "issue_event_type_name": "issue_generic",
        "user": aria_user(),
        "issue": v2_issue(issue),
        "changelog": {
            "id": "10101",
            "items": [
                {
                    "field": "status",
                    "fieldtype": "jira",
                    "fieldId": "status",
                    "from": before["id"],
                    "fromString": before["name"],
                    "to": after["id"],
                    "toString": after["name"],
                }
            ],
        },
    }


def comment_created(seed: int = 7, index: int = 0) -> dict[str, Any]:
    """``comment_created`` on ARIA's ticket ``index`` (its issue carries few fields)."""
    issue = aria_issue(seed, index)
    moment = NOW + timedelta(minutes=7)
    fields = issue["fields"]
    note = comment(
        issue["id"],
        "30001",
        {"type": "doc", "version": 1, "content": []},
        aria_user(),
        moment,
    )
    note["body"] = "Owner confirmed; patch rolls out tonight."
    return {
        "timestamp": int(moment.timestamp() * 1000),
        "webhookEvent": "comment_created",
        "comment": note,
        "issue": {
            "id": issue["id"],
            "self": issue["self"],
            "key": issue["key"],
            "fields": {
                k: fields[k]
                for k in ("summary", "status", "priority", "issuetype", "project", "assignee")
            },
        },
    }


def samples(secret: str) -> list[WebhookEvent]:
    """Both deliveries, signed with ``secret``."""
    return [
        signed(issue_updated(), secret, "8a7c1c7e-aria-demo-0001"),
        signed(comment_created(), secret, "8a7c1c7e-aria-demo-0002"),
    ]
