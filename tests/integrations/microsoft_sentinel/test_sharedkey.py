"""The Data Collector ``SharedKey`` signature: computed as documented, verified exactly by the
sandbox, and refused there in the real API's shape when anything is off."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from aria.integrations.microsoft_sentinel import sharedkey
from aria.integrations.microsoft_sentinel.sandbox import DEMO, DEMO_SHARED_KEY, make_sandbox
from aria.sdk import ConfigError

pytestmark = pytest.mark.anyio

WORKSPACE = DEMO["workspace_id"]
HOST = f"https://{WORKSPACE}.ods.opinsights.azure.com"
DATE = "Mon, 02 Jun 2025 12:00:00 GMT"
BODY = json.dumps([{"risk_id": 7, "title": "t"}]).encode()


def documented(key: str, length: int, date: str) -> str:
    """The signature exactly as Azure Monitor's documentation spells it out."""
    text = f"POST\n{length}\napplication/json\nx-ms-date:{date}\n/api/logs"
    digest = hmac.new(base64.b64decode(key), text.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def test_signature_follows_the_documented_string_to_sign() -> None:
    assert sharedkey.string_to_sign(1024, DATE) == (
        "POST\n1024\napplication/json\nx-ms-date:Mon, 02 Jun 2025 12:00:00 GMT\n/api/logs"
    )
    assert sharedkey.signature(DEMO_SHARED_KEY, 1024, DATE) == documented(
        DEMO_SHARED_KEY, 1024, DATE
    )
    assert sharedkey.signature(DEMO_SHARED_KEY, 1025, DATE) != documented(
        DEMO_SHARED_KEY, 1024, DATE
    )
    assert sharedkey.authorization(WORKSPACE, DEMO_SHARED_KEY, 1024, DATE) == (
        f"SharedKey {WORKSPACE}:{documented(DEMO_SHARED_KEY, 1024, DATE)}"
    )


def test_rfc1123_dates() -> None:
    assert sharedkey.rfc1123(datetime(2025, 6, 2, 12, tzinfo=UTC)) == DATE


def test_a_key_that_is_not_base64_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as caught:
        sharedkey.signature("not base64!", 10, DATE)
    assert caught.value.fields == {"shared_key": "not base64"}


async def test_auth_signs_the_body_it_sends() -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200)

    auth = sharedkey.SharedKeyAuth(
        WORKSPACE, lambda: DEMO_SHARED_KEY, lambda: datetime(2025, 6, 2, 12, tzinfo=UTC).timestamp()
    )
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler), auth=auth) as client:
        await client.post(f"{HOST}/api/logs", content=BODY)
    [request] = sent
    assert request.headers["x-ms-date"] == DATE
    expected = documented(DEMO_SHARED_KEY, len(BODY), DATE)
    assert request.headers["authorization"] == f"SharedKey {WORKSPACE}:{expected}"


async def post(
    body: bytes,
    *,
    key: str = DEMO_SHARED_KEY,
    sign_length: int | None = None,
    headers: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
    app: Any = None,
) -> httpx.Response:
    """A raw Data Collector post to the sandbox."""
    app = app or make_sandbox(size=2)
    length = len(body) if sign_length is None else sign_length
    sent = {
        "Content-Type": "application/json",
        "Log-Type": "AriaRiskEvents",
        "x-ms-date": DATE,
        "Authorization": f"SharedKey {WORKSPACE}:{documented(key, length, DATE)}",
        **(headers or {}),
    }
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=HOST) as c:
        return await c.post(
            "/api/logs",
            params=params if params is not None else {"api-version": "2016-04-01"},
            content=body,
            headers=sent,
        )


async def test_a_good_signature_is_accepted_and_stored() -> None:
    app = make_sandbox(size=2)
    response = await post(BODY, app=app)
    assert response.status_code == 200
    table = app.state.sentinel.tables["AriaRiskEvents_CL"]
    assert table.rows[-1]["risk_id_d"] == 7.0 and table.rows[-1]["title_s"] == "t"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"key": "b3RoZXIta2V5LW90aGVyLWtleS1vdGhlci1rZXk="}, "failed to authenticate"),
        ({"sign_length": len(BODY) + 1}, "failed to authenticate"),  # body changed after signing
        ({"headers": {"Authorization": "Bearer abc"}}, "invalid scheme"),
        ({"headers": {"x-ms-date": "yesterday"}}, "invalid date format"),
        (
            {"headers": {"Authorization": "SharedKey 00000000-0000-0000-0000-000000000000:x"}},
            "failed to authenticate",
        ),
    ],
)
async def test_bad_signatures_get_the_real_403(kwargs: dict[str, Any], message: str) -> None:
    app = make_sandbox(size=2)
    response = await post(BODY, app=app, **kwargs)
    assert response.status_code == 403
    body = response.json()
    assert body["Error"] == "InvalidAuthorization"
    assert message in body["Message"]
    assert app.state.sentinel.posts == []


@pytest.mark.parametrize(
    ("body", "kwargs", "code"),
    [
        (BODY, {"params": {}}, "MissingApiVersion"),
        (BODY, {"params": {"api-version": "2015-01-01"}}, "InvalidApiVersion"),
        (BODY, {"headers": {"Content-Type": "text/plain"}}, "UnsupportedContentType"),
        (BODY, {"headers": {"Log-Type": ""}}, "MissingLogType"),
        (BODY, {"headers": {"Log-Type": "bad-name"}}, "InvalidLogType"),
        (b"[{not json", {}, "InvalidDataFormat"),
        (b'[{"TimeGenerated": "x"}]', {}, "InvalidDataFormat"),
    ],
)
async def test_request_errors_use_the_documented_codes(
    body: bytes, kwargs: dict[str, Any], code: str
) -> None:
    response = await post(body, **kwargs)
    assert response.status_code == 400
    assert response.json()["Error"] == code


async def test_column_types_follow_the_data_collector_rules() -> None:
    app = make_sandbox(size=2)
    first = [
        {
            "n": 1,
            "flag": True,
            "when": "2025-06-01T10:00:00Z",
            "who": "8145d82213a744ad859c36f31a84f6dd",
            "text": "plain",
            "gone": None,
        }
    ]
    assert (await post(json.dumps(first).encode(), app=app)).status_code == 200
    again = [{"n": "2", "flag": "not a bool"}]
    assert (await post(json.dumps(again).encode(), app=app)).status_code == 200
    table = app.state.sentinel.tables["AriaRiskEvents_CL"]
    row, later = table.rows[-2], table.rows[-1]
    assert row["n_d"] == 1.0 and row["flag_b"] is True and row["text_s"] == "plain"
    assert row["when_t"] == datetime(2025, 6, 1, 10, tzinfo=UTC)
    assert row["who_g"] == "8145d822-13a7-44ad-859c-36f31a84f6dd"
    assert not any(k.startswith("gone") for k in row)
    assert later["n_d"] == 2.0  # converts to the existing column's type
    assert later["flag_s"] == "not a bool"  # cannot: a new column with its own suffix
