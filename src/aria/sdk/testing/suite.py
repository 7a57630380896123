"""The conformance suite: every check an integration must pass, as one pytest test class.

``conformance(MyIntegration)`` returns a subclass of :class:`ConformanceSuite` bound to that
integration; assign it to a ``Test*`` name in a test file and pytest collects every check.
Each check runs against the integration's own sandbox, in process, with an instant clock.
Failure messages say what to change in the integration (or its sandbox) to pass.
"""

from __future__ import annotations

import inspect
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, NoReturn

import pytest
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from aria.sdk.cursors import to_datetime
from aria.sdk.errors import (
    AuthError,
    ConfigError,
    FatalError,
    IntegrationError,
    MetadataError,
    RateLimited,
    TransientError,
)
from aria.sdk.integration import Integration
from aria.sdk.metadata import CAPABILITIES, CATEGORIES, SEMVER
from aria.sdk.records import CanonicalRecord, Indicator
from aria.sdk.records.ocsf_validate import (
    OcsfValidationError,
    validate_ocsf,
    validate_ocsf_object,
)
from aria.sdk.stream import Stream
from aria.sdk.testing import faults as scenarios
from aria.sdk.testing.corpus import (
    ENV_VAR,
    CorpusSample,
    find_corpus_root,
    load_corpus_records,
)
from aria.sdk.testing.faults import BAD_SECRET, RETRY_AFTER
from aria.sdk.testing.harness import Harness, Read, Run, refreshes_tokens, token_paths
from aria.sdk.testing.secret_names import unmarked_secrets
from aria.sdk.testing.transport import RunawayRead, TransportFault
from aria.sdk.testing.webhooks import WebhookCase

Count = int | Callable[[int], int]
FAR_FUTURE = "2999-01-01T00:00:00Z"
_SHOW = 3  # problems quoted per failure message
_FAULTS = "the sandbox must apply Faults: call Sandbox.install(app) on it"
_PAGES = (
    "the sandbox must apply Faults to list pages: call Sandbox.install(app) and build each "
    "page with Sandbox.page(body, page_no) and its cursor with Sandbox.next_cursor()"
)
_CREDENTIALS = (
    "the sandbox must reject credentials other than sandbox_config's (check them with "
    "Sandbox.bearer()/api_key()/basic()/check_hmac() or add_token_endpoint())"
)
_WIRE = "the failure was injected on the wire, so the integration must have absorbed it"


def _fail(message: str) -> NoReturn:
    pytest.fail(message, pytrace=False)


@dataclass
class _Baseline:
    read: Read
    requests: int


