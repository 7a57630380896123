"""Settings of a Microsoft Sentinel installation: the Entra app, the workspace, the endpoints.

Sentinel is reached through three Microsoft APIs, each on its own host:

* Azure Resource Manager (``management.azure.com``) for incidents, addressed by subscription,
  resource group and workspace *name*, with tokens for ``https://management.azure.com``;
* the Log Analytics query API (``api.loganalytics.io``) for KQL, addressed by the workspace
  *id* (a GUID), with tokens for ``https://api.loganalytics.io``;
* for forwarding, either the HTTP Data Collector API (``{workspace_id}.ods.opinsights.azure.com``,
  signed with the workspace's shared key instead of a token; Microsoft retires it on
  2026-09-14) or its replacement, the Logs Ingestion API (a data collection endpoint and rule,
  with tokens for ``https://monitor.azure.com``).

Every host defaults to the Azure public cloud and can be set for a sovereign cloud
(``management.usgovcloudapi.net``, ``api.loganalytics.us``, ``ods.opinsights.azure.us``); the
token scopes follow the hosts unless set.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from aria.sdk import Config, Secret

MANAGEMENT = "https://management.azure.com"
LOG_ANALYTICS = "https://api.loganalytics.io"
LOGIN = "https://login.microsoftonline.com"
ODS_DOMAIN = "ods.opinsights.azure.com"
DEFAULT_LOG_TYPE = "AriaRiskEvents"
MONITOR_SCOPE = "https://monitor.azure.com//.default"  # as documented, with the double slash
LOGS_INGESTION_VERSION = "2023-01-01"
MAX_PAGE = 1000  # $top maximum of Incidents - List
GUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"

APP_REGISTRATION = "Microsoft Entra admin center > Identity > Applications > App registrations"
WORKSPACE = "Azure portal > Log Analytics workspaces > your Sentinel workspace"
ROLES = (
    "Grant the app the Microsoft Sentinel Reader role and the Log Analytics Reader role on "
    "the workspace (Access control (IAM) > Add role assignment)."
)


def scope_of(base_url: str) -> str:
    """The ``.default`` scope of the API at ``base_url`` (its token audience)."""
    return f"{base_url.rstrip('/')}/.default"


class SentinelConfig(Config):
    """What the install wizard asks for; hosts and scopes default to the Azure public cloud."""

    tenant_id: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$",
        description="Directory (tenant) ID of your Microsoft Entra tenant (a GUID, or its "
        "primary domain such as contoso.onmicrosoft.com).",
        json_schema_extra={
            "where_to_find": f"{APP_REGISTRATION} > your app > Overview > Directory (tenant) ID."
        },
    )
    client_id: str = Field(
        description="Application (client) ID of the Entra app registration ARIA signs in as.",
        json_schema_extra={
            "where_to_find": f"{APP_REGISTRATION} > New registration, then Overview > "
            f"Application (client) ID. {ROLES}"
        },
    )
    client_secret: Secret = Field(
        description="Client secret of that app registration (its Value, not its Secret ID).",
        json_schema_extra={
            "where_to_find": f"{APP_REGISTRATION} > your app > Certificates & secrets > "
            "Client secrets > New client secret; copy the Value, shown only once."
        },
    )
    subscription_id: str = Field(
        pattern=GUID,
        description="Azure subscription that holds the Sentinel workspace.",
        json_schema_extra={"where_to_find": f"{WORKSPACE} > Overview > Subscription ID."},
    )
    resource_group: str = Field(
        pattern=r"^[-\w.()]{1,90}$",
        description="Resource group of the Sentinel workspace.",
        json_schema_extra={"where_to_find": f"{WORKSPACE} > Overview > Resource group."},
    )
    workspace_name: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{2,62}$",
        description="Name of the Log Analytics workspace Sentinel runs on (used for incidents).",
        json_schema_extra={"where_to_find": f"{WORKSPACE}: the workspace's name."},
    )
    workspace_id: str = Field(
        pattern=GUID,
        description="Workspace ID (a GUID) of that workspace (used for KQL and forwarding).",
        json_schema_extra={
            "where_to_find": f"{WORKSPACE} > Overview > Workspace ID (also under Settings > "
            "Agents)."
        },
    )
    shared_key: Secret | None = Field(
        default=None,
        description="Primary (or secondary) key of the workspace, to forward ARIA risk events "
        "with the HTTP Data Collector API. Leave empty to only read from Sentinel.",
        json_schema_extra={
            "where_to_find": f"{WORKSPACE} > Settings > Agents > Log Analytics agent "
            "instructions > Primary key."
        },
    )
    log_type: str = Field(
        default=DEFAULT_LOG_TYPE,
        pattern=r"^[A-Za-z0-9_]{1,100}$",
        description="Custom log type ARIA forwards to; Sentinel stores it as the table "
        "<log_type>_CL, which common queries search.",
        json_schema_extra={
            "where_to_find": "Any name of letters, digits and underscores; the table appears "
            "under Logs > Custom Logs after the first event."
        },
    )
    ingestion_api: Literal["data_collector", "logs_ingestion"] = Field(
        default="data_collector",
        description="How ARIA forwards events: the HTTP Data Collector API (workspace shared "
        "key, retired by Microsoft on 2026-09-14) or the Logs Ingestion API (a data "
        "collection rule; the app needs Monitoring Metrics Publisher on the rule).",
        json_schema_extra={
            "where_to_find": "Choose logs_ingestion for new installations: create the table "
            "<log_type>_CL (columns TimeGenerated, source, aria_event, action, risk_id, title, "
            "description, status, status_reason, likelihood, impact, score, technique_id, "
            "created_at, finding_count, event_time) and a data collection rule for it "
            "(Azure portal > Log Analytics workspaces > Tables > Create > New custom log (DCR "
            "based))."
        },
    )
    dce_endpoint: str | None = Field(
        default=None,
        description="Logs ingestion endpoint of the data collection rule (or of its data "
        "collection endpoint), for ingestion_api=logs_ingestion.",
        json_schema_extra={
            "where_to_find": "Azure portal > Monitor > Data Collection Rules > your rule > "
            "Overview > JSON View > endpoints.logsIngestion (or Data Collection Endpoints > "
            "your endpoint > Logs Ingestion), e.g. https://my-dce-ab12.eastus-1.ingest."
            "monitor.azure.com."
        },
    )
    dcr_immutable_id: str | None = Field(
        default=None,
        pattern=r"^dcr-[0-9a-fA-F]{32}$",
        description="Immutable ID of the data collection rule (dcr-...).",
        json_schema_extra={
            "where_to_find": "Azure portal > Monitor > Data Collection Rules > your rule > "
            "JSON View > immutableId."
        },
    )
    stream_name: str | None = Field(
        default=None,
        pattern=r"^Custom-[A-Za-z0-9_]{1,200}$",
        description="Input stream of the rule; empty uses Custom-<log_type>_CL.",
        json_schema_extra={
            "where_to_find": "The rule's JSON View > streamDeclarations (the name the portal "
            "created with the table)."
        },
    )
    monitor_scope: str = Field(
        default=MONITOR_SCOPE,
        description="OAuth2 scope for the Logs Ingestion API.",
        json_schema_extra={
            "where_to_find": "https://monitor.azure.com//.default (public cloud), "
            "https://monitor.azure.us//.default (Azure Government)."
        },
    )
    base_url: str = Field(
        default=MANAGEMENT,
        description="Azure Resource Manager endpoint (incidents).",
        json_schema_extra={
            "where_to_find": "https://management.azure.com (public cloud), "
            "https://management.usgovcloudapi.net (Azure Government), "
            "https://management.chinacloudapi.cn (Azure China)."
        },
    )
    log_analytics_base_url: str = Field(
        default=LOG_ANALYTICS,
        description="Log Analytics query API endpoint (KQL).",
        json_schema_extra={
            "where_to_find": "https://api.loganalytics.io (public cloud), "
            "https://api.loganalytics.us (Azure Government), "
            "https://api.loganalytics.azure.cn (Azure China)."
        },
    )
    login_base_url: str = Field(
        default=LOGIN,
        description="Microsoft Entra sign-in host.",
        json_schema_extra={
            "where_to_find": "https://login.microsoftonline.com (public cloud), "
            "https://login.microsoftonline.us (Azure Government), "
            "https://login.chinacloudapi.cn (Azure China)."
        },
    )
    ingestion_base_url: str | None = Field(
        default=None,
        description="HTTP Data Collector endpoint; empty uses "
        "https://<workspace_id>.ods.opinsights.azure.com.",
        json_schema_extra={
            "where_to_find": "Only for Azure Government (https://<workspace_id>.ods."
            "opinsights.azure.us) or Azure China (...ods.opinsights.azure.cn)."
        },
    )
    management_scope: str | None = Field(
        default=None,
        description="OAuth2 scope for Azure Resource Manager; empty derives it from base_url.",
        json_schema_extra={"where_to_find": "Leave empty unless Microsoft support says so."},
    )
    log_analytics_scope: str | None = Field(
        default=None,
        description="OAuth2 scope for the Log Analytics API; empty derives it from its URL.",
        json_schema_extra={"where_to_find": "Leave empty unless Microsoft support says so."},
    )
    page_size: int = Field(
        default=200,
        ge=1,
        le=MAX_PAGE,
        description="Incidents per request ($top, at most 1000).",
        json_schema_extra={"where_to_find": "Keep the default."},
    )

    @model_validator(mode="before")
    @classmethod
    def _derived(cls, data: Any) -> Any:
        """Fill the ingestion host and the scopes so the URL guard checks the real targets."""
        if not isinstance(data, dict):
            return data
        filled = dict(data)
        management = str(filled.get("base_url") or MANAGEMENT)
        logs = str(filled.get("log_analytics_base_url") or LOG_ANALYTICS)
        if not filled.get("management_scope"):
            filled["management_scope"] = scope_of(management)
        if not filled.get("log_analytics_scope"):
            filled["log_analytics_scope"] = scope_of(logs)
        workspace = filled.get("workspace_id")
        if not filled.get("ingestion_base_url") and isinstance(workspace, str) and workspace:
            filled["ingestion_base_url"] = f"https://{workspace.lower()}.{ODS_DOMAIN}"
        return filled

    @property
    def table(self) -> str:
        """The custom log table forwarded events land in."""
        return f"{self.log_type}_CL"

    @property
    def stream(self) -> str:
        """The Logs Ingestion input stream."""
        return self.stream_name or f"Custom-{self.table}"

    @property
    def workspace_path(self) -> str:
        """ARM path of the workspace's Sentinel provider (incidents live below it)."""
        return (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"
            f"/providers/Microsoft.OperationalInsights/workspaces/{self.workspace_name}"
            "/providers/Microsoft.SecurityInsights"
        )
