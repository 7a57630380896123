"""Every auth kind, checked by a server that sees the requests."""

from __future__ import annotations

import base64
import re
from typing import Any

import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse

from aria.sdk import AuthError, Config, Secret, auth
from aria.sdk.auth import AuthContext, SdkAuth
from aria.sdk.http import HttpClient
from aria.sdk.sandbox import Faults, Sandbox
from tests.sdk.conftest import FakeTime

pytestmark = pytest.mark.anyio
BASE = "https://api.vendor.example"


class Creds(Config):
    base_url: str = BASE
    api_key: Secret | None = None
    access_key: str | None = None
    secret_key: Secret | None = None
    token: Secret | None = None
    username: str | None = None
    password: Secret | None = None
    client_id: str | None = None
    client_secret: Secret | None = None
    region: str | None = None
    access_key_id: str | None = None
    secret_access_key: Secret | None = None
    session_token: Secret | None = None
    api_secret: Secret | None = None


def echo_app() -> tuple[Starlette, list[Request]]:
    seen: list[Request] = []

    async def endpoint(request: Request) -> JSONResponse:
        seen.append(request)
        await request.body()
        return JSONResponse({"ok": True})

    app = Starlette()
    app.add_route("/{path:path}", endpoint, methods=["GET", "POST"])
    return app, seen


def connect(kind: auth.AuthKind, app: Any, clock: Any = None, **values: Any) -> HttpClient:
    config = Creds(**values)
    transport = httpx.ASGITransport(app=app)
    http = HttpClient(base_url=BASE, transport=transport, clock=clock)
    ctx = AuthContext(
        config=config,
        base_url=BASE,
        transport=transport,
        event_hooks=http.event_hooks(),
        redactor=http.redact,
        **({"clock": clock} if clock else {}),
    )
    http.client.auth = kind.build(ctx)
    return http


async def test_no_auth_sends_no_credentials() -> None:
    app, seen = echo_app()
    await connect(auth.NoAuth(), app).request("GET", "/x")
    assert "authorization" not in seen[0].headers


@pytest.mark.parametrize(
    ("kind", "values", "header", "expected"),
    [
        (
            auth.ApiKey(header="Authorization", template="SSWS {api_key}"),
            {"api_key": "k-123"},
            "authorization",
            "SSWS k-123",
        ),
        (
            auth.ApiKey(
                header="X-ApiKeys", template="accessKey={access_key};secretKey={secret_key}"
            ),
            {"access_key": "AK", "secret_key": "SK-999"},
            "x-apikeys",
            "accessKey=AK;secretKey=SK-999",
        ),
        (
            auth.ApiKey(header="Authorization", template="ApiToken {token}"),
            {"token": "tok-1"},
            "authorization",
            "ApiToken tok-1",
        ),
        (auth.Bearer("token"), {"token": "tok-2"}, "authorization", "Bearer tok-2"),
        (
            auth.Basic("username", "password"),
            {"username": "bob", "password": "pw-1"},
            "authorization",
            "Basic " + base64.b64encode(b"bob:pw-1").decode(),
        ),
    ],
)
async def test_header_auth_kinds(
    kind: auth.AuthKind, values: dict[str, str], header: str, expected: str
) -> None:
    app, seen = echo_app()
    await connect(kind, app, **values).request("GET", "/x")
    assert seen[0].headers[header] == expected
    assert set(kind.fields()) <= set(values)


async def test_api_key_in_query_parameter() -> None:
    app, seen = echo_app()
    await connect(auth.ApiKey(query="apikey"), app, api_key="q-key").request(
        "GET", "/x", params={"a": "1"}
    )
    assert seen[0].query_params["apikey"] == "q-key" and seen[0].query_params["a"] == "1"


def test_api_key_needs_exactly_one_location_and_plain_templates() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        auth.ApiKey(header="A", query="b")
    with pytest.raises(ValueError, match="plain"):
        auth.ApiKey(header="A", template="{api_key.__class__}")


