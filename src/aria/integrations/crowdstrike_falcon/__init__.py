"""CrowdStrike Falcon integration (the marketplace's reference integration)."""

from aria.integrations.crowdstrike_falcon.config import FalconConfig
from aria.integrations.crowdstrike_falcon.integration import CrowdStrikeFalcon

__all__ = ["CrowdStrikeFalcon", "FalconConfig"]
