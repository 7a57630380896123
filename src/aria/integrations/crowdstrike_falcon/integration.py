"""CrowdStrike Falcon: the reference integration of the ARIA marketplace.

Alerts, hosts, CrowdScore incidents and Spotlight vulnerabilities over the Falcon OAuth2 API,
plus signed webhook deliveries of detection and incident summary events. Everything generic
(token caching and refresh, retries, pagination, checkpoints, rate limiting) comes from the
SDK; this module only declares Falcon and overrides the three places where Falcon is odd:
the optional MSSP ``member_cid``, the ``X-RateLimit-RetryAfter`` header, and a connection test
that names missing API scopes.
"""

from __future__ import annotations

import copy
from typing import Any

import httpx

from aria.integrations.crowdstrike_falcon import webhooks
from aria.integrations.crowdstrike_falcon.config import FalconConfig
from aria.integrations.crowdstrike_falcon.logo import LOGO_SVG
from aria.integrations.crowdstrike_falcon.sandbox import DEMO, make_sandbox
from aria.integrations.crowdstrike_falcon.sandbox_data import counts_for
from aria.integrations.crowdstrike_falcon.streams import (
    QUERY_PARAMS,
    SPOTLIGHT_ALL,
    Alerts,
    DetectionsQuery,
    Devices,
    DevicesQuery,
    Incidents,
    Vulnerabilities,
    VulnerabilitiesQuery,
)
from aria.sdk import (
    AuthError,
    ConfigError,
    Integration,
    QueryRequest,
    QueryResult,
    RateLimits,
    WebhookEvent,
    auth,
)

# The API scope each stream needs, as the Falcon console names it.
SCOPES = {
    "alerts": "Alerts: Read",
    "devices": "Hosts: Read",
    "incidents": "Incidents: Read",
    "vulnerabilities": "Vulnerabilities: Read",
}


class FalconOAuth(auth.OAuth2ClientCredentials):
    """Client credentials at ``/oauth2/token``; ``member_cid`` is sent only when configured
    (an MSSP parent reading a child CID), never as an empty form field."""

    def build(self, ctx: auth.AuthContext) -> auth.SdkAuth:
        if ctx.config.value("member_cid"):
            return super().build(ctx)
        plain = copy.copy(self)
        plain.extra = {}
        return auth.OAuth2ClientCredentials.build(plain, ctx)


