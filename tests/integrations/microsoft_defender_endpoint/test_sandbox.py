"""The Defender sandbox on the wire: Entra token errors, audiences, OData envelope and errors."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from aria.integrations.microsoft_defender_endpoint.odata import ODataError, compile_filter
from aria.integrations.microsoft_defender_endpoint.sandbox import DEMO, make_sandbox

pytestmark = pytest.mark.anyio
LOGIN = f"https://login.microsoftonline.com/{DEMO['tenant_id']}/oauth2/v2.0/token"
MDE = "https://api.securitycenter.microsoft.com"
XDR = "https://api.security.microsoft.com"


def client(**kwargs: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=make_sandbox(size=30, **kwargs)))


def form(scope: str = f"{MDE}/.default", **overrides: str) -> dict[str, str]:
    return {
        "grant_type": "client_credentials",
        "client_id": DEMO["client_id"],
        "client_secret": DEMO["client_secret"],
        "scope": scope,
        **overrides,
    }


async def token(http: httpx.AsyncClient, scope: str = f"{MDE}/.default") -> str:
    response = await http.post(LOGIN, data=form(scope))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3599
    return str(body["access_token"])


@pytest.mark.parametrize(
    ("url", "data", "status", "error"),
    [
        (LOGIN, form(client_secret="nope"), 401, "invalid_client"),
        (LOGIN, form(scope="https://graph.microsoft.com/.default"), 400, "invalid_scope"),
        (LOGIN, form(grant_type="password"), 400, "unsupported_grant_type"),
        (LOGIN.replace(DEMO["tenant_id"], "other-tenant"), form(), 400, "invalid_request"),
    ],
)
async def test_token_endpoint_refusals(
    url: str, data: dict[str, str], status: int, error: str
) -> None:
    async with client() as http:
        response = await http.post(url, data=data)
    assert response.status_code == status
    body = response.json()
    assert body["error"] == error and body["error_description"].startswith("AADSTS")


async def test_tokens_are_bound_to_their_api() -> None:
    async with client() as http:
        mde, xdr = await token(http), await token(http, f"{XDR}/.default")
        ok = await http.get(f"{MDE}/api/alerts", headers={"Authorization": f"Bearer {mde}"})
        wrong = await http.get(f"{XDR}/api/incidents", headers={"Authorization": f"Bearer {mde}"})
        right = await http.get(f"{XDR}/api/incidents", headers={"Authorization": f"Bearer {xdr}"})
        none = await http.get(f"{MDE}/api/machines")
    assert ok.status_code == 200 and right.status_code == 200
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "Unauthorized"
    assert none.status_code == 401


async def test_odata_envelope_and_next_link() -> None:
    async with client() as http:
        bearer = {"Authorization": f"Bearer {await token(http)}"}
        page = await http.get(
            f"{MDE}/api/machines",
            params={"$top": 10, "$filter": "healthStatus ne 'x'"},
            headers=bearer,
        )
        body = page.json()
        assert body["@odata.context"] == f"{MDE}/api/$metadata#Machines"
        assert len(body["value"]) == 10
        link = httpx.URL(body["@odata.nextLink"])
        assert link.host == "api.securitycenter.microsoft.com"
        assert link.params["$skip"] == "10" and link.params["$filter"] == "healthStatus ne 'x'"
        last = await http.get(str(link.copy_set_param("$skip", "20")), headers=bearer)
        assert "@odata.nextLink" not in last.json() and len(last.json()["value"]) == 10


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/alerts", {"$top": 10_001}),
        ("/api/alerts", {"$filter": "title eq 'x'"}),
        ("/api/alerts", {"$filter": "lastUpdateTime gt"}),
        ("/api/alerts", {"$expand": "machine"}),
        ("/api/incidents", {"$top": 101}),
    ],
)
async def test_bad_requests_answer_400(path: str, params: dict[str, Any]) -> None:
    async with client() as http:
        audience = f"{XDR}/.default" if path == "/api/incidents" else f"{MDE}/.default"
        bearer = {"Authorization": f"Bearer {await token(http, audience)}"}
        response = await http.get(f"{MDE}{path}", params=params, headers=bearer)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "BadRequest"


async def test_missing_permission_is_a_403_naming_it() -> None:
    async with client(roles={"Alert.Read.All"}) as http:
        bearer = {"Authorization": f"Bearer {await token(http)}"}
        response = await http.get(f"{MDE}/api/machines", headers=bearer)
        patch = await http.patch(f"{MDE}/api/alerts/x", json={"status": "Resolved"}, headers=bearer)
    assert response.status_code == 403 and "Machine.Read.All" in response.json()["error"]["message"]
    assert patch.status_code == 403 and "Alert.ReadWrite.All" in patch.json()["error"]["message"]


async def test_quota_answers_429_with_retry_after() -> None:
    now = [1_000.0]
    app = make_sandbox(size=10, clock=lambda: now[0])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http:
        bearer = {"Authorization": f"Bearer {await token(http)}"}
        for _ in range(100):
            assert (await http.get(f"{MDE}/api/alerts", headers=bearer)).status_code == 200
        limited = await http.get(f"{MDE}/api/alerts", headers=bearer)
        other_api = await http.get(f"{MDE}/api/machines", headers=bearer)
        now[0] += 61
        later = await http.get(f"{MDE}/api/alerts", headers=bearer)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "60"
    assert "Maximum admitted 100 per 00:01:00" in limited.json()["error"]["message"]
    assert other_api.status_code == 200 and later.status_code == 200


def test_filter_engine() -> None:
    rows = [
        {"lastUpdateTime": "2025-01-01T00:00:00.1234567Z", "severity": "High", "tags": ["a"]},
        {"lastUpdateTime": "2025-02-01T00:00:00Z", "severity": "Low", "tags": []},
    ]

    def pick(expr: str) -> list[int]:
        predicate = compile_filter(expr)
        return [i for i, r in enumerate(rows) if predicate(r)]

    assert pick("lastUpdateTime ge 2025-01-01T00:00:00.123456Z") == [0, 1]
    assert pick("lastUpdateTime gt 2025-01-15") == [1]
    assert pick("severity eq 'high' or (severity eq 'Low' and tags eq 'z')") == [0]
    assert pick("tags eq 'a'") == [0]
    assert pick("") == [0, 1]
    for bad in ("severity eq", "severity like 'x'", "(severity eq 'x'", "severity eq 'x' junk"):
        with pytest.raises(ODataError):
            compile_filter(bad)
    with pytest.raises(ODataError, match="not supported"):
        compile_filter("title eq 'x'", {"severity"})
