"""The Elasticsearch sandbox: a small cluster with Elastic Security alerts, offline.

``make_sandbox(seed, size, faults)`` returns a FastAPI app that answers what the integration
calls, the way Elasticsearch 8 does:

* ``GET /`` (cluster info), ``GET /_security/_authenticate``,
  ``POST /_security/user/_has_privileges``;
* ``POST /{index}/_pit?keep_alive=1m`` (a snapshot of the matching indices),
  ``POST /_search`` with ``pit`` (the implicit ``_shard_doc`` tiebreaker is appended to every
  hit's ``sort``), ``POST /{index}/_search`` without, ``DELETE /_pit``; ``sort``,
  ``search_after``, ``size``, ``from`` and the query subset of :mod:`.sandbox_query`;
  ``pit=False`` plays a cluster without the PIT API (7.9 and older answer 400);
* ``GET /{index}/_field_caps?fields=...``;
* ``POST /_bulk`` (NDJSON, ``create``/``index``) with per-item results: invalid index names,
  mapping conflicts, missing privileges, duplicate ids and queue rejections (429) fail items,
  never the whole request.

Every call needs ``Authorization: ApiKey <encoded>`` (the demo key) or HTTP Basic (the demo
user); errors use Elasticsearch's ``{"error": {"root_cause", "type", "reason"}, "status"}``.
The alerts index is an alias of a hidden backing index, as in a real deployment, and holds
``size`` detection alerts (:mod:`.sandbox_data`). ``app.state.elastic`` exposes the indices,
open PITs, received bulk bodies, and helpers tests use to change alerts or reject items.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import re
import secrets
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cmp_to_key
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from aria.integrations.elasticsearch.sandbox_data import (
    ALERTS_ALIAS,
    ALERTS_BACKING,
    KIBANA_VERSION,
    alerts,
    iso_ms,
)
from aria.integrations.elasticsearch.sandbox_query import (
    Doc,
    ElasticError,
    FieldMapping,
    QueryCompiler,
    SortSpec,
    compare_sort,
    match_index,
)
from aria.sdk.sandbox import Faults, Sandbox

API_KEY_ID = "VuaCfGcBCdbkQm-e5aOx"
API_KEY_SECRET = "ui2lp2axTNmsyakw9tvNnw"  # noqa: S105 - the sandbox's published demo key
API_KEY_ENCODED = base64.b64encode(f"{API_KEY_ID}:{API_KEY_SECRET}".encode()).decode()
DEMO_USER = "aria-demo"
DEMO_PASSWORD = "aria-demo-Elastic-2025"  # noqa: S105 - the sandbox's demo user
DEMO: dict[str, Any] = {
    "base_url": "https://aria-demo.es.us-east-1.aws.found.io:443",
    "api_key": API_KEY_ENCODED,
    "kibana_url": "https://aria-demo.kb.us-east-1.aws.found.io:9243",
    # Small pages so the demo (and the conformance suite) walk several search_after pages.
    "page_size": 50,
}
NOW = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)
MAX_RESULT_WINDOW = 10_000
ALL_PRIVILEGES: dict[str, set[str]] = {"*": {"all"}}
IMPLIED: dict[str, set[str]] = {
    "all": {"all", "read", "view_index_metadata", "write", "create_doc", "create", "index"},
    "write": {"write", "create_doc", "create", "index"},
    "index": {"index", "create", "create_doc"},
    "create": {"create", "create_doc"},
    "manage": {"manage", "view_index_metadata"},
}
SEARCH_KEYS = {
    "query",
    "size",
    "from",
    "sort",
    "search_after",
    "pit",
    "track_total_hits",
    "_source",
    "timeout",
}
_KEEP_ALIVE = re.compile(r"^(\d+)(ms|s|m|h|d)$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
_INVALID_CHARS = set('\\/*?"<>| ,#:')


def keep_alive_seconds(value: str) -> float:
    """``1m`` -> 60.0, as Elasticsearch parses time values."""
    found = _KEEP_ALIVE.match(value.strip())
    if not found:
        raise ElasticError(
            400,
            "illegal_argument_exception",
            f"failed to parse setting [keep_alive] with value [{value}] as a time value: unit "
            "is missing or unrecognized",
        )
    return int(found.group(1)) * _UNITS[found.group(2)]


def index_name_problem(name: str) -> str | None:
    """Why Elasticsearch refuses ``name`` for a new index, or None."""
    if name != name.lower():
        return "must be lowercase"
    if _INVALID_CHARS & set(name):
        return 'must not contain the following characters [ , ", *, \\, <, |, ,, >, /, ?, #, :]'
    if name[:1] in ("_", "-", "+"):
        return "must not start with '_', '-', or '+'"
    if name in (".", ".."):
        return "must not be '.' or '..'"
    if len(name.encode()) > 255:
        return "index name is too long, (" + str(len(name.encode())) + " > 255)"
    return None


@dataclass
class Index:
    """One index: its mapping and documents in insertion order."""

    name: str
    mapping: FieldMapping
    docs: dict[str, Doc] = field(default_factory=dict)
    hidden: bool = False


@dataclass
class PointInTime:
    """A PIT: the documents of its indices when it was opened, and when it expires."""

    indices: list[str]
    snapshot: list[Doc]
    keep_alive: float
    expires_at: float


@dataclass
class Principal:
    """Who a request authenticated as."""

    username: str
    api_key: bool


class ElasticState:
    """The cluster behind one sandbox app, plus helpers tests use to make things happen."""

    def __init__(
        self, sb: Sandbox, *, pit: bool, privileges: Mapping[str, Iterable[str]], now: datetime
    ) -> None:
        self.sb = sb
        self.pit_supported = pit
        self.privileges = {pattern: set(privs) for pattern, privs in privileges.items()}
        self.now = now
        self.indices: dict[str, Index] = {}
        self.aliases: dict[str, str] = {ALERTS_ALIAS: ALERTS_BACKING}
        self.pits: dict[str, PointInTime] = {}
        self.pits_opened = 0
        self.pits_closed: list[str] = []
        # The last requests (bounded: a Try Demo sandbox lives as long as the server).
        self.searches: deque[dict[str, Any]] = deque(maxlen=500)
        self.bulk_bodies: deque[str] = deque(maxlen=500)
        self.reject_items = 0
        self.shard_failures = 0
        self._seq = 0

    # --- storage -----------------------------------------------------------------------------

    def skip_seq(self, count: int) -> None:
        """Sequence numbers already taken by the seeded documents."""
        self._seq += count

    def next_seq(self) -> int:
        """Sequence numbers, cluster-wide (``_doc`` order and ``_seq_no``)."""
        self._seq += 1
        return self._seq

    def create_index(self, name: str, *, strings: str = "text", hidden: bool = False) -> Index:
        """A new empty index with a dynamic mapping."""
        index = Index(name, FieldMapping(strings=strings), hidden=hidden)
        self.indices[name] = index
        return index

    def put(self, index: Index, doc_id: str, source: dict[str, Any]) -> Doc:
        """Store ``source`` (its mapping already checked and learned)."""
        doc = Doc(index.name, doc_id, source, self.next_seq())
        index.docs[doc_id] = doc
        return doc

    def documents(self, name: str) -> list[dict[str, Any]]:
        """The ``_source`` of every document of an index or alias (tests read writes back)."""
        index = self.indices.get(self.aliases.get(name, name))
        return [doc.source for doc in index.docs.values()] if index else []

    def alert_ids(self) -> list[str]:
        """Ids of the alerts, oldest first."""
        return list(self.indices[ALERTS_BACKING].docs)

    def set_workflow_status(self, alert_id: str, status: str, *, minutes: int = 10) -> str:
        """Acknowledge or close an alert as an analyst in Kibana does: workflow fields change,
        ``@timestamp`` does not. Returns the new ``workflow_status_updated_at``."""
        index = self.indices[ALERTS_BACKING]
        doc = index.docs[alert_id]
        latest = max(
            datetime.fromisoformat(v.replace("Z", "+00:00"))
            for d in index.docs.values()
            for k in ("@timestamp", "kibana.alert.workflow_status_updated_at")
            if isinstance(v := d.source.get(k), str)
        )
        stamp = iso_ms(latest + timedelta(minutes=minutes))
        source = {
            **doc.source,
            "kibana.alert.workflow_status": status,
            "kibana.alert.workflow_status_updated_at": stamp,
            "kibana.alert.workflow_user": "soc.analyst1",
        }
        index.docs[alert_id] = Doc(index.name, alert_id, source, doc.seq_no)
        return stamp

    def open_pits(self) -> list[str]:
        """Ids of PITs that are open and not expired."""
        now = self.sb.clock()
        return [pid for pid, pit in self.pits.items() if pit.expires_at > now]

    # --- indices and privileges ----------------------------------------------------------------

    def granted(self, index: str, privilege: str) -> bool:
        """Whether the demo principal holds ``privilege`` on ``index`` (implied ones count)."""
        for pattern, privs in self.privileges.items():
            if not match_index_pattern(pattern, index):
                continue
            if privilege in privs or any(privilege in IMPLIED.get(p, set()) for p in privs):
                return True
        return False

    def resolve(
        self, expression: str, principal: Principal, *, ignore_unavailable: bool = False
    ) -> list[str]:
        """Concrete index names of an index expression (names, aliases, wildcards, lists);
        404 for a missing concrete name, 403 for one the principal may not read."""
        names: list[str] = []
        for part in [p for p in expression.split(",") if p]:
            if "*" in part:
                for alias, backing in self.aliases.items():
                    if match_index(part, alias) and self.granted(alias, "read"):
                        names.append(backing)
                names += [
                    n
                    for n, idx in self.indices.items()
                    if match_index(part, n)
                    and not (idx.hidden and not part.startswith("."))
                    and self.granted(n, "read")
                ]
                continue
            concrete = self.aliases.get(part, part)
            if concrete not in self.indices:
                if ignore_unavailable:
                    continue
                raise ElasticError(
                    404,
                    "index_not_found_exception",
                    f"no such index [{part}]",
                    **{"resource.type": "index_or_alias", "resource.id": part},
                    index_uuid="_na_",
                    index=part,
                )
            if not self.granted(part, "read"):
                raise unauthorized("indices:data/read/search", principal, part, "read,all")
            names.append(concrete)
        return list(dict.fromkeys(names))

    def type_of(self, names: Iterable[str]) -> Callable[[str], str | None]:
        """Field type lookup across indices (the first index that maps the field)."""
        mappings = [self.indices[n].mapping for n in names if n in self.indices]

        def lookup(field_name: str) -> str | None:
            for mapping in mappings:
                found = mapping.type_of(field_name)
                if found is not None:
                    return found
            return None

        return lookup


@functools.lru_cache(maxsize=8)
def _seeded(
    seed: int, size: int, now: datetime
) -> tuple[tuple[Doc, ...], dict[str, str], frozenset[str]]:
    """The alerts index of a sandbox: documents (shared, never changed in place: a change
    replaces the document) and the mapping they produce."""
    mapping = FieldMapping(strings="keyword")
    docs = []
    for seq, record in enumerate(alerts(seed, size, now), start=1):
        added = mapping.check(record["_source"], record["_id"])
        mapping.learn(record["_source"], added)
        docs.append(Doc(ALERTS_BACKING, record["_id"], record["_source"], seq))
    return tuple(docs), dict(mapping.types), frozenset(mapping.objects)


def match_index_pattern(pattern: str, name: str) -> bool:
    """A privilege's index pattern (``*`` covers hidden indices too, as in role grants)."""
    return pattern == "*" or match_index(pattern, name) or pattern == name