def test_auth_kind_repr_holds_no_values() -> None:
    assert "fields=('api_key',)" in repr(auth.ApiKey(header="X"))


# --- OAuth2 client credentials ---------------------------------------------------------


def oauth_app(faults: Faults | None = None, ttl: float = 1800) -> tuple[Starlette, Sandbox]:
    sb = Sandbox(faults=faults)
    app = sb.install(Starlette())
    sb.add_token_endpoint(app, "/oauth2/token", client_id="cid", client_secret="csecret-1", ttl=ttl)

    async def data(request: Request) -> JSONResponse:
        sb.check_bearer(request)
        return JSONResponse({"resources": []})

    app.add_route("/data", data)
    return app, sb


OAUTH = auth.OAuth2ClientCredentials(token_url="/oauth2/token")


async def test_oauth_token_is_fetched_once_and_cached() -> None:
    app, sb = oauth_app()
    http = connect(OAUTH, app, client_id="cid", client_secret="csecret-1")
    for _ in range(5):
        await http.request("GET", "/data")
    assert sb.tokens_issued == 1
    assert http.metrics.api_calls == 6  # the token call is counted too


async def test_oauth_expired_token_is_replaced() -> None:
    app, sb = oauth_app(ttl=30)  # shorter than the 60 s leeway: always considered expired
    http = connect(OAUTH, app, client_id="cid", client_secret="csecret-1")
    await http.request("GET", "/data")
    await http.request("GET", "/data")
    assert sb.tokens_issued == 2


async def test_oauth_refreshes_once_on_401_and_retries() -> None:
    app, sb = oauth_app(Faults(expire_token_after_requests=2))
    http = connect(OAUTH, app, client_id="cid", client_secret="csecret-1")
    for _ in range(5):
        await http.request("GET", "/data")
    assert sb.tokens_issued == 3  # uses 1-2 on token 1, 3-4 on token 2, 5 on token 3


async def test_oauth_basic_client_auth_method() -> None:
    app, sb = oauth_app()
    kind = auth.OAuth2ClientCredentials(auth_method="client_secret_basic")
    http = connect(kind, app, client_id="cid", client_secret="csecret-1")
    await http.request("GET", "/data")
    assert sb.tokens_issued == 1


async def test_oauth_bad_credentials_raise_auth_error_without_secret() -> None:
    app, _ = oauth_app()
    http = connect(OAUTH, app, client_id="cid", client_secret="wrong-secret-value")
    assert isinstance(http.client.auth, SdkAuth)
    with pytest.raises(AuthError) as info:
        await http.client.auth.authenticate()
    assert "wrong-secret-value" not in str(info.value)
    assert "invalid_client" in str(info.value)


async def test_oauth_persistent_401_becomes_auth_error() -> None:
    sb = Sandbox()
    app = sb.install(Starlette())
    sb.add_token_endpoint(app, client_id="cid", client_secret="csecret-1")

    async def data(request: Request) -> JSONResponse:
        return JSONResponse({"error": "revoked"}, status_code=401)

    app.add_route("/data", data)
    http = connect(OAUTH, app, client_id="cid", client_secret="csecret-1")
    with pytest.raises(AuthError):
        await http.request("GET", "/data")
    assert sb.tokens_issued == 2  # initial + exactly one refresh


async def test_oauth_extra_params_and_scope_are_sent() -> None:
    seen: list[bytes] = []

    async def token(request: Request) -> JSONResponse:
        seen.append(await request.body())
        return JSONResponse({"access_token": "tok-xyz", "token_type": "bearer", "expires_in": 3600})

    app = Starlette()
    app.add_route("/t", token, methods=["POST"])
    app.add_route("/data", lambda r: JSONResponse({}))
    kind = auth.OAuth2ClientCredentials("/t", scope="read", extra={"member_cid": "{region}"})
    http = connect(kind, app, client_id="cid", client_secret="csecret-1", region="child-7")
    await http.request("GET", "/data")
    assert b"scope=read" in seen[0] and b"member_cid=child-7" in seen[0]
    assert "region" in kind.fields()