class CrowdStrikeFalcon(Integration):
    """CrowdStrike Falcon EDR, Spotlight and CrowdScore incidents."""

    key = "crowdstrike-falcon"
    name = "CrowdStrike Falcon"
    vendor = "CrowdStrike"
    product = "Falcon Insight XDR, Falcon Spotlight"
    category = "edr"
    description = (
        "Bring CrowdStrike Falcon detections, managed hosts, CrowdScore incidents and Spotlight "
        "vulnerabilities into ARIA. Alerts arrive with their MITRE ATT&CK tactic and "
        "technique, confidence and the affected host, so high-severity detections can raise "
        "risks automatically; hosts feed the asset inventory and vulnerabilities are tied to "
        "the same assets. Syncs are incremental and Falcon webhooks deliver new detections "
        "and incidents within seconds."
    )
    features = [
        "Incremental sync of Falcon alerts (endpoint, identity and cloud detections)",
        "Host inventory from the Hosts API, merged with other sources by agent id, "
        "cloud instance, serial and MAC",
        "CrowdScore incidents with status, score, hosts and tactics",
        "Spotlight vulnerabilities with CVSS, exploit status, CISA KEV and remediation",
        "Real-time DetectionSummaryEvent and IncidentSummaryEvent webhooks, HMAC-verified",
        "On-demand FQL queries over detections, devices and vulnerabilities",
        "All Falcon clouds (US-1, US-2, EU-1, US-GOV-1) and MSSP child CIDs",
    ]
    what_you_get = [
        "Detection findings (OCSF 2004) with ATT&CK tactic/technique, confidence and host",
        "Assets (OCSF 5001) for every sensor-managed host",
        "Incidents (OCSF 2005) with CrowdScore severity",
        "Vulnerability findings (OCSF 2002) per host, CVE and application",
        "Automatic risks from high and critical detections",
    ]
    documentation_url = "https://developer.crowdstrike.com/"
    support_url = "https://supportportal.crowdstrike.com/"
    version = "1.0.0"
    pricing_model = "enterprise"
    status = "official"
    min_platform_version = "0.1.0"
    capabilities = ["ingest", "sync", "query", "webhook"]
    data_types = ["alerts", "devices", "incidents", "vulnerabilities"]
    webhook_support = True
    # Falcon allows 6000 requests per minute per CID and answers 429 beyond it.
    rate_limits = RateLimits(per_minute=6000, burst=100)
    installation_complexity = "moderate"
    logo_svg = LOGO_SVG

    config = FalconConfig
    auth = FalconOAuth(token_url="/oauth2/token", extra={"member_cid": "{member_cid}"})  # noqa: S106
    streams = (Alerts, Devices, Incidents, Vulnerabilities)
    queries = {
        "detections": DetectionsQuery,
        "devices": DevicesQuery,
        "vulnerabilities": VulnerabilitiesQuery,
    }
    sandbox = staticmethod(make_sandbox)
    sandbox_config = DEMO

    def initialize(self, config: dict[str, Any] | FalconConfig) -> None:  # type: ignore[override]
        """Also translate Falcon's ``X-RateLimit-RetryAfter`` so 429 waits are honoured."""
        super().initialize(config)
        self.http.client.event_hooks["response"].append(self._falcon_retry_after)

    async def _falcon_retry_after(self, response: httpx.Response) -> None:
        """Falcon's 429 says *until when* (epoch seconds) in ``X-RateLimit-RetryAfter``
        rather than ``Retry-After``; the SDK honours the latter, so derive it."""
        if response.status_code != 429 or "retry-after" in response.headers:
            return
        until = response.headers.get("x-ratelimit-retryafter")
        try:
            wait = float(until) - self.http.clock() if until else None
        except ValueError:
            wait = None
        if wait is not None:
            response.headers["Retry-After"] = f"{max(0.0, wait):.3f}"

    async def probe(self) -> None:
        """One cheap call per stream, so the wizard names every missing API scope at once."""
        checks = {
            "alerts": ("/alerts/queries/alerts/v2", {"limit": 1}),
            "devices": ("/devices/queries/devices/v1", {"limit": 1}),
            "incidents": ("/incidents/queries/incidents/v1", {"limit": 1}),
            "vulnerabilities": (
                "/spotlight/queries/vulnerabilities/v1",
                {"limit": 1, "filter": SPOTLIGHT_ALL},
            ),
        }
        missing = []
        for stream, (path, params) in checks.items():
            try:
                await self.http.request("GET", path, params=params)
            except AuthError as exc:
                if exc.status_code != 403:
                    raise
                missing.append(SCOPES[stream])
        if missing:
            raise AuthError(
                "the API client lacks these scopes: "
                + ", ".join(missing)
                + " (Falcon console > Support and resources > API clients and keys)",
                status_code=403,
                details={"missing_scopes": missing},
            )

    async def query(self, request: QueryRequest) -> QueryResult:
        """FQL queries: ``params`` may hold ``filter`` (and ``q`` for detections)."""
        unknown = sorted(set(request.params) - QUERY_PARAMS)
        if unknown:
            raise ConfigError(
                f"{self.key}: unknown query parameters {unknown}; use 'filter' (FQL)",
                fields={name: "unknown query parameter" for name in unknown},
            )
        return await super().query(request)

    def verify_webhook(self, event: WebhookEvent) -> bool:
        """HMAC-SHA256 under ``webhook_secret`` (see :mod:`.webhooks`). Live installations
        also refuse deliveries older than five minutes; the sandbox accepts recorded samples."""
        secret = self.config.webhook_secret  # type: ignore[attr-defined]
        return webhooks.verify(
            secret.get_secret_value() if secret else None,
            event,
            max_age_s=webhooks.TOLERANCE_S if self.mode == "live" else None,
        )

    def parse_webhook(self, payload: Any) -> list[Any]:
        """Detection and incident summary events -> finding / incident."""
        return webhooks.parse(payload)

    # --- what the conformance suite and `aria integration test` pick up --------------------

    @classmethod
    def sandbox_counts(cls, size: int) -> dict[str, int]:
        """Records per stream in a sandbox of ``size`` (hosts and incidents are fewer)."""
        return counts_for(size)

    @classmethod
    def webhook_samples(cls) -> list[tuple[dict[str, str], bytes]]:
        """One signed delivery per event type, with the demo webhook secret."""
        secret = str(DEMO["webhook_secret"])
        out = []
        for sample in (webhooks.SAMPLE_DETECTION, webhooks.SAMPLE_INCIDENT):
            event = webhooks.signed_event(sample, secret, "1748866200")
            out.append((dict(event.headers), event.body))
        return out

    @classmethod
    def corpus_samples(cls) -> list[Any]:
        """The real Falcon responses in ../shared/corpus each stream must normalize."""
        from aria.sdk.testing import CorpusSample  # test-time only: it needs pytest

        base = "vendor-api/crowdstrike-falcon"
        return [
            CorpusSample("alerts", f"{base}/ioa_alerts_v2_entities_response.json"),
            CorpusSample("alerts", f"{base}/entities_behaviors_response.json"),
            CorpusSample("alerts", f"{base}/list_quarantine_files.json"),
            CorpusSample("devices", f"{base}/online_states_response.json"),
        ]
