"""Freshdesk integration: tickets for ARIA risks, status and notes both ways."""

from aria.integrations.freshdesk.config import FreshdeskConfig
from aria.integrations.freshdesk.integration import Freshdesk

__all__ = ["Freshdesk", "FreshdeskConfig"]
