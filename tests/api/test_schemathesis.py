"""Property-based API testing from our own OpenAPI spec (schemathesis + hypothesis): whatever
is sent, the API never answers 5xx and every documented response matches its schema.

The operations are driven through schemathesis' programmatic API rather than its pytest
plugin, which does not support the pytest version we run."""

from __future__ import annotations

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import response_schema_conformance

from aria.accounts.ratelimit import MemoryRateLimiter
from tests.support import World, bearer

EXAMPLES = 6


def test_api_never_errors_and_matches_its_schema(client: TestClient, world: World) -> None:
    world.runtime.__dict__["api_rate_limiter"] = MemoryRateLimiter(10**9)
    headers = bearer(world.owner_a)
    # Something to find, so id routes have real neighbours to miss.
    client.post(
        "/api/v1/installations",
        json={"integration_key": "acme-edr", "mode": "sandbox"},
        headers=headers,
    )
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", client.app)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def exercise(case) -> None:  # type: ignore[no-untyped-def]
            case.headers = {**(case.headers or {}), **headers}
            response = case.call()
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path}: {response.status_code}")
                return
            try:
                case.validate_response(response, checks=(response_schema_conformance,))
            except Exception as error:  # collect all, report together
                failures.append(f"{case.method} {case.formatted_path}: {error}"[:400])

        exercise()
    assert operations >= 40
    assert not failures, "\n".join(sorted(set(failures))[:30])