# --- AWS SigV4 and HMAC ------------------------------------------------------------------


async def test_sigv4_signature_verifies() -> None:
    app, seen = echo_app()
    kind = auth.AwsSigV4("securityhub", session_token="session_token")
    http = connect(
        kind,
        app,
        region="eu-west-1",
        access_key_id="AKIDEXAMPLE",
        secret_access_key="wJalrXUtnFEMI/K7MDENG",
        session_token="sess-tok",
    )
    await http.request("POST", "/findings", json={"MaxResults": 10})
    req = seen[0]
    header = req.headers["authorization"]
    match = re.fullmatch(
        r"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/(\d{8})/eu-west-1/securityhub/aws4_request, "
        r"SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})",
        header,
    )
    assert match, header
    assert req.headers["x-amz-security-token"] == "sess-tok"
    # Recompute the signature server-side from what was received.
    signed_names = match.group(2).split(";")
    headers = {n: req.headers[n] for n in signed_names}
    aws = AWSRequest(method="POST", url=str(req.url), data=await req.body(), headers=headers)
    aws.context["timestamp"] = req.headers["x-amz-date"]
    signer = SigV4Auth(
        Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG", "sess-tok"), "securityhub", "eu-west-1"
    )
    expected = signer.signature(signer.string_to_sign(aws, signer.canonical_request(aws)), aws)
    assert match.group(3) == expected


async def test_hmac_signature_checked_by_sandbox(fake_time: FakeTime) -> None:
    sb = Sandbox(clock=fake_time.clock)
    app = Starlette()
    outcomes: list[str] = []

    async def endpoint(request: Request) -> JSONResponse:
        try:
            await sb.check_hmac(request, "hmac-secret-1", key="key-1")
        except Exception as exc:
            outcomes.append(str(getattr(exc, "detail", exc)))
            raise
        outcomes.append("ok")
        return JSONResponse({})

    app.add_route("/events", endpoint, methods=["POST"])
    good = connect(
        auth.HmacSignature(),
        app,
        clock=fake_time.clock,
        api_key="key-1",
        api_secret="hmac-secret-1",
    )
    await good.request("POST", "/events", params={"q": "1"}, json={"a": 1})
    bad = connect(
        auth.HmacSignature(),
        app,
        clock=fake_time.clock,
        api_key="key-1",
        api_secret="not-the-secret",
    )
    with pytest.raises(AuthError):
        await bad.request("POST", "/events", json={"a": 1})
    assert outcomes == ["ok", "bad signature"]


# --- custom ------------------------------------------------------------------------------


class SessionLogin(auth.Custom):
    """Logs in with username/password for a session id; logs in again after a 401."""

    async def login(self, ctx: AuthContext, session: dict[str, Any]) -> None:
        async with ctx.client() as client:
            resp = await client.post("/login", json={"user": ctx.config.value("username")})
        session["sid"] = resp.json()["sid"]

    async def apply(
        self, request: httpx.Request, ctx: AuthContext, session: dict[str, Any]
    ) -> None:
        if "sid" not in session:
            await self.login(ctx, session)
        request.headers["X-Session"] = session["sid"]

    async def refresh(self, ctx: AuthContext, session: dict[str, Any]) -> bool:
        await self.login(ctx, session)
        return True


async def test_custom_auth_hooks() -> None:
    counter = {"logins": 0}

    async def login(request: Request) -> JSONResponse:
        counter["logins"] += 1
        return JSONResponse({"sid": f"sid-{counter['logins']}"})

    async def data(request: Request) -> JSONResponse:
        ok = request.headers.get("x-session") == "sid-2"
        return JSONResponse({}, status_code=200 if ok else 401)

    app = Starlette()
    app.add_route("/login", login, methods=["POST"])
    app.add_route("/data", data)
    http = connect(SessionLogin("username"), app, username="bob")
    await http.client.auth.authenticate()  # type: ignore[union-attr]
    await http.request("GET", "/data")  # sid-1 rejected, refresh -> sid-2 accepted
    assert counter["logins"] == 2
