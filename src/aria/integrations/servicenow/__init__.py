"""ServiceNow ITSM integration: incidents for ARIA risks, state and work notes both ways."""

from aria.integrations.servicenow.config import ServiceNowConfig
from aria.integrations.servicenow.integration import ServiceNow

__all__ = ["ServiceNow", "ServiceNowConfig"]
