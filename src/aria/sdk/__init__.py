"""ARIA integration SDK: the public surface for integration authors.

Write an integration in one file::

    from aria.sdk import Integration, Stream, Config, Secret, auth, paginate, Finding

    class FalconConfig(Config):
        base_url: str = "https://api.crowdstrike.com"
        client_id: str
        client_secret: Secret

    class Alerts(Stream):
        name = "alerts"
        path = "/alerts/combined/alerts/v1"
        records = "resources"
        paginator = paginate.Cursor(token="meta.pagination.after", param="after")
        cursor_field = "updated_timestamp"

        def normalize(self, r): return Finding.detection(uid=r["composite_id"], ...)

    class CrowdStrikeFalcon(Integration):
        key = "crowdstrike-falcon"; name = "CrowdStrike Falcon"; vendor = "CrowdStrike"
        category = "edr"; version = "1.0.0"; config = FalconConfig
        auth = auth.OAuth2ClientCredentials(token_url="/oauth2/token")
        streams = (Alerts,)

This package imports nothing from the rest of ``aria``; integrations import only from here.
"""

from aria.sdk import auth, paginate, siem, ticketing
from aria.sdk.config import Config, Secret
from aria.sdk.errors import (
    AuthError,
    ConfigError,
    FatalError,
    IntegrationError,
    MetadataError,
    RateLimited,
    TransientError,
)
from aria.sdk.http import HttpClient, Metrics, RetryPolicy
from aria.sdk.integration import Integration
from aria.sdk.metadata import CATEGORIES, IntegrationMetadata
from aria.sdk.paginate import RequestSpec
from aria.sdk.ratelimit import Limiter, RateLimits, TokenBucketLimiter
from aria.sdk.records import (
    Asset,
    CanonicalRecord,
    Finding,
    Identity,
    Incident,
    Indicator,
    Ticket,
    TicketComment,
)
from aria.sdk.redact import Redactor
from aria.sdk.registry import LoadError, Registry, discover
from aria.sdk.results import (
    ConnectionResult,
    HealthResult,
    PushRequest,
    PushResult,
    QueryRequest,
    QueryResult,
    SyncOptions,
    WebhookEvent,
)
from aria.sdk.stream import Page, Stream, StreamContext
from aria.sdk.urls import UrlPolicy, check_base_url
from aria.sdk.webhook import verify_hmac

__all__ = [
    "CATEGORIES",
    "Asset",
    "AuthError",
    "CanonicalRecord",
    "Config",
    "ConfigError",
    "ConnectionResult",
    "FatalError",
    "Finding",
    "HealthResult",
    "HttpClient",
    "Identity",
    "Incident",
    "Indicator",
    "Integration",
    "IntegrationError",
    "IntegrationMetadata",
    "Limiter",
    "LoadError",
    "MetadataError",
    "Metrics",
    "Page",
    "PushRequest",
    "PushResult",
    "QueryRequest",
    "QueryResult",
    "RateLimited",
    "RateLimits",
    "Redactor",
    "Registry",
    "RequestSpec",
    "RetryPolicy",
    "Secret",
    "Stream",
    "StreamContext",
    "SyncOptions",
    "Ticket",
    "TicketComment",
    "TokenBucketLimiter",
    "TransientError",
    "UrlPolicy",
    "WebhookEvent",
    "auth",
    "check_base_url",
    "discover",
    "paginate",
    "siem",
    "ticketing",
    "verify_hmac",
]
