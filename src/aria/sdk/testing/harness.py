"""Driving an integration against its own sandbox: instances, reads, and record identities.

The harness builds each instance the way ``Integration.for_sandbox`` does (the sandbox app
from ``sandbox_app(seed, size, faults)`` behind ``httpx.ASGITransport``, the demo config from
``sandbox_config``), adding a :class:`SuiteTransport` on the wire and an instant clock, so
every read is in process, deterministic and free of real sleeps.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from aria.sdk.auth import Custom, OAuth2ClientCredentials
from aria.sdk.cursors import to_iso
from aria.sdk.errors import IntegrationError
from aria.sdk.integration import Integration
from aria.sdk.results import SyncOptions
from aria.sdk.sandbox import Faults
from aria.sdk.stream import Page, Stream
from aria.sdk.testing.clock import InstantTime, no_jitter
from aria.sdk.testing.faults import BAD_SECRET
from aria.sdk.testing.transport import SuiteTransport, TransportFault

Pair = tuple[str, str | None]


@dataclass
class Run:
    """One integration instance wired to a fresh sandbox app."""

    integ: Integration
    transport: SuiteTransport
    time: InstantTime
    size: int

    async def close(self) -> None:
        """Release the instance's clients."""
        await self.integ.disconnect()


@dataclass
class Read:
    """The pages one read yielded, and the SDK error that ended it early (if any)."""

    stream: Stream
    pages: list[Page] = field(default_factory=list)
    error: IntegrationError | None = None

    @property
    def raw(self) -> list[dict[str, Any]]:
        """Vendor records in delivery order."""
        return [r for p in self.pages for r in p.raw]

    @property
    def records(self) -> list[Any]:
        """Normalized records in delivery order."""
        return [r for p in self.pages for r in p.records]

    @property
    def completed(self) -> bool:
        """True when the read ended normally on a page with ``done=True``."""
        return self.error is None and bool(self.pages) and self.pages[-1].done

    @property
    def last_state(self) -> dict[str, Any] | None:
        """The checkpoint a runner would have saved last."""
        return self.pages[-1].state if self.pages else None

    def idents(self) -> list[str]:
        """Vendor identities of the raw records (see :func:`ident`)."""
        return [ident(self.stream, r) for r in self.raw]

    def pairs(self) -> set[Pair]:
        """(identity, cursor value) of each raw record: what incremental reads compare."""
        return {pair(self.stream, r) for r in self.raw}


def ident(stream: Stream, record: dict[str, Any]) -> str:
    """The record's vendor id (``primary_key``), else a digest of its content."""
    rid = stream.record_id(record) if isinstance(record, dict) else None
    if rid is not None:
        return rid
    blob = json.dumps(record, sort_keys=True, default=str).encode()
    return "sha256:" + hashlib.sha256(blob).hexdigest()[:24]


def pair(stream: Stream, record: dict[str, Any]) -> Pair:
    """(identity, cursor value as canonical ISO) of a raw record."""
    value = stream.cursor_value(record) if stream.cursor_field else None
    return ident(stream, record), (to_iso(value) if value is not None else None)


def token_paths(integration: type[Integration]) -> tuple[str, ...]:
    """Paths of token endpoints, which the suite never breaks (faults target data calls)."""
    kind = integration.auth
    if isinstance(kind, OAuth2ClientCredentials) and not kind.token_url.startswith("http"):
        return ("/" + kind.token_url.lstrip("/"),)
    if isinstance(kind, OAuth2ClientCredentials):
        return (httpx.URL(kind.token_url).path,)
    return ()


def refreshes_tokens(integration: type[Integration]) -> bool:
    """True when the auth kind obtains expiring tokens it can refresh on a 401."""
    kind = integration.auth
    if isinstance(kind, OAuth2ClientCredentials):
        return True
    return isinstance(kind, Custom) and type(kind).refresh is not Custom.refresh


class Harness:
    """Builds instances of one integration against its sandbox and reads its streams."""

    def __init__(self, integration: type[Integration], *, seed: int, size: int) -> None:
        self.integration = integration
        self.seed = seed
        self.size = size

    def config(self, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
        """The demo settings (``sandbox_config``) with ``overrides``."""
        return {**self.integration.sandbox_config, **(overrides or {})}

    def bad_credentials(self) -> dict[str, Any]:
        """The demo settings with every secret that has a value replaced by a wrong one."""
        model = self.integration.config_class()
        settings = self.config()
        for name in model.secret_fields():
            field_info = model.model_fields[name]
            if settings.get(name) is not None or field_info.is_required():
                settings[name] = BAD_SECRET
        return settings

    def run(
        self,
        *,
        size: int | None = None,
        faults: Faults | None = None,
        config: dict[str, Any] | None = None,
        budget: int = 5_000,
    ) -> Run:
        """A new instance on a new sandbox app (same seed, so the same data)."""
        size = self.size if size is None else size
        clock = InstantTime()
        app = self.integration.sandbox_app(seed=self.seed, size=size, faults=faults)
        transport = SuiteTransport(
            httpx.ASGITransport(app=app),
            clock=clock.clock,
            exempt_paths=token_paths(self.integration),
            budget=budget,
        )
        integ = self.integration(
            config if config is not None else self.config(),
            transport=transport,
            mode="sandbox",
            sleep=clock.sleep,
            clock=clock.clock,
            jitter=no_jitter,
        )
        return Run(integ, transport, clock, size)

    async def read(
        self,
        run: Run,
        stream: str,
        *,
        state: dict[str, Any] | None = None,
        full: bool = False,
        fault: TransportFault | None = None,
        arm_after_pages: int = 0,
        stop_after_pages: int | None = None,
        on_page: Callable[[Page], None] | None = None,
    ) -> Read:
        """Read ``stream`` once; SDK errors end the read and are kept, others propagate.

        ``fault`` is injected from the start, or after ``arm_after_pages`` pages (so a
        failure can hit mid-read); ``stop_after_pages`` stops consuming early.
        """
        result = Read(run.integ.stream(stream))
        if fault is not None:
            run.transport.inject(fault, armed=arm_after_pages == 0)
        options = SyncOptions(streams=[stream], state={stream: state} if state else {}, full=full)
        pages = run.integ.sync(options)
        try:
            async with contextlib.aclosing(pages):
                async for page in pages:
                    result.pages.append(page)
                    if on_page is not None:
                        on_page(page)
                    if fault is not None and len(result.pages) == arm_after_pages:
                        run.transport.arm()
                    if stop_after_pages is not None and len(result.pages) >= stop_after_pages:
                        break
        except IntegrationError as exc:
            result.error = exc
        finally:
            run.transport.inject(None)
        return result


__all__ = [
    "Harness",
    "Pair",
    "Read",
    "Run",
    "ident",
    "pair",
    "refreshes_tokens",
    "token_paths",
]