def unauthorized(action: str, principal: Principal, index: str, granted_by: str) -> ElasticError:
    """Elasticsearch's 403 for a missing index privilege."""
    who = (
        f"API key id [{API_KEY_ID}] of user [{principal.username}]"
        if principal.api_key
        else f"user [{principal.username}]"
    )
    return ElasticError(
        403,
        "security_exception",
        f"action [{action}] is unauthorized for {who} on indices [{index}], this action is "
        f"granted by the index privileges [{granted_by}]",
    )


class ElasticProductHeader:
    """Every Elasticsearch 8 response says ``X-elastic-product: Elasticsearch``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def tagged(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {
                    **message,
                    "headers": [
                        *message.get("headers", []),
                        (b"x-elastic-product", b"Elasticsearch"),
                    ],
                }
            await send(message)

        await self.app(scope, receive, tagged)


def _equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def make_sandbox(
    seed: int = 7,
    size: int = 200,
    faults: Faults | None = None,
    *,
    pit: bool = True,
    rotate_pit_ids: bool = False,
    privileges: Mapping[str, Iterable[str]] | None = None,
    now: datetime | None = None,
    clock: Callable[[], float] | None = None,
    sleep: Callable[[float], Awaitable[None]] | None = None,
) -> FastAPI:
    """A cluster holding ``size`` detection alerts; ``pit=False`` plays a cluster without the
    point-in-time API; ``rotate_pit_ids=True`` answers every PIT search with a new
    ``pit_id`` for the same PIT (Elasticsearch may, and clients must use the newest);
    ``privileges`` maps index patterns to the demo principal's index privileges (default:
    ``all`` on ``*``)."""
    extra: dict[str, Any] = {}
    if clock is not None:
        extra["clock"] = clock
    if sleep is not None:
        extra["sleep"] = sleep
    sb = Sandbox(seed=seed, size=size, faults=faults, now=now or NOW, **extra)
    app = FastAPI(title="Elasticsearch (ARIA sandbox)", docs_url=None, redoc_url=None)
    sb.install(app)
    app.add_middleware(ElasticProductHeader)
    state = ElasticState(sb, pit=pit, privileges=privileges or ALL_PRIVILEGES, now=sb.gen.now)
    app.state.elastic = state
    backing = state.create_index(ALERTS_BACKING, strings="keyword", hidden=True)
    docs, types, objects = _seeded(seed, size, sb.gen.now)
    backing.mapping.types.update(types)
    backing.mapping.objects.update(objects)
    backing.docs.update((doc.id, doc) for doc in docs)
    state.skip_seq(len(docs))
    cluster_uuid = hashlib.sha256(f"cluster-{seed}".encode()).hexdigest()[:22]

    @app.exception_handler(ElasticError)
    async def elastic_error(request: Request, exc: ElasticError) -> Response:
        headers = None
        if exc.status == 401:
            headers = {"WWW-Authenticate": 'Basic realm="security", charset="UTF-8", ApiKey'}
        return JSONResponse(exc.body(), status_code=exc.status, headers=headers)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        path, method = request.url.path, request.method
        if exc.status_code == 405:
            reason = f"Incorrect HTTP method for uri [{path}] and method [{method}]"
            return JSONResponse({"error": reason, "status": 405}, status_code=405)
        reason = f"no handler found for uri [{path}] and method [{method}]"
        return JSONResponse({"error": reason, "status": 400}, status_code=400)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        return JSONResponse(
            ElasticError(400, "illegal_argument_exception", "invalid request").body(),
            status_code=400,
        )

    def authenticate(request: Request) -> Principal:
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "apikey" and _equal(value.strip(), API_KEY_ENCODED):
            return Principal(DEMO_USER, api_key=True)
        if scheme.lower() == "basic":
            try:
                user, _, password = base64.b64decode(value).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                user, password = "", ""
            if _equal(user, DEMO_USER) and _equal(password, DEMO_PASSWORD):
                return Principal(DEMO_USER, api_key=False)
        if not header:
            reason = f"missing authentication credentials for REST request [{request.url.path}]"
        else:
            reason = (
                "unable to authenticate with provided credentials and anonymous access is not "
                "allowed for this request"
            )
        raise ElasticError(401, "security_exception", reason)

    async def json_body(request: Request) -> dict[str, Any]:
        raw = await request.body()
        if not raw.strip():
            return {}
        try:
            body = json.loads(raw)
        except ValueError:
            raise ElasticError(
                400, "x_content_parse_exception", "[1:1] Unexpected character in request body"
            ) from None
        if not isinstance(body, dict):
            raise ElasticError(400, "parsing_exception", "request body must be a JSON object")
        return body

    # --- cluster and security --------------------------------------------------------------

    @app.get("/")
    async def cluster_info(request: Request) -> dict[str, Any]:
        authenticate(request)
        return {
            "name": "instance-0000000001",
            "cluster_name": cluster_uuid[:16],
            "cluster_uuid": cluster_uuid,
            "version": {
                "number": KIBANA_VERSION,
                "build_flavor": "default",
                "build_type": "docker",
                "build_hash": hashlib.sha1(KIBANA_VERSION.encode()).hexdigest(),  # noqa: S324
                "build_date": "2024-10-09T22:08:00.328917561Z",
                "build_snapshot": False,
                "lucene_version": "9.11.1",
                "minimum_wire_compatibility_version": "7.17.0",
                "minimum_index_compatibility_version": "7.0.0",
            },
            "tagline": "You Know, for Search",
        }

    @app.get("/_security/_authenticate")
    async def who_am_i(request: Request) -> dict[str, Any]:
        principal = authenticate(request)
        realm = (
            {"name": "_es_api_key", "type": "_es_api_key"}
            if principal.api_key
            else {"name": "default_native", "type": "native"}
        )
        body: dict[str, Any] = {
            "username": principal.username,
            "roles": [] if principal.api_key else ["aria_integration"],
            "full_name": "ARIA integration",
            "email": None,
            "metadata": {},
            "enabled": True,
            "authentication_realm": realm,
            "lookup_realm": realm,
            "authentication_type": "api_key" if principal.api_key else "realm",
        }
        if principal.api_key:
            body["api_key"] = {"id": API_KEY_ID, "name": "aria-integration"}
        return body

    @app.api_route("/_security/user/_has_privileges", methods=["GET", "POST"])
    async def has_privileges(request: Request) -> dict[str, Any]:
        principal = authenticate(request)
        body = await json_body(request)
        result: dict[str, dict[str, bool]] = {}
        for entry in body.get("index") or []:
            if not isinstance(entry, dict):
                raise ElasticError(400, "parsing_exception", "[index] must be an array of objects")
            for name in entry.get("names") or []:
                for privilege in entry.get("privileges") or []:
                    result.setdefault(name, {})[privilege] = state.granted(name, privilege)
        cluster = {p: True for p in body.get("cluster") or []}
        every = all(v for privs in result.values() for v in privs.values())
        return {
            "username": principal.username,
            "has_all_requested": every and all(cluster.values()),
            "cluster": cluster,
            "index": result,
            "application": {},
        }

    # --- point in time ---------------------------------------------------------------------

    @app.post("/{target}/_pit")
    async def open_pit(target: str, request: Request) -> Response:
        principal = authenticate(request)
        if not state.pit_supported:
            raise ElasticError(
                400,
                "illegal_argument_exception",
                f"request [/{target}/_pit] contains unrecognized parameter: [keep_alive]",
            )
        keep_alive = request.query_params.get("keep_alive")
        if not keep_alive:
            raise ElasticError(
                400,
                "action_request_validation_exception",
                "Validation Failed: 1: [keep_alive] is not specified;",
            )
        seconds = keep_alive_seconds(keep_alive)
        names = state.resolve(target, principal)
        for stale in [k for k, v in state.pits.items() if v.expires_at <= sb.clock()]:
            del state.pits[stale]  # Elasticsearch frees expired contexts on its own
        snapshot = [doc for n in names for doc in state.indices[n].docs.values()]
        pit_id = new_pit_id()
        state.pits[pit_id] = PointInTime(names, snapshot, seconds, sb.clock() + seconds)
        state.pits_opened += 1
        return JSONResponse({"id": pit_id, "_shards": _shards()})

    @app.delete("/_pit")
    async def close_pit(request: Request) -> Response:
        authenticate(request)
        body = await json_body(request)
        pit_id = body.get("id")
        if not isinstance(pit_id, str):
            raise ElasticError(
                400, "action_request_validation_exception", "Validation Failed: 1: no pit ids;"
            )
        found = state.pits.pop(pit_id, None)
        if found is None or found.expires_at <= sb.clock():
            return JSONResponse({"succeeded": True, "num_freed": 0}, status_code=404)
        for other in [k for k, v in state.pits.items() if v is found]:  # its other ids
            del state.pits[other]
        state.pits_closed.append(pit_id)
        return JSONResponse({"succeeded": True, "num_freed": 1})

    # --- search ----------------------------------------------------------------------------

    @app.api_route("/_search", methods=["GET", "POST"])
    async def search_all(request: Request) -> Response:
        return await search(request, None)

    @app.api_route("/{target}/_search", methods=["GET", "POST"])
    async def search_index(target: str, request: Request) -> Response:
        return await search(request, target)

    async def search(request: Request, target: str | None) -> Response:
        principal = authenticate(request)
        body = await json_body(request)
        unknown = sorted(set(body) - SEARCH_KEYS)
        if unknown:
            raise ElasticError(
                400, "parsing_exception", f"Unknown key for a START_OBJECT in [{unknown[0]}]."
            )
        state.searches.append({"target": target, **body})
        try:
            size, offset = int(body.get("size", 10)), int(body.get("from", 0))
        except (TypeError, ValueError):
            raise ElasticError(
                400, "x_content_parse_exception", "[1:1] [size] and [from] must be integers"
            ) from None
        if size < 0 or offset < 0 or size + offset > MAX_RESULT_WINDOW:
            raise ElasticError(
                400,
                "illegal_argument_exception",
                "Result window is too large, from + size must be less than or equal to: "
                f"[{MAX_RESULT_WINDOW}] but was [{size + offset}].",
            )
        pit_spec = body.get("pit")
        if pit_spec is not None:
            if target is not None:
                raise ElasticError(
                    400,
                    "illegal_argument_exception",
                    "[indices] cannot be used with point in time. Do not specify any index with "
                    "point in time.",
                )
            pit_id = pit_spec.get("id") if isinstance(pit_spec, dict) else None
            current = state.pits.get(str(pit_id))
            if current is None or current.expires_at <= sb.clock():
                state.pits.pop(str(pit_id), None)
                raise ElasticError(
                    404,
                    "search_context_missing_exception",
                    f"No search context found for id [{abs(hash(str(pit_id))) % 10_000}]",
                )
            if pit_spec.get("keep_alive"):
                current.keep_alive = keep_alive_seconds(str(pit_spec["keep_alive"]))
            current.expires_at = sb.clock() + current.keep_alive
            names, docs = current.indices, list(current.snapshot)
        else:
            names = state.resolve(target or "*", principal)
            docs = [d for n in names for d in state.indices[n].docs.values()]
        compiler = QueryCompiler(state.type_of(names))
        predicate = compiler.compile(body.get("query"))
        specs = SortSpec.parse(body.get("sort"))
        if any(s.field == "_shard_doc" for s in specs) and pit_spec is None:
            raise ElasticError(
                400,
                "illegal_argument_exception",
                "[_shard_doc] sort field cannot be used without [point in time]",
            )
        if pit_spec is not None and specs and all(s.field != "_shard_doc" for s in specs):
            specs.append(SortSpec("_shard_doc", "asc"))  # the implicit PIT tiebreaker
        after = body.get("search_after")
        if after is not None:
            if not specs:
                raise ElasticError(
                    400,
                    "action_request_validation_exception",
                    "Validation Failed: 1: [search_after] requires a [sort];",
                )
            if offset:
                raise ElasticError(
                    400,
                    "illegal_argument_exception",
                    "[from] parameter must be set to 0 when [search_after] is used",
                )
            if not isinstance(after, list) or len(after) != len(specs):
                count = len(after) if isinstance(after, list) else 0
                raise ElasticError(
                    400,
                    "illegal_argument_exception",
                    f"search_after has {count} value(s) but sort has {len(specs)}.",
                )
        kinds = state.type_of(names)
        ordinals = {id(doc): n for n, doc in enumerate(docs)}
        matched = [
            (doc, [s.value(doc, kinds(s.field), ordinals[id(doc)]) for s in specs])
            for doc in docs
            if predicate(doc)
        ]
        if specs:
            matched.sort(key=cmp_to_key(lambda a, b: compare_sort(a[1], b[1], specs)))
        else:
            matched.sort(key=lambda pair: pair[0].seq_no)
        skipped = 0
        if after is not None:
            remaining = [m for m in matched if compare_sort(m[1], after, specs) > 0]
            skipped = len(matched) - len(remaining)
            matched_page = remaining
        else:
            matched_page = matched
        start = skipped + offset
        page_no = start // size + 1 if size else 1
        chosen = matched_page[offset : offset + size]
        repeat = sb.next_cursor(page_no, "repeat", "next") == "repeat"
        if repeat and start >= size:  # a vendor stuck on a page: serve the previous one again
            chosen = matched[start - size : start]
        hits = []
        for doc, values in chosen:
            hit: dict[str, Any] = {
                "_index": doc.index,
                "_id": doc.id,
                "_score": None if specs else 1.0,
                "_source": doc.source,
            }
            if specs:
                hit["sort"] = values
            hits.append(hit)
        track = body.get("track_total_hits", MAX_RESULT_WINDOW)
        hits_body: dict[str, Any] = {"max_score": None if specs else 1.0, "hits": hits}
        if track is not False:
            limit = len(matched) if track is True else int(track)
            hits_body["total"] = {
                "value": min(len(matched), limit),
                "relation": "eq" if len(matched) <= limit else "gte",
            }
            hits_body = {"total": hits_body.pop("total"), **hits_body}
        response: dict[str, Any] = {"took": 3, "timed_out": False, "_shards": _shards()}
        if state.shard_failures:
            state.shard_failures -= 1
            response["_shards"] = {
                **_shards(),
                "successful": 0,
                "failed": 1,
                "failures": [
                    {
                        "shard": 0,
                        "index": names[0] if names else None,
                        "node": "instance-0000000001",
                        "reason": {
                            "type": "node_not_connected_exception",
                            "reason": "[instance-0000000002] Node not connected",
                        },
                    }
                ],
            }
        response["hits"] = hits_body
        if pit_spec is not None:
            answer_id = str(pit_spec.get("id"))
            if rotate_pit_ids:
                answer_id = new_pit_id()
                state.pits[answer_id] = state.pits[str(pit_spec.get("id"))]
            response = {"pit_id": answer_id, **response}
        return sb.page(response, page_no)

    # --- field capabilities ----------------------------------------------------------------

    @app.api_route("/{target}/_field_caps", methods=["GET", "POST"])
    async def field_caps(target: str, request: Request) -> dict[str, Any]:
        principal = authenticate(request)
        params = request.query_params
        wanted = [f for f in (params.get("fields") or "").split(",") if f]
        if not wanted:
            raise ElasticError(
                400,
                "action_request_validation_exception",
                "Validation Failed: 1: specified fields can't be null or empty;",
            )
        ignore = params.get("ignore_unavailable") == "true"
        names = state.resolve(target, principal, ignore_unavailable=ignore)
        found: dict[str, dict[str, Any]] = {}
        for name in names:
            mapping = state.indices[name].mapping
            known = dict(mapping.types)
            known.update(
                {f"{k}.keyword": "keyword" for k, t in mapping.types.items() if t == "text"}
            )
            for field_name, kind in known.items():
                if not any(
                    match_index(pattern, field_name) or pattern == field_name for pattern in wanted
                ):
                    continue
                found.setdefault(field_name, {})[kind] = {
                    "type": kind,
                    "metadata_field": False,
                    "searchable": True,
                    "aggregatable": kind != "text",
                }
        return {"indices": names, "fields": found}

    # --- bulk --------------------------------------------------------------------------------

    @app.post("/_bulk")
    async def bulk_all(request: Request) -> Response:
        return await bulk(request, None)

    @app.post("/{target}/_bulk")
    async def bulk_index(target: str, request: Request) -> Response:
        return await bulk(request, target)

    async def bulk(request: Request, target: str | None) -> Response:
        principal = authenticate(request)
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind not in ("application/x-ndjson", "application/json"):
            return JSONResponse(
                {"error": f"Content-Type header [{kind}] is not supported", "status": 406},
                status_code=406,
            )
        text = (await request.body()).decode()
        state.bulk_bodies.append(text)
        if not text.endswith("\n"):
            raise ElasticError(
                400,
                "illegal_argument_exception",
                "The bulk request must be terminated by a newline [\\n]",
            )
        lines = text.split("\n")[:-1]
        items: list[dict[str, Any]] = []
        line_no = 0
        while line_no < len(lines):
            action_line = lines[line_no]
            line_no += 1
            if not action_line.strip():
                continue
            try:
                action = json.loads(action_line)
            except ValueError:
                raise ElasticError(
                    400,
                    "x_content_parse_exception",
                    f"[{line_no}:1] Malformed action/metadata line [{line_no}], expected "
                    "START_OBJECT but found [VALUE_STRING]",
                ) from None
            if not isinstance(action, dict) or len(action) != 1:
                raise ElasticError(
                    400,
                    "illegal_argument_exception",
                    f"Malformed action/metadata line [{line_no}], expected START_OBJECT or "
                    "END_OBJECT but found [START_ARRAY]",
                )
            op, meta = next(iter(action.items()))
            if op not in ("create", "index"):
                raise ElasticError(
                    400,
                    "illegal_argument_exception",
                    f"Malformed action/metadata line [{line_no}], expected one of [create, "
                    f"delete, index, update] but found [{op}]"
                    if op not in ("delete", "update")
                    else f"the ARIA sandbox accepts create and index actions, not [{op}]",
                )
            if line_no >= len(lines):
                raise ElasticError(
                    400,
                    "illegal_argument_exception",
                    "The bulk request must be terminated by a newline [\\n]",
                )
            try:
                source = json.loads(lines[line_no])
            except ValueError:
                raise ElasticError(
                    400, "x_content_parse_exception", f"[{line_no + 1}:1] Unexpected character"
                ) from None
            line_no += 1
            meta = meta if isinstance(meta, dict) else {}
            name = meta.get("_index") or target
            if not name:
                raise ElasticError(
                    400,
                    "action_request_validation_exception",
                    "Validation Failed: 1: index is missing;",
                )
            items.append({op: write_one(op, str(name), meta.get("_id"), source, principal)})
        errors = any("error" in next(iter(item.values())) for item in items)
        return JSONResponse({"errors": errors, "took": 7, "items": items})

    def write_one(
        op: str, name: str, doc_id: Any, source: Any, principal: Principal
    ) -> dict[str, Any]:
        doc_id = str(doc_id) if doc_id not in (None, "") else auto_id()
        concrete = state.aliases.get(name, name)

        def failed(status: int, error: ElasticError) -> dict[str, Any]:
            return {"_index": concrete, "_id": doc_id, "status": status, "error": error.cause()}

        if state.reject_items > 0:
            state.reject_items -= 1
            return failed(
                429,
                ElasticError(
                    429,
                    "es_rejected_execution_exception",
                    "rejected execution of coordinating operation [coordinating_and_primary_"
                    "bytes=104857600, replica_bytes=0, all_bytes=104857600, coordinating_"
                    "operation_bytes=2048, max_coordinating_and_primary_bytes=104857600]",
                ),
            )
        privilege = "create_doc" if op == "create" else "index"
        if not state.granted(name, privilege):
            return failed(
                403,
                unauthorized(
                    "indices:data/write/bulk[s]",
                    principal,
                    name,
                    "create_doc,create,index,write,all",
                ),
            )
        problem = index_name_problem(concrete) if concrete not in state.indices else None
        if problem:
            return failed(
                400,
                ElasticError(
                    400,
                    "invalid_index_name_exception",
                    f"Invalid index name [{concrete}], {problem}",
                    index_uuid="_na_",
                    index=concrete,
                ),
            )
        if not isinstance(source, dict):
            return failed(
                400,
                ElasticError(
                    400,
                    "document_parsing_exception",
                    "[1:1] Expected START_OBJECT but found [VALUE_STRING]",
                ),
            )
        index = state.indices.get(concrete) or state.create_index(concrete)
        existing = index.docs.get(doc_id)
        if existing is not None and op == "create":
            return failed(
                409,
                ElasticError(
                    409,
                    "version_conflict_engine_exception",
                    f"[{doc_id}]: version conflict, document already exists (current version [1])",
                    index_uuid=hashlib.md5(concrete.encode()).hexdigest()[:22],  # noqa: S324
                    shard="0",
                    index=concrete,
                ),
            )
        try:
            added = index.mapping.check(source, doc_id)
        except ElasticError as exc:
            return failed(exc.status, exc)
        index.mapping.learn(source, added)
        doc = state.put(index, doc_id, source)
        return {
            "_index": concrete,
            "_id": doc_id,
            "_version": 2 if existing is not None else 1,
            "result": "updated" if existing is not None else "created",
            "_shards": {"total": 2, "successful": 1, "failed": 0},
            "_seq_no": doc.seq_no,
            "_primary_term": 1,
            "status": 200 if existing is not None else 201,
        }

    def auto_id() -> str:
        """Elasticsearch-style 20-character ids (deterministic per sandbox)."""
        digest = hashlib.sha256(f"{seed}-{state.next_seq()}".encode()).digest()
        return base64.urlsafe_b64encode(digest).decode()[:20]

    return app


def new_pit_id() -> str:
    """An opaque PIT id shaped like Elasticsearch's (base64 of binary shard contexts)."""
    return base64.b64encode(b"\xe3\x8a\x8a\x03" + secrets.token_bytes(45)).decode()


def _shards() -> dict[str, int]:
    return {"total": 1, "successful": 1, "skipped": 0, "failed": 0}
