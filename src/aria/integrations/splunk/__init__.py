"""Splunk integration (Enterprise Security notables, SPL search jobs, HEC forwarding)."""

from aria.integrations.splunk.config import SplunkConfig
from aria.integrations.splunk.integration import Splunk

__all__ = ["Splunk", "SplunkConfig"]
