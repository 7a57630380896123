"""Linear: ARIA opens issues for risks, moves them through the team's workflow, comments,
and reads their state back (GraphQL sync and signed webhooks)."""

from aria.integrations.linear.config import LinearConfig
from aria.integrations.linear.integration import Linear

__all__ = ["Linear", "LinearConfig"]