class ConformanceSuite:
    """The checks. Do not subclass by hand: call :func:`conformance`, which binds the class
    attributes below to one integration."""

    integration: ClassVar[type[Integration]]
    seed: ClassVar[int] = 7
    size: ClassVar[int] = 200
    counts: ClassVar[Mapping[str, Count]] = {}
    not_secret: ClassVar[tuple[str, ...]] = ()
    corpus: ClassVar[tuple[CorpusSample, ...]] = ()
    corpus_dir: ClassVar[str | None] = None
    anchors: ClassVar[tuple[Path, ...]] = ()
    webhooks: ClassVar[tuple[WebhookCase, ...]] = ()
    _baselines: ClassVar[dict[tuple[str, int], _Baseline]]

    pytestmark: ClassVar[list[pytest.MarkDecorator]] = [pytest.mark.anyio]

    # --- wiring ------------------------------------------------------------------------------

    @pytest.fixture
    def anyio_backend(self) -> str:
        """Async checks run on asyncio (the platform's loop)."""
        return "asyncio"

    @pytest.fixture
    def harness(self) -> Harness:
        """Builds instances of the integration against its sandbox."""
        if self.integration.sandbox is None:
            pytest.skip("the integration ships no sandbox (see test_sandbox_available)")
        return Harness(self.integration, seed=self.seed, size=self.size)

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        """One test per stream / incremental stream / webhook sample / corpus sample."""
        cls = self.integration
        names = [s.name for s in cls.streams]
        incremental = [s.name for s in cls.streams if s.cursor_field and not s.full_refresh_only]
        table: dict[str, tuple[list[Any], list[str], str]] = {
            "stream": (names, names, "the integration declares no streams"),
            "incremental_stream": (
                incremental,
                incremental,
                "no stream is incremental (no cursor_field, or full_refresh_only)",
            ),
            "webhook_case": (
                list(self._webhook_cases()),
                [c.name for c in self._webhook_cases()],
                self._webhook_skip_reason(),
            ),
            "corpus_sample": (
                list(self._corpus_samples()),
                [s.id for s in self._corpus_samples()],
                "no corpus samples: pass corpus=[CorpusSample(...)] to conformance() or "
                "define a classmethod corpus_samples() on the integration",
            ),
        }
        for arg, (values, ids, reason) in table.items():
            if arg not in metafunc.fixturenames:
                continue
            if values:
                metafunc.parametrize(arg, values, ids=ids)
            else:
                skip = pytest.param(None, marks=pytest.mark.skip(reason=reason), id="none")
                metafunc.parametrize(arg, [skip])

    @classmethod
    def _webhook_cases(cls) -> list[WebhookCase]:
        if not cls.integration.webhook_support:
            return []
        cases = list(cls.webhooks)
        hook = getattr(cls.integration, "webhook_samples", None)
        if callable(hook):
            cases += [WebhookCase.coerce(v, i) for i, v in enumerate(hook())]
        return cases

    @classmethod
    def _webhook_skip_reason(cls) -> str:
        if not cls.integration.webhook_support:
            return "webhook_support is False"
        return (
            "webhook_support is True but no signed sample was given: pass "
            "webhook=WebhookCase(headers, body) to conformance() or define a classmethod "
            "webhook_samples() returning (headers, body) pairs signed with sandbox_config"
        )

    @classmethod
    def _corpus_samples(cls) -> list[CorpusSample]:
        samples = list(cls.corpus)
        hook = getattr(cls.integration, "corpus_samples", None)
        if callable(hook):
            samples += list(hook())
        return samples

    def _who(self) -> str:
        return self.integration.key or self.integration.__name__

    # --- metadata and configuration ----------------------------------------------------------

    def test_metadata_valid(self) -> None:
        """The catalog entry validates, and the fields the catalog leans on are meaningful."""
        cls = self.integration
        try:
            cls.metadata()
        except MetadataError as exc:
            _fail(f"{exc}. Fix those class attributes on {cls.__name__}.")
        problems = []
        if not SEMVER.match(str(cls.version)):
            problems.append(f"version {cls.version!r} is not semver: use MAJOR.MINOR.PATCH")
        if cls.category not in CATEGORIES:
            problems.append(f"category {cls.category!r} is unknown: use one of {CATEGORIES}")
        if not str(cls.description).strip():
            problems.append("description is empty: write one or two sentences for the catalog")
        unknown = sorted(set(cls.capabilities) - set(CAPABILITIES))
        if unknown:
            problems.append(f"capabilities {unknown} are unknown: allowed are {CAPABILITIES}")
        if not cls.data_types:
            problems.append("data_types is empty: list what it brings in, e.g. ['alerts']")
        if problems:
            _fail(f"{self._who()}: " + "; ".join(problems))

    def test_config_schema_valid(self) -> None:
        """The install form is generated from this schema; it must be valid JSON Schema."""
        schema = self.integration.config_class().json_schema()
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as exc:
            _fail(
                f"the Config JSON Schema is not valid Draft 2020-12 ({exc.message} at "
                f"{'/'.join(map(str, exc.path)) or '<root>'}): check custom json_schema_extra "
                "and Field(...) arguments on the Config model"
            )
        if schema.get("type") != "object":
            _fail("the Config JSON Schema must describe an object: subclass aria.sdk.Config")

    def test_secret_fields_marked(self) -> None:
        """Credential-looking fields are Secret, so they are masked, vaulted and redacted."""
        model = self.integration.config_class()
        bad = unmarked_secrets(
            model.json_schema(), model.secret_fields(), not_secret=self.not_secret
        )
        if bad:
            _fail(
                f"config field(s) {bad} of {model.__name__} look like credentials but are not "
                "marked secret: declare them as `name: Secret` (aria.sdk.Secret) so the form "
                "masks them, the vault encrypts them and logs never show them. If a field is "
                "not a credential, pass not_secret=(...) to conformance()."
            )

    def test_sandbox_config_valid(self) -> None:
        """``sandbox_config`` (the demo credentials) validates against the Config model."""
        model = self.integration.config_class()
        try:
            model.parse(dict(self.integration.sandbox_config))
        except ConfigError as exc:
            _fail(
                f"sandbox_config does not validate against {model.__name__}: {exc.fields}. "
                "Put the sandbox's demo settings (every required field) in sandbox_config."
            )

    def test_sandbox_available(self) -> None:
        """The integration ships a sandbox, which every other check runs against."""
        cls = self.integration
        if cls.sandbox is None:
            _fail(
                f"{cls.__name__} ships no sandbox: write one with aria.sdk.sandbox (see "
                "docs/sdk.md) and set `sandbox = staticmethod(make_sandbox)` on the class"
            )
        app = cls.sandbox_app(seed=self.seed, size=self.size, faults=None)
        if not callable(app):
            _fail("sandbox(seed, size, faults) must return an ASGI app (FastAPI or Starlette)")

    # --- test_connection ---------------------------------------------------------------------

    async def test_connection_succeeds(self, harness: Harness) -> None:
        """With ``sandbox_config`` the connection test passes."""
        run = harness.run()
        try:
            result = await run.integ.test_connection()
        finally:
            await run.close()
        if not result.ok:
            _fail(
                f"test_connection failed against the sandbox: {result.message} "
                f"({result.details}). The sandbox must accept sandbox_config's credentials and "
                "answer the probe (test_path, or the first page of the first stream)."
            )

    async def test_connection_bad_credentials_fails_cleanly(self, harness: Harness) -> None:
        """Wrong credentials give ``ok=False`` (not an exception) and never echo the secret."""
        if not self.integration.config_class().secret_fields():
            pytest.skip("the Config has no Secret fields, so there is no credential to get wrong")
        run = harness.run(config=harness.bad_credentials())
        raised: Exception | None = None
        try:
            result = await run.integ.test_connection()
        except Exception as exc:
            raised = exc
        finally:
            await run.close()
        if raised is not None:
            _fail(
                f"test_connection raised {type(raised).__name__} with wrong credentials; it "
                "must return ConnectionResult(ok=False, ...). Let the base class handle errors, "
                "or catch IntegrationError in your override."
            )
        if result.ok:
            _fail(
                "test_connection succeeded with wrong credentials: the sandbox must reject "
                "them (Sandbox.bearer()/api_key()/basic()/add_token_endpoint check them)."
            )
        if BAD_SECRET in result.model_dump_json():
            _fail(
                "the failed ConnectionResult contains the credential that was sent: build "
                "error messages through the integration's redactor (self.redact)."
            )

    # --- streams: records, stability, pagination ---------------------------------------------

    async def _baseline(self, harness: Harness, stream: str, size: int | None = None) -> _Baseline:
        """A clean read of ``stream`` (cached per class: the sandbox is deterministic)."""
        size = self.size if size is None else size
        cache = type(self)._baselines
        key = (stream, size)
        if key not in cache:
            run = harness.run(size=size)
            try:
                read = await self._read(harness, run, stream)
            finally:
                await run.close()
            if read.error is not None:
                _fail(
                    f"a clean read of stream {stream!r} from the sandbox failed: "
                    f"{type(read.error).__name__}: {read.error}. The stream's path, params, "
                    "auth and envelope (records=...) must match what the sandbox serves."
                )
            cache[key] = _Baseline(read, len(run.transport.data_requests))
        return cache[key]

    async def _read(self, harness: Harness, run: Run, stream: str, **kwargs: Any) -> Read:
        """``harness.read`` with non-SDK failures turned into readable test failures."""
        try:
            return await harness.read(run, stream, **kwargs)
        except RunawayRead as exc:
            problem = (
                f"stream {stream!r} never stopped paginating: {exc}. A paginator must end on "
                "the last page and raise FatalError on a loop: use an aria.sdk.paginate class "
                "(they carry a LoopGuard) or call LoopGuard.check in your own."
            )
        except Exception as exc:
            problem = (
                f"reading stream {stream!r} raised {type(exc).__name__}: {exc}. Vendor and "
                "network failures must surface as aria.sdk errors (AuthError, ConfigError, "
                "TransientError, RateLimited, FatalError); anything else is a bug in a hook."
            )
        _fail(problem)

    async def test_stream_records_valid(self, harness: Harness, stream: str) -> None:
        """Records are canonical, valid OCSF, with a dedupe key; no page reports errors."""
        base = (await self._baseline(harness, stream)).read
        if not base.raw:
            _fail(
                f"stream {stream!r} read no records from a sandbox of size {self.size}: the "
                "sandbox must serve records for every stream (check path and records=...)."
            )
        errors = [e for p in base.pages for e in p.errors]
        if errors:
            _fail(
                f"normalize failed on {len(errors)} sandbox record(s) of stream {stream!r}, "
                f"e.g. {errors[:_SHOW]}: fix normalize() for the shape the sandbox serves "
                "(and the sandbox, if that shape is not the vendor's)."
            )
        problems = []
        for index, record in enumerate(base.records):
            if not isinstance(record, CanonicalRecord):
                problems.append(
                    f"record #{index} is a {type(record).__name__}: normalize must return "
                    "Finding, Asset, Identity, Incident or Indicator (aria.sdk)"
                )
                continue
            key = record.dedupe_key("conformance")
            if not [part for part in key if part and part != "conformance"]:
                problems.append(
                    f"record #{index} ({type(record).__name__}) has an empty dedupe key {key}: "
                    "pass the vendor id as uid= (or the identifiers its key needs)"
                )
            try:
                _validate_ocsf(record)
            except OcsfValidationError as exc:
                problems.append(f"record #{index} is not valid OCSF: {exc}")
            if len(problems) >= _SHOW:
                break
        if problems:
            _fail(f"stream {stream!r}: " + " | ".join(problems))
        if base.stream.incremental:
            self._check_incremental_fields(base, stream)

    @staticmethod
    def _check_incremental_fields(base: Read, stream: str) -> None:
        st = base.stream
        no_id = [i for i, r in enumerate(base.raw) if st.record_id(r) is None]
        if no_id:
            _fail(
                f"stream {stream!r}: {len(no_id)} record(s) (e.g. #{no_id[0]}) have no value at "
                f"primary_key {st.primary_key!r}; incremental dedupe needs the vendor id there."
            )
        no_cursor = [i for i, r in enumerate(base.raw) if st.cursor_value(r) is None]
        if no_cursor:
            _fail(
                f"stream {stream!r}: {len(no_cursor)} record(s) (e.g. #{no_cursor[0]}) have no "
                f"value at cursor_field {st.cursor_field!r}: point cursor_field at the record's "
                "last-modified timestamp (or make the stream full_refresh_only)."
            )

    async def test_stream_full_read_stable(self, harness: Harness, stream: str) -> None:
        """Two full reads (and a fresh instance) give the same dedupe keys."""
        run = harness.run()
        try:
            first = await self._read(harness, run, stream, full=True)
            second = await self._read(harness, run, stream, full=True)
        finally:
            await run.close()
        fresh = (await self._baseline(harness, stream)).read
        for read in (first, second):
            if read.error is not None:
                _fail(f"a full read of stream {stream!r} failed: {read.error}")
        keys = [self._keys(r) for r in (first, second, fresh)]
        if keys[0] != keys[1]:
            _fail(
                f"stream {stream!r}: a second full read on the same instance returned different "
                f"records ({len(keys[0] ^ keys[1])} dedupe keys differ): the stream keeps state "
                "between reads; keep per-read state in the checkpoint, not on the instance."
            )
        if keys[0] != keys[2]:
            _fail(
                f"stream {stream!r}: two sandboxes with the same seed served different records "
                f"({len(keys[0] ^ keys[2])} dedupe keys differ): generate sandbox data only "
                "from sb.gen (seeded), never from random/uuid4/datetime.now."
            )

    @staticmethod
    def _keys(read: Read) -> set[tuple[str, ...]]:
        return {r.dedupe_key("conformance") for r in read.records if isinstance(r, CanonicalRecord)}

    def _expected_count(self, stream: str, size: int) -> tuple[int, str]:
        declared: Count | None = self.counts.get(stream)
        hook = getattr(self.integration, "sandbox_counts", None)
        if declared is None and callable(hook):
            declared = dict(hook(size)).get(stream)
            if declared is not None:
                return int(declared), f"sandbox_counts({size})"
        if declared is None:
            return size, "the sandbox size (the default convention)"
        value = declared(size) if callable(declared) else declared
        return int(value), "counts= given to conformance()"

    async def test_pagination_ends_on_last_page(self, harness: Harness, stream: str) -> None:
        """A read walks every page exactly once, marks only the last one done, and returns
        every record the sandbox holds."""
        base = (await self._baseline(harness, stream)).read
        flags = [p.done for p in base.pages]
        if not flags or not flags[-1] or any(flags[:-1]):
            _fail(
                f"stream {stream!r}: pages reported done={flags}; only the last page may be "
                "done=True (a custom read()/paginator must follow that contract)."
            )
        idents = base.idents()
        dupes = len(idents) - len(set(idents))
        if dupes:
            _fail(
                f"stream {stream!r}: {dupes} record(s) were delivered twice in one read: pages "
                "overlap (an off-by-one offset, or a cursor that does not advance)."
            )
        expected, source = self._expected_count(stream, self.size)
        if len(idents) != expected:
            _fail(
                f"stream {stream!r} read {len(idents)} records from a sandbox of size "
                f"{self.size}; expected {expected} ({source}). If the read stopped early, the "
                "paginator ends too soon (limit above the sandbox page size? wrong total path?); "
                "if the sandbox serves a different number on purpose, declare a classmethod "
                "sandbox_counts(size) -> {stream: count} on the integration."
            )

    async def test_pagination_loop_detected(self, harness: Harness, stream: str) -> None:
        """A vendor that repeats a cursor (or a page) ends the read with FatalError('loop')."""
        baseline = await self._baseline(harness, stream)
        if len(baseline.read.pages) < 2:
            pytest.skip(
                f"stream {stream!r} reads one page from a sandbox of size {self.size}; a loop "
                "needs two: pass a larger size= to conformance() to cover it"
            )
        budget = 10 * baseline.requests + 20
        for fault in (scenarios.repeated_cursor(), None):
            run = harness.run(faults=fault, budget=budget)
            try:
                read = await self._read(
                    harness,
                    run,
                    stream,
                    fault=None if fault is not None else scenarios.replayed_page(),
                )
            finally:
                await run.close()
            if read.error is None and fault is not None:
                continue  # the sandbox has no cursor to repeat here: replay a page instead
            self._expect_clean_failure(read, FatalError, stream, "a repeated page/cursor", _PAGES)
            if "loop" not in str(read.error).lower():
                _fail(
                    f"stream {stream!r}: a repeated page raised FatalError({read.error}) but "
                    "its message should say 'pagination loop detected' (LoopGuard does)."
                )
            return

    async def test_resume_from_checkpoint(self, harness: Harness, stream: str) -> None:
        """The state saved after page 1 resumes the read: page 1 + the rest = the full read."""
        base = (await self._baseline(harness, stream)).read
        if len(base.pages) < 2:
            pytest.skip(
                f"stream {stream!r} reads one page from a sandbox of size {self.size}; resuming "
                "needs two: pass a larger size= to conformance() to cover it"
            )
        run = harness.run()
        try:
            head = await self._read(harness, run, stream, stop_after_pages=1)
        finally:
            await run.close()
        if head.error is not None or not head.pages:
            _fail(f"stream {stream!r}: reading the first page failed: {head.error}")
        await self._check_resumes(harness, stream, head, "after page 1")

    async def _check_resumes(self, harness: Harness, stream: str, head: Read, when: str) -> None:
        """Resuming from ``head``'s last state must deliver exactly the rest of the full read."""
        state = head.last_state
        if not state:
            return
        base = (await self._baseline(harness, stream)).read
        run = harness.run()
        try:
            rest = await self._read(harness, run, stream, state=state)
        finally:
            await run.close()
        if rest.error is not None:
            _fail(
                f"stream {stream!r}: resuming from the checkpoint saved {when} failed: "
                f"{type(rest.error).__name__}: {rest.error}. The state must be plain JSON "
                "pointing at the next page."
            )
        combined = head.idents() + rest.idents()
        expected = set(base.idents())
        missing = expected - set(combined)
        dupes = len(combined) - len(set(combined))
        if missing or dupes or set(combined) != expected:
            _fail(
                f"stream {stream!r}: the checkpoint saved {when} does not resume correctly: "
                f"{len(missing)} record(s) missing, {dupes} delivered twice, "
                f"{len(set(combined) - expected)} unexpected. Each page's state must point at "
                "the page after it (state['pagination'])."
            )

    # --- incremental reads ---------------------------------------------------------------------

    async def test_incremental_second_read_repeats_nothing(
        self, harness: Harness, incremental_stream: str
    ) -> None:
        """From the saved state, a second read returns no record it already returned unchanged."""
        stream = incremental_stream
        run = harness.run()
        try:
            first = await self._read(harness, run, stream)
            second = await self._read(harness, run, stream, state=first.last_state)
        finally:
            await run.close()
        if first.error is not None or second.error is not None:
            _fail(f"stream {stream!r}: incremental read failed: {first.error or second.error}")
        again = first.pairs() & second.pairs()
        if again:
            example = sorted(again, key=str)[0]
            _fail(
                f"stream {stream!r}: the second incremental read re-delivered {len(again)} "
                f"unchanged record(s), e.g. {example}. The sandbox must honour the since filter "
                "(params such as {'filter': \"updated>'{since}'\"}) and cursor_field must be "
                "the record's last-modified time."
            )
        if not second.completed:
            _fail(f"stream {stream!r}: the second incremental read did not finish with done=True")

    async def test_incremental_sees_only_newer_records(
        self, harness: Harness, incremental_stream: str
    ) -> None:
        """After the sandbox gains records (same seed, larger size), the next incremental read
        returns exactly the records newer than the cursor (within the look-back window)."""
        stream = incremental_stream
        grown = self.size + max(1, self.size // 2)
        run = harness.run()
        try:
            first = await self._read(harness, run, stream)
        finally:
            await run.close()
        state = first.last_state or {}
        cursor = to_datetime(state.get("cursor"))
        if first.error is not None or cursor is None:
            _fail(
                f"stream {stream!r}: a completed incremental read saved no cursor "
                f"(state={state}): cursor_field must resolve on every record."
            )
        since = cursor - first.stream.lookback
        big = harness.run(size=grown)
        try:
            everything = await self._read(harness, big, stream, full=True)
            second = await self._read(harness, big, stream, state=state)
        finally:
            await big.close()
        if everything.error is not None or second.error is not None:
            _fail(f"stream {stream!r}: read failed: {everything.error or second.error}")
        known = first.pairs()
        stamps = {p: to_datetime(p[1]) for p in everything.pairs()}
        must = {p for p, at in stamps.items() if at is not None and at > since} - known
        may = {p for p, at in stamps.items() if at is not None and at >= since} - known
        got = second.pairs()
        if not must and not got:
            pytest.skip(
                f"the sandbox with seed {self.seed} and size {grown} adds no record newer than "
                f"the cursor of size {self.size}, so 'sees newer records' cannot be checked: "
                "make later records newer (timestamps that grow with the record index)"
            )
        stale = got - may
        if stale:
            _fail(
                f"stream {stream!r}: the incremental read returned {len(stale)} record(s) that "
                f"are neither new nor newer than the cursor minus look-back, e.g. "
                f"{sorted(stale, key=str)[0]}: honour {{since}} in the request and keep "
                "cursor_field on the last-modified time."
            )
        missed = must - got
        if missed:
            _fail(
                f"stream {stream!r}: the incremental read missed {len(missed)} record(s) newer "
                f"than the cursor, e.g. {sorted(missed, key=str)[0]}: the since filter or the "
                "paginator drops records (check the filter's comparison and time format)."
            )

    async def test_far_future_cursor_yields_nothing(
        self, harness: Harness, incremental_stream: str
    ) -> None:
        """A cursor in the far future means nothing is newer: the read yields no records."""
        stream = incremental_stream
        run = harness.run()
        try:
            read = await self._read(harness, run, stream, state={"cursor": FAR_FUTURE})
        finally:
            await run.close()
        if read.error is not None:
            _fail(
                f"stream {stream!r}: an incremental read from cursor {FAR_FUTURE} failed: "
                f"{type(read.error).__name__}: {read.error}. The sandbox must accept any since."
            )
        if read.raw:
            _fail(
                f"stream {stream!r}: an incremental read from cursor {FAR_FUTURE} returned "
                f"{len(read.raw)} record(s); it must return none."
            )
        if not read.completed:
            _fail(f"stream {stream!r}: the read from a far-future cursor did not end done=True")

    # --- error behaviour ------------------------------------------------------------------------

    def _expect_clean_failure(
        self, read: Read, expected: type[IntegrationError], stream: str, cause: str, fix: str
    ) -> None:
        """The read ended with ``expected`` and never reported partial data as complete."""
        if read.error is None:
            _fail(
                f"stream {stream!r}: {cause} did not fail the read (it completed with "
                f"{len(read.raw)} records): {fix}; and let aria.sdk errors propagate out of "
                "read() and hooks instead of swallowing them."
            )
        if not isinstance(read.error, expected):
            _fail(
                f"stream {stream!r}: {cause} raised {type(read.error).__name__}({read.error}); "
                f"expected {expected.__name__}: send requests through self.http (HttpClient "
                "maps statuses to the taxonomy) and do not re-wrap its errors."
            )
        if any(p.done for p in read.pages):
            _fail(
                f"stream {stream!r}: {cause} came after a page with done=True: a failed read "
                "must never report itself complete."
            )
        if BAD_SECRET in f"{read.error!s}{read.error!r}{read.error.details}":
            _fail(f"stream {stream!r}: the error message contains the credential that was sent")

    async def _failing_read(
        self,
        harness: Harness,
        stream: str,
        *,
        faults: Any = None,
        fault: TransportFault | None = None,
        config: dict[str, Any] | None = None,
    ) -> tuple[Read, Run]:
        """A read that should fail; transport faults start after page 1 when there are pages."""
        pages = len((await self._baseline(harness, stream)).read.pages)
        run = harness.run(faults=faults, config=config)
        try:
            read = await self._read(
                harness, run, stream, fault=fault, arm_after_pages=1 if pages > 1 else 0
            )
        finally:
            await run.close()
        return read, run

    async def test_bad_credentials_raise_auth_error(self, harness: Harness, stream: str) -> None:
        """Wrong credentials end a read with AuthError, and the secret is not in the message."""
        if not self.integration.config_class().secret_fields():
            pytest.skip("the Config has no Secret fields, so there is no credential to get wrong")
        read, _ = await self._failing_read(harness, stream, config=harness.bad_credentials())
        self._expect_clean_failure(read, AuthError, stream, "wrong credentials", _CREDENTIALS)

    async def test_unauthorized_401_raises_auth_error(self, harness: Harness, stream: str) -> None:
        """A 401 that persists (credentials revoked mid-read) ends the read with AuthError."""
        read, _ = await self._failing_read(harness, stream, fault=scenarios.unauthorized_always())
        self._expect_clean_failure(read, AuthError, stream, "a persistent 401", _WIRE)
        await self._check_resumes(harness, stream, read, "before the 401")

    async def test_expired_token_is_refreshed(self, harness: Harness, stream: str) -> None:
        """When the sandbox expires the access token, the integration fetches a new one and the
        read completes (auth kinds with refresh), or stops with AuthError (static ones)."""
        if not refreshes_tokens(self.integration):
            pytest.skip(
                f"auth kind {self.integration.auth.method!r} has no expiring token to refresh "
                "(wrong and revoked credentials are covered by the AuthError checks)"
            )
        base = (await self._baseline(harness, stream)).read
        run = harness.run(faults=scenarios.expiring_token(after=2))
        try:
            read = await self._read(harness, run, stream)
        finally:
            await run.close()
        if read.error is not None:
            _fail(
                f"stream {stream!r}: after the sandbox expired the access token the read failed "
                f"with {type(read.error).__name__}: {read.error}. The auth kind must fetch a "
                "new token on 401 and retry (OAuth2ClientCredentials does)."
            )
        if set(read.idents()) != set(base.idents()):
            _fail(f"stream {stream!r}: the read across a token refresh lost or added records")
        paths = token_paths(self.integration)
        if paths and run.transport.requests_to(paths[0]) < 2:
            _fail(
                f"stream {stream!r}: Faults(expire_token_after_requests=2) never expired a "
                "token: the sandbox must validate issued tokens with Sandbox.bearer() (no fixed "
                "token) so expiry can be simulated."
            )

    async def test_forbidden_403_raises_auth_error(self, harness: Harness, stream: str) -> None:
        """403 (valid credentials without permission) ends the read with AuthError."""
        read, _ = await self._failing_read(harness, stream, faults=scenarios.forbidden())
        self._expect_clean_failure(read, AuthError, stream, "403 Forbidden", _FAULTS)
        if read.error is not None and read.error.status_code != 403:
            _fail(f"stream {stream!r}: the AuthError for a 403 carries status_code=403")

    async def test_rate_limit_429_retried_after_retry_after(
        self, harness: Harness, stream: str
    ) -> None:
        """429 with Retry-After is waited out (at least that long) and the read completes."""
        base = (await self._baseline(harness, stream)).read
        run = harness.run(faults=scenarios.rate_limited_every_other())
        try:
            read = await self._read(harness, run, stream)
        finally:
            await run.close()
        limited = [e for e in run.transport.exchanges if e.status == 429]
        if not limited:
            _fail(
                "the sandbox never answered 429 under Faults(rate_limit_every=2): install the "
                "fault middleware with Sandbox.install(app)."
            )
        if read.error is not None:
            _fail(
                f"stream {stream!r}: a 429 with Retry-After: {RETRY_AFTER:g} was not retried "
                f"({type(read.error).__name__}: {read.error}); keep the default retry_policy "
                f"(max_retry_after must be >= {RETRY_AFTER:g})."
            )
        if set(read.idents()) != set(base.idents()):
            _fail(f"stream {stream!r}: the read across 429 retries lost or added records")
        exchanges = run.transport.exchanges
        for index, exchange in enumerate(exchanges[:-1]):
            if exchange.status != 429 or exchange.answered_at is None:
                continue
            waited = exchanges[index + 1].sent_at - exchange.answered_at
            if waited + 1e-9 < RETRY_AFTER:
                _fail(
                    f"stream {stream!r}: retried {waited:g}s after a 429 that asked for "
                    f"Retry-After: {RETRY_AFTER:g}; wait at least as long as the vendor asks "
                    "(the SDK's HttpClient does; do not bypass it)."
                )

    async def test_rate_limit_429_exhausted_raises_rate_limited(
        self, harness: Harness, stream: str
    ) -> None:
        """A vendor that keeps answering 429 ends the read with RateLimited after retries."""
        read, run = await self._failing_read(
            harness, stream, faults=scenarios.rate_limited_always()
        )
        self._expect_clean_failure(read, RateLimited, stream, "429 on every call", _FAULTS)
        attempts = sum(1 for e in run.transport.exchanges if e.status == 429)
        expected = self.integration.retry_policy.max_attempts
        if attempts < min(expected, 2):
            _fail(
                f"stream {stream!r}: gave up after {attempts} rate-limited attempt(s); "
                f"retry_policy.max_attempts={expected} must allow at least one retry."
            )

    async def test_server_error_5xx_retried(self, harness: Harness, stream: str) -> None:
        """Intermittent 503s are retried with backoff and the read completes."""
        await self._recovers(harness, stream, scenarios.server_error_every_other(), "503")

    async def test_server_error_5xx_persistent_raises_transient_error(
        self, harness: Harness, stream: str
    ) -> None:
        """503 on every call: retried up to max_attempts, then TransientError."""
        await self._gives_up(harness, stream, scenarios.server_error_always(), "a persistent 503")

    async def test_timeout_retried(self, harness: Harness, stream: str) -> None:
        """Intermittent timeouts are retried and the read completes."""
        await self._recovers(harness, stream, scenarios.timeout_every_other(), "timeouts")

    async def test_timeout_persistent_raises_transient_error(
        self, harness: Harness, stream: str
    ) -> None:
        """Timeouts on every call: retried up to max_attempts, then TransientError."""
        await self._gives_up(harness, stream, scenarios.timeout_always(), "persistent timeouts")

    async def _recovers(
        self, harness: Harness, stream: str, fault: TransportFault, what: str
    ) -> None:
        base = (await self._baseline(harness, stream)).read
        run = harness.run()
        try:
            read = await self._read(harness, run, stream, fault=fault)
        finally:
            await run.close()
        if read.error is not None:
            _fail(
                f"stream {stream!r}: intermittent {what} (every other call) were not retried: "
                f"{type(read.error).__name__}: {read.error}. Keep retry_policy.max_attempts >= "
                "2 and send requests through self.http (HttpClient retries them)."
            )
        if set(read.idents()) != set(base.idents()):
            _fail(f"stream {stream!r}: the read across retried {what} lost or added records")
        if run.integ.metrics.retries == 0:
            _fail(f"stream {stream!r}: {what} were injected but no retry was counted")

    async def _gives_up(
        self, harness: Harness, stream: str, fault: TransportFault, what: str
    ) -> None:
        read, run = await self._failing_read(harness, stream, fault=fault)
        self._expect_clean_failure(read, TransientError, stream, what, _WIRE)
        if isinstance(read.error, RateLimited):
            _fail(f"stream {stream!r}: {what} raised RateLimited; it is a TransientError")
        attempts = sum(1 for e in run.transport.exchanges if e.injected)
        expected = self.integration.retry_policy.max_attempts
        if attempts < 2 or attempts != expected:
            _fail(
                f"stream {stream!r}: {what}: the failing call was tried {attempts} time(s); "
                f"expected retry_policy.max_attempts={expected} (>= 2) attempts with backoff."
            )
        await self._check_resumes(harness, stream, read, f"before {what}")

    async def test_malformed_body_raises_fatal_error(self, harness: Harness, stream: str) -> None:
        """An HTML error page instead of JSON ends the read with FatalError."""
        await self._broken_page(harness, stream, scenarios.malformed, "a malformed (HTML) page")

    async def test_truncated_body_raises_fatal_error(self, harness: Harness, stream: str) -> None:
        """A page cut off mid-JSON ends the read with FatalError."""
        await self._broken_page(harness, stream, scenarios.truncated, "a truncated JSON page")

    async def _broken_page(
        self, harness: Harness, stream: str, make: Callable[[int], Any], what: str
    ) -> None:
        pages = len((await self._baseline(harness, stream)).read.pages)
        page = 2 if pages > 1 else 1
        run = harness.run(faults=make(page))
        try:
            read = await self._read(harness, run, stream)
        finally:
            await run.close()
        self._expect_clean_failure(read, FatalError, stream, f"{what} (page {page})", _PAGES)
        await self._check_resumes(harness, stream, read, f"before {what}")

    # --- webhooks --------------------------------------------------------------------------------

    async def _webhook(self, harness: Harness, event: Any) -> tuple[list[Any] | None, Exception]:
        run = harness.run()
        try:
            return await run.integ.handle_webhook(event), Exception("accepted")
        except Exception as exc:
            return None, exc
        finally:
            await run.close()

    async def test_webhook_good_signature_accepted(
        self, harness: Harness, webhook_case: WebhookCase
    ) -> None:
        """An authentic, signed delivery is accepted and yields valid canonical records."""
        records, error = await self._webhook(harness, webhook_case.event())
        if records is None:
            _fail(
                f"an authentic webhook ({webhook_case.name}) was rejected: "
                f"{type(error).__name__}: {error}. Sign the sample with the secret in "
                "sandbox_config, and check verify_webhook/parse_webhook."
            )
        for index, record in enumerate(records):
            if not isinstance(record, CanonicalRecord):
                _fail(f"parse_webhook returned a {type(record).__name__} (#{index}), not a record")
            try:
                _validate_ocsf(record)
            except OcsfValidationError as exc:
                _fail(f"webhook record #{index} is not valid OCSF: {exc}")

    async def _rejects(self, harness: Harness, event: Any, case: WebhookCase, what: str) -> None:
        records, error = await self._webhook(harness, event)
        if records is not None:
            _fail(
                f"a webhook with {what} ({case.name}) was accepted: verify_webhook must check "
                "the signature over the exact body (aria.sdk.verify_hmac, constant time)."
            )
        if not isinstance(error, AuthError):
            _fail(
                f"a webhook with {what} raised {type(error).__name__}({error}); expected "
                "AuthError (return False from verify_webhook and the base class raises it)."
            )

    async def test_webhook_bad_signature_rejected(
        self, harness: Harness, webhook_case: WebhookCase
    ) -> None:
        """A corrupted signature is rejected with AuthError."""
        await self._rejects(
            harness, webhook_case.with_bad_signature(), webhook_case, "a wrong signature"
        )

    async def test_webhook_missing_signature_rejected(
        self, harness: Harness, webhook_case: WebhookCase
    ) -> None:
        """A delivery without its signature header is rejected with AuthError."""
        await self._rejects(harness, webhook_case.without_signature(), webhook_case, "no signature")

    async def test_webhook_tampered_body_rejected(
        self, harness: Harness, webhook_case: WebhookCase
    ) -> None:
        """A body changed after signing is rejected with AuthError."""
        await self._rejects(
            harness, webhook_case.with_tampered_body(), webhook_case, "a tampered body"
        )

    # --- corpus ----------------------------------------------------------------------------------

    def test_corpus_sample_normalizes(self, corpus_sample: CorpusSample) -> None:
        """Real vendor records from the corpus normalize without error into valid OCSF."""
        sample = corpus_sample
        classes = {s.name: s for s in self.integration.streams}
        if sample.stream not in classes:
            _fail(
                f"CorpusSample names stream {sample.stream!r}, but {self._who()} has streams "
                f"{sorted(classes)}"
            )
        root = find_corpus_root(self.corpus_dir, self.anchors)
        if root is None:
            pytest.skip(
                f"corpus not found: set {ENV_VAR} or put the corpus at ../shared/corpus beside "
                "the checkout"
            )
        try:
            raw = load_corpus_records(root, sample)
        except FileNotFoundError as exc:
            pytest.skip(str(exc))
        except ValueError as exc:
            raw, problem = [], f"{exc}: fix CorpusSample.records (a dotted path to the records)"
        else:
            problem = ""
        if problem:
            _fail(problem)
        config = self.integration.config_class().parse(dict(self.integration.sandbox_config))
        stream: Stream = classes[sample.stream](config)
        problems: list[str] = []
        produced = 0
        for index, record in enumerate(raw):
            try:
                out = stream.normalize(record)
            except Exception as exc:
                problems.append(f"#{index}: normalize raised {type(exc).__name__}: {exc}")
                continue
            for item in out if isinstance(out, list) else [] if out is None else [out]:
                produced += 1
                if not isinstance(item, CanonicalRecord):
                    problems.append(f"#{index}: normalize returned a {type(item).__name__}")
                    continue
                try:
                    _validate_ocsf(item)
                except OcsfValidationError as exc:
                    problems.append(f"#{index}: not valid OCSF: {exc}")
        if problems:
            _fail(
                f"{len(problems)} problem(s) normalizing {sample.path} with stream "
                f"{sample.stream!r}: " + " | ".join(problems[:_SHOW]) + ". Make normalize() "
                "handle the real vendor shape (optional fields, other time formats)."
            )
        if raw and not produced:
            _fail(
                f"normalize returned None for all {len(raw)} records of {sample.path}: the "
                "sample is there to be normalized; check the stream it is attached to."
            )


def conformance(
    integration: type[Integration],
    *,
    corpus: Sequence[CorpusSample] = (),
    webhook: WebhookCase | Sequence[WebhookCase] | None = None,
    seed: int = 7,
    size: int = 200,
    counts: Mapping[str, Count] | None = None,
    not_secret: Sequence[str] = (),
    corpus_dir: str | os.PathLike[str] | None = None,
    name: str | None = None,
) -> type[ConformanceSuite]:
    """The conformance suite for ``integration`` as a pytest test class.

    ``TestAcme = conformance(Acme)`` in a test file collects every check. Options:
    ``corpus`` real samples for ``normalize``; ``webhook`` signed deliveries; ``seed``/``size``
    of the sandbox; ``counts`` records each stream serves per size when that is not ``size``
    (or a classmethod ``sandbox_counts(size)``); ``not_secret`` field names that only look
    like credentials; ``corpus_dir`` overrides the corpus location.
    """
    if not (isinstance(integration, type) and issubclass(integration, Integration)):
        raise TypeError(f"conformance() needs an Integration subclass, got {integration!r}")
    if size < 2:
        raise ValueError("size must be at least 2 (pagination checks need records)")
    frame = inspect.currentframe()
    caller = frame.f_back.f_globals if frame is not None and frame.f_back is not None else {}
    anchors = [Path(f) for f in (caller.get("__file__"), inspect.getfile(integration)) if f]
    anchors.append(Path.cwd())
    cases = (webhook,) if isinstance(webhook, WebhookCase) else tuple(webhook or ())
    title = re.sub(r"[^0-9a-zA-Z]+", " ", integration.key or integration.__name__).title()
    attrs: dict[str, Any] = {
        "integration": integration,
        "seed": seed,
        "size": size,
        "counts": dict(counts or {}),
        "not_secret": tuple(not_secret),
        "corpus": tuple(corpus),
        "corpus_dir": str(corpus_dir or os.environ.get(ENV_VAR) or "") or None,
        "anchors": tuple(anchors),
        "webhooks": cases,
        "_baselines": {},
        "pytestmark": [pytest.mark.anyio],
        "__module__": caller.get("__name__", __name__),
        "__doc__": f"Conformance suite for {integration.__module__}.{integration.__qualname__}.",
    }
    suite = type(name or f"TestConformance{title.replace(' ', '')}", (ConformanceSuite,), attrs)
    suite.__qualname__ = suite.__name__
    return suite


CHECKS: tuple[str, ...] = tuple(
    n for n, v in vars(ConformanceSuite).items() if n.startswith("test_") and callable(v)
)
"""Every check's method name, in definition order."""

__all__ = ["CHECKS", "ConformanceSuite", "conformance"]


def _validate_ocsf(record: Any) -> None:
    """Events validate as their OCSF class; an indicator is an OCSF ``osint`` object."""
    if isinstance(record, Indicator):
        validate_ocsf_object("osint", record.to_ocsf())
    else:
        validate_ocsf(record.to_ocsf())
