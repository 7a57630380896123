"""Microsoft Defender for Endpoint integration (alerts, devices, TVM, indicators, incidents)."""

from aria.integrations.microsoft_defender_endpoint.config import DefenderConfig
from aria.integrations.microsoft_defender_endpoint.integration import MicrosoftDefenderEndpoint

__all__ = ["DefenderConfig", "MicrosoftDefenderEndpoint"]
