"""Sumo Logic integration (Cloud SIEM insights and signals, log search, HTTP source forwarding)."""

from aria.integrations.sumo_logic.config import SumoLogicConfig
from aria.integrations.sumo_logic.integration import SumoLogic

__all__ = ["SumoLogic", "SumoLogicConfig"]
