"""The fixed set of GraphQL documents ARIA sends to Linear, one operation each.

Every request names its operation (``operationName``) and passes values as variables, never
by splicing text into a document, so no user value can change a query. The sandbox answers
exactly these documents and refuses any other.
"""

from __future__ import annotations

import re

COMMENTS_PAGE = 25  # comments fetched with each issue; more come from AriaIssueComments

ISSUE_FIELDS = f"""
fragment AriaIssueFields on Issue {{
  id
  identifier
  number
  title
  description
  priority
  priorityLabel
  url
  createdAt
  updatedAt
  completedAt
  canceledAt
  archivedAt
  state {{ id name type }}
  team {{ id key name }}
  labels {{ nodes {{ id name }} }}
  assignee {{ id name email }}
  creator {{ id name email }}
  comments(first: {COMMENTS_PAGE}) {{
    nodes {{ id body createdAt updatedAt user {{ id name email }} }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}
"""

VIEWER = """
query AriaViewer {
  viewer { id name email active }
  organization { id name urlKey }
}
"""

TEAMS = """
query AriaTeams($filter: TeamFilter!) {
  teams(filter: $filter) { nodes { id key name } }
}
"""

WORKFLOW_STATES = """
query AriaWorkflowStates($teamId: ID!) {
  workflowStates(filter: { team: { id: { eq: $teamId } } }, first: 100) {
    nodes { id name type position }
  }
}
"""

LABELS = """
query AriaLabels($name: String!) {
  issueLabels(filter: { name: { eqIgnoreCase: $name } }) {
    nodes { id name team { id } }
  }
}
"""

LABEL_CREATE = """
mutation AriaLabelCreate($input: IssueLabelCreateInput!) {
  issueLabelCreate(input: $input) { success issueLabel { id name } }
}
"""

ISSUES = (
    """
query AriaIssues($first: Int!, $after: String, $filter: IssueFilter!) {
  issues(first: $first, after: $after, filter: $filter, orderBy: updatedAt) {
    nodes { ...AriaIssueFields }
    pageInfo { hasNextPage endCursor }
  }
}
"""
    + ISSUE_FIELDS
)

ISSUE_COMMENTS = """
query AriaIssueComments($id: String!, $after: String) {
  issue(id: $id) {
    comments(first: 50, after: $after) {
      nodes { id body createdAt updatedAt user { id name email } }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""

ISSUE_CREATE = (
    """
mutation AriaIssueCreate($input: IssueCreateInput!) {
  issueCreate(input: $input) { success issue { ...AriaIssueFields } }
}
"""
    + ISSUE_FIELDS
)

ISSUE_UPDATE = (
    """
mutation AriaIssueUpdate($id: String!, $input: IssueUpdateInput!) {
  issueUpdate(id: $id, input: $input) { success issue { ...AriaIssueFields } }
}
"""
    + ISSUE_FIELDS
)

COMMENT_CREATE = """
mutation AriaCommentCreate($input: CommentCreateInput!) {
  commentCreate(input: $input) {
    success
    comment { id body url createdAt user { id name email } }
  }
}
"""

DOCUMENTS: dict[str, str] = {
    "AriaViewer": VIEWER,
    "AriaTeams": TEAMS,
    "AriaWorkflowStates": WORKFLOW_STATES,
    "AriaLabels": LABELS,
    "AriaLabelCreate": LABEL_CREATE,
    "AriaIssues": ISSUES,
    "AriaIssueComments": ISSUE_COMMENTS,
    "AriaIssueCreate": ISSUE_CREATE,
    "AriaIssueUpdate": ISSUE_UPDATE,
    "AriaCommentCreate": COMMENT_CREATE,
}
OPERATION = re.compile(r"^\s*(query|mutation)\s+([_A-Za-z][_0-9A-Za-z]*)")


def compact(document: str) -> str:
    """A document with insignificant whitespace removed (for comparing documents)."""
    return " ".join(document.split())


def request_body(operation: str, variables: dict[str, object] | None = None) -> dict[str, object]:
    """The JSON body of a GraphQL POST for one of :data:`DOCUMENTS`."""
    return {"query": DOCUMENTS[operation], "operationName": operation, "variables": variables or {}}
