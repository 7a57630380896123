"""IBM QRadar SIEM integration (offenses as incidents, Ariel/AQL event search)."""

from aria.integrations.ibm_qradar.config import QRadarConfig
from aria.integrations.ibm_qradar.integration import IbmQradar

__all__ = ["IbmQradar", "QRadarConfig"]
