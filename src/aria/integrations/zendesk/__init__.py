"""Zendesk Support: ARIA opens tickets for risks, moves them with the risk, adds comments,
and syncs their status back (incremental ticket export)."""

from aria.integrations.zendesk.config import ZendeskConfig
from aria.integrations.zendesk.integration import Zendesk

__all__ = ["Zendesk", "ZendeskConfig"]
