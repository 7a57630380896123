"""The ``Integration`` base class: catalog metadata plus a lifecycle built from declarations.

An author declares metadata, a :class:`~aria.sdk.config.Config`, an auth kind and streams;
the base class implements ``initialize``, ``authenticate``, ``test_connection``,
``health_check``, ``sync``, ``query``, ``push``, ``handle_webhook`` and ``disconnect`` from
them. Override a method only where the vendor's API is odd.

    async with MyIntegration(config, transport=httpx.ASGITransport(app)) as integ:
        async for page in integ.sync(SyncOptions(state=saved)):
            store(page.records); save(page.stream, page.state)
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal, Self

import httpx
from pydantic import ValidationError

from aria.sdk.auth import AuthContext, AuthKind, NoAuth, SdkAuth
from aria.sdk.config import Config
from aria.sdk.errors import (
    AuthError,
    ConfigError,
    FatalError,
    IntegrationError,
    MetadataError,
    RateLimited,
)
from aria.sdk.http import HttpClient, Jitter, Metrics, RetryPolicy
from aria.sdk.logo import letter_mark
from aria.sdk.metadata import ConfigRequirement, IntegrationMetadata
from aria.sdk.ratelimit import Limiter, RateLimits, limiter_for
from aria.sdk.redact import Redactor
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

Mode = Literal["live", "sandbox"]
ASGIApp = Callable[..., Awaitable[None]]


class Integration:
    """Base class of every integration. Class attributes are the catalog metadata."""

    # --- catalog metadata ----------------------------------------------------------------
    key: ClassVar[str] = ""
    name: ClassVar[str] = ""
    vendor: ClassVar[str] = ""
    product: ClassVar[str] = ""
    category: ClassVar[str] = ""
    description: ClassVar[str] = ""
    features: ClassVar[list[str]] = []
    what_you_get: ClassVar[list[str]] = []
    config_requirements: ClassVar[list[dict[str, str]] | None] = None  # None: from Config
    documentation_url: ClassVar[str | None] = None
    support_url: ClassVar[str | None] = None
    version: ClassVar[str] = "0.1.0"
    pricing_model: ClassVar[str] = "free"
    status: ClassVar[str] = "community"
    min_platform_version: ClassVar[str] = "0.1.0"
    capabilities: ClassVar[list[str]] = ["ingest", "sync"]
    data_types: ClassVar[list[str]] = []
    webhook_support: ClassVar[bool] = False
    rate_limits: ClassVar[RateLimits] = RateLimits()
    installation_complexity: ClassVar[str] = "easy"
    logo_svg: ClassVar[str | None] = None
    price_per_call: ClassVar[float] = 0.0

    # --- behaviour declarations ----------------------------------------------------------
    config: ClassVar[type[Config]] = Config  # on instances, ``self.config`` is the values
    auth: ClassVar[AuthKind] = NoAuth()
    streams: ClassVar[tuple[type[Stream], ...]] = ()
    queries: ClassVar[dict[str, type[Stream]]] = {}  # extra query types beyond stream names
    default_base_url: ClassVar[str | None] = None  # used when the Config has no base_url
    test_path: ClassVar[str | None] = None  # GET this for test_connection instead of a stream
    sandbox: ClassVar[Callable[..., Any] | None] = None  # (seed, size, faults) -> ASGI app
    sandbox_config: ClassVar[dict[str, Any]] = {}
    retry_policy: ClassVar[RetryPolicy] = RetryPolicy()
    timeout: ClassVar[httpx.Timeout | float] = httpx.Timeout(30.0, connect=10.0)
    slow_ms: ClassVar[float] = 5000.0  # health is "degraded" above this latency

    def __init__(
        self,
        config: dict[str, Any] | Config | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        mode: Mode = "live",
        limiter: Limiter | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        clock: Callable[[], float] | None = None,
        jitter: Jitter | None = None,
        allow_private: bool = False,
    ) -> None:
        self.mode: Mode = mode
        self.transport = transport
        self.url_policy = UrlPolicy(allow_loopback=mode == "sandbox", allow_private=allow_private)
        self._limiter = limiter
        self._sleep = sleep
        self._clock = clock
        self._jitter = jitter
        self._http: HttpClient | None = None
        self._auth: httpx.Auth | None = None
        self._streams: dict[str, Stream] = {}
        self.redact = Redactor()
        if config is not None:
            self.initialize(config)

    # --- class-level API -----------------------------------------------------------------

    @classmethod
    def config_class(cls) -> type[Config]:
        """The declared Config model (``self.config`` on an instance holds its values)."""
        for klass in cls.__mro__:
            if "config" in vars(klass):
                return vars(klass)["config"]  # type: ignore[no-any-return]
        return Config

    @classmethod
    def metadata(cls) -> IntegrationMetadata:
        """Validated catalog entry; raises :class:`MetadataError` naming bad fields."""
        ident = cls.key or cls.__name__
        problems = cls._declaration_problems()
        data = {
            "key": cls.key,
            "name": cls.name,
            "vendor": cls.vendor,
            "product": cls.product or cls.name,
            "category": cls.category,
            "description": cls.description,
            "features": list(cls.features),
            "what_you_get": list(cls.what_you_get),
            "config_requirements": cls._config_requirements(),
            "documentation_url": cls.documentation_url,
            "support_url": cls.support_url,
            "version": cls.version,
            "pricing_model": cls.pricing_model,
            "status": cls.status,
            "min_platform_version": cls.min_platform_version,
            "capabilities": list(cls.capabilities),
            "data_types": list(cls.data_types),
            "auth_methods": [cls.auth.method] if isinstance(cls.auth, AuthKind) else [],
            "config_schema": cls.config_class().json_schema() if not problems.get("config") else {},
            "webhook_support": cls.webhook_support,
            "rate_limits": cls.rate_limits,
            "installation_complexity": cls.installation_complexity,
            "logo_svg": cls.logo_svg or letter_mark(cls.name or ident, ident),
            "price_per_call": cls.price_per_call,
        }
        try:
            meta = IntegrationMetadata.model_validate(data)
        except ValidationError as exc:
            for err in exc.errors(include_url=False, include_input=False):
                problems.setdefault(str(err["loc"][0]), err["msg"])
            raise MetadataError(ident, problems) from None
        if problems:
            raise MetadataError(ident, problems)
        return meta

    @classmethod
    def _declaration_problems(cls) -> dict[str, str]:
        problems: dict[str, str] = {}
        model = cls.config_class()
        if not (isinstance(model, type) and issubclass(model, Config)):
            problems["config"] = "must be a subclass of aria.sdk.Config"
            return problems
        if not isinstance(cls.auth, AuthKind):
            problems["auth"] = "must be an auth kind such as auth.Bearer()"
        else:
            missing = [f for f in cls.auth.fields() if f not in model.model_fields]
            if missing:
                problems["auth"] = f"refers to config fields that do not exist: {missing}"
        if "base_url" not in model.model_fields and not cls.default_base_url:
            problems["config"] = "declare a base_url field (or default_base_url on the class)"
        names = [s.name for s in cls.streams]
        if any(not (isinstance(s, type) and issubclass(s, Stream)) for s in cls.streams):
            problems["streams"] = "must be Stream subclasses"
        elif any(not n for n in names) or len(set(names)) != len(names):
            problems["streams"] = "every stream needs a unique, non-empty name"
        if "sync" in cls.capabilities and not cls.streams:
            problems["streams"] = "the 'sync' capability needs at least one stream"
        if cls.webhook_support != ("webhook" in cls.capabilities):
            problems["webhook_support"] = "must match the 'webhook' capability"
        return problems

    @classmethod
    def _config_requirements(cls) -> list[dict[str, str]]:
        if cls.config_requirements is not None:
            return [dict(r) for r in cls.config_requirements]
        model = cls.config_class()
        if not (isinstance(model, type) and issubclass(model, Config)):
            return []
        out = []
        for name, field in model.model_fields.items():
            extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
            out.append(
                ConfigRequirement(
                    name=name,
                    description=field.description or field.title or "",
                    where_to_find=str(extra.get("where_to_find", "")),
                ).model_dump()
            )
        return out

    @classmethod
    def sandbox_app(cls, seed: int = 7, size: int = 200, faults: Any = None) -> Any:
        """The vendor-API sandbox as an ASGI app (for Try Demo and tests)."""
        factory = cls.sandbox
        if factory is None:
            raise NotImplementedError(f"{cls.key or cls.__name__} ships no sandbox")
        return factory(seed=seed, size=size, faults=faults)

    @classmethod
    def for_sandbox(
        cls,
        *,
        seed: int = 7,
        size: int = 200,
        faults: Any = None,
        config: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Self:
        """An instance wired in process to its sandbox with the demo credentials."""
        transport = httpx.ASGITransport(app=cls.sandbox_app(seed=seed, size=size, faults=faults))
        settings = {**cls.sandbox_config, **(config or {})}
        return cls(settings, transport=transport, mode="sandbox", **kwargs)

    # --- lifecycle -----------------------------------------------------------------------

    def initialize(self, config: dict[str, Any] | Config) -> None:
        """Validate settings, guard the base URL and build the HTTP client and auth."""
        values = self.config_class().parse(config)
        base_url = getattr(values, "base_url", None) or self.default_base_url or ""
        base_url = check_base_url(str(base_url), self.url_policy)
        self.config = values  # type: ignore[misc]  # instance values shadow the model
        self.redact = values.redactor()
        self._http = HttpClient(
            base_url=base_url,
            transport=self.transport,
            timeout=self.timeout,
            retry=self.retry_policy,
            redactor=self.redact,
            sleep=self._sleep,
            clock=self._clock,
            jitter=self._jitter,
            limiter=self._limiter
            or limiter_for(
                self.rate_limits,
                **({"clock": self._clock} if self._clock else {}),
                **({"sleep": self._sleep} if self._sleep else {}),
            ),
        )
        ctx = AuthContext(
            config=values,
            base_url=base_url,
            transport=self.transport,
            timeout=self.timeout,
            clock=self._http.clock,
            redactor=self.redact,
            event_hooks=self._http.event_hooks(),
            url_policy=self.url_policy,
        )
        self._auth = self.auth.build(ctx)
        self._http.client.auth = self._auth  # type: ignore[assignment]
        self._streams = {cls.name: cls(values) for cls in self.streams}

    @property
    def http(self) -> HttpClient:
        """The shared HTTP client; use it in overridden hooks."""
        if self._http is None:
            raise ConfigError("integration is not initialized: pass a config first")
        return self._http

    @property
    def metrics(self) -> Metrics:
        """API calls, bytes, errors, retries and latency so far."""
        return self.http.metrics

    def stream(self, name: str) -> Stream:
        """The stream instance called ``name``."""
        try:
            return self._streams[name]
        except KeyError:
            raise FatalError(f"{self.key}: no stream named {name!r}") from None

    def context(self, **variables: Any) -> StreamContext:
        """What streams read with (extra template ``variables`` for queries)."""
        clock = self.http.clock
        return StreamContext(
            http=self.http,
            config=self.config,  # type: ignore[arg-type]
            now=lambda: datetime.fromtimestamp(clock(), UTC),
            variables=variables,
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.disconnect()

    async def authenticate(self) -> None:
        """Obtain tokens eagerly so bad credentials fail with :class:`AuthError` here."""
        self.http  # noqa: B018 - raises when not initialized
        if isinstance(self._auth, SdkAuth):
            await self._auth.authenticate()

    async def probe(self) -> None:
        """The cheapest call proving the credentials work: ``test_path`` or a first page."""
        if self.test_path:
            await self.http.request("GET", self.test_path)
            return
        if not self._streams:
            return
        stream = next(iter(self._streams.values()))
        pages = stream.read(self.context(), None, full=True)
        async with contextlib.aclosing(pages):
            async for _ in pages:
                break

    async def test_connection(self) -> ConnectionResult:
        """Authenticate and probe; failures come back as ``ok=False`` with a safe message."""
        started = time.perf_counter()
        try:
            await self.authenticate()
            await self.probe()
        except IntegrationError as exc:
            return ConnectionResult(
                ok=False,
                message=self.redact(str(exc)),
                latency_ms=_ms(started),
                details={"error": type(exc).__name__, "status_code": exc.status_code},
            )
        except Exception as exc:  # a bug in an override must not crash the wizard
            return ConnectionResult(
                ok=False,
                message=f"unexpected error ({type(exc).__name__})",
                latency_ms=_ms(started),
                details={"error": type(exc).__name__},
            )
        return ConnectionResult(
            ok=True,
            message="connected",
            latency_ms=_ms(started),
            details={"api_calls": self.metrics.api_calls},
        )

    async def health_check(self) -> HealthResult:
        """healthy / degraded (slow, retried, rate limited) / down (cannot connect)."""
        retries, limited = self.metrics.retries, self.metrics.rate_limited
        result = await self.test_connection()
        details = {"latency_ms": result.latency_ms, **result.details}
        if not result.ok:
            error = result.details.get("error")
            soft = error in (RateLimited.__name__,)
            return HealthResult(
                status="degraded" if soft else "down", message=result.message, details=details
            )
        if (
            self.metrics.retries > retries
            or self.metrics.rate_limited > limited
            or result.latency_ms > self.slow_ms
        ):
            return HealthResult(
                status="degraded", message="connected, but slow or retried", details=details
            )
        return HealthResult(status="healthy", message="connected", details=details)

    async def sync(self, options: SyncOptions | None = None) -> AsyncIterator[Page]:
        """Read the selected streams in order, yielding pages with checkpoints."""
        options = options or SyncOptions()
        names = options.streams or list(self._streams)
        unknown = [n for n in names if n not in self._streams]
        if unknown:
            raise ConfigError(
                f"{self.key}: unknown streams {unknown}", fields={"streams": f"unknown: {unknown}"}
            )
        ctx = self.context()
        for name in names:
            stream = self._streams[name]
            async for page in stream.read(ctx, options.state.get(name), full=options.full):
                yield page

    async def query(self, request: QueryRequest) -> QueryResult:
        """Run a stream (or a declared query) once with ``params`` as template variables."""
        if request.type in self.queries:
            stream: Stream = self.queries[request.type](self.config)  # type: ignore[arg-type]
        elif request.type in self._streams:
            stream = self._streams[request.type]
        else:
            raise FatalError(f"{self.key}: unsupported query type {request.type!r}")
        records: list[Any] = []
        raw: list[dict[str, Any]] = []
        truncated = False
        pages = stream.read(self.context(**request.params), None, full=True)
        async with contextlib.aclosing(pages):
            async for page in pages:
                records.extend(page.records)
                raw.extend(page.raw)
                if len(records) >= request.limit:
                    truncated = len(records) > request.limit or not page.done
                    break
        return QueryResult(
            type=request.type,
            records=records[: request.limit],
            raw=raw[: request.limit],
            truncated=truncated,
        )

    async def push(self, request: PushRequest) -> PushResult:
        """Send something to the vendor; integrations with the 'push' capability override."""
        raise FatalError(f"{self.key} does not support push ({request.kind!r})")

    def verify_webhook(self, event: WebhookEvent) -> bool:
        """True when the event is authentic; override (see :func:`aria.sdk.verify_hmac`)."""
        return False

    def parse_webhook(self, payload: Any) -> list[Any]:
        """Turn a verified webhook payload into canonical records; override."""
        raise FatalError(f"{self.key} does not handle webhooks")

    async def handle_webhook(self, event: WebhookEvent) -> list[Any]:
        """Verify, decode (JSON) and normalize an inbound webhook."""
        if not self.webhook_support:
            raise FatalError(f"{self.key} does not support webhooks")
        if not self.verify_webhook(event):
            raise AuthError("webhook signature verification failed")
        try:
            payload = json.loads(event.body)
        except ValueError:
            raise FatalError("malformed webhook: body is not valid JSON") from None
        return self.parse_webhook(payload)

    async def disconnect(self) -> None:
        """Close connections and token clients."""
        if isinstance(self._auth, SdkAuth):
            await self._auth.aclose()
        if self._http is not None:
            await self._http.aclose()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} key={self.key!r} mode={self.mode!r}>"


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000.0, 2)


__all__ = ["ASGIApp", "Integration", "Mode"]
