"""Jira Cloud integration: ARIA risks as Jira issues, their status synced both ways."""

from aria.integrations.jira.config import JiraConfig
from aria.integrations.jira.integration import Jira

__all__ = ["Jira", "JiraConfig"]
