"""Microsoft Sentinel integration (incidents, KQL search, risk events forwarded to a custom log)."""

from aria.integrations.microsoft_sentinel.config import SentinelConfig
from aria.integrations.microsoft_sentinel.integration import MicrosoftSentinel

__all__ = ["MicrosoftSentinel", "SentinelConfig"]
