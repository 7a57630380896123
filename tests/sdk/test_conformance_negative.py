"""The suite catches real problems: each broken integration fails the matching check, with
a message that says what to fix. Run in an inner pytest session through ``pytester``."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

BROKEN = '''
from typing import Any

from aria.sdk import IntegrationError, Page, Secret, paginate
from aria.sdk.paginate import Fetched, Paginator
from aria.sdk.paths import resolve
from aria.sdk.testing import conformance
from tests.sdk.example_integration import AcmeConfig, AcmeEdr, Alerts, Devices


class LeakyConfig(AcmeConfig):
    api_token: str = "plain-text"


class UnmarkedSecret(AcmeEdr):
    key = "unmarked-secret"
    config = LeakyConfig


class NaiveCursor(Paginator):
    """Follows the vendor's cursor with no loop guard."""

    async def pages(self, http, request, reader, position):
        cursor = None
        while True:
            spec = request if cursor is None else request.with_value("query", "after", cursor)
            body = reader.parse(await spec.send(http))
            cursor = resolve(body, "meta.pagination.after")
            yield Fetched(reader.extract(body), body, {"cursor": cursor} if cursor else None)
            if not cursor:
                return


class LoopingAlerts(Alerts):
    paginator = NaiveCursor()


class LoopingPaginator(AcmeEdr):
    key = "looping-paginator"
    streams = (LoopingAlerts, Devices)


class DictAlerts(Alerts):
    def normalize(self, record: dict[str, Any]) -> Any:
        return dict(record)


class NotCanonical(AcmeEdr):
    key = "not-canonical"
    streams = (DictAlerts, Devices)


class ChattyConnection(AcmeEdr):
    key = "chatty-connection"

    async def test_connection(self):
        result = await super().test_connection()
        secret = self.config.client_secret.get_secret_value()
        return result.model_copy(update={"message": f"{result.message} using {secret}"})


class SwallowingAlerts(Alerts):
    async def read(self, ctx, state=None, full=False):
        try:
            async for page in super().read(ctx, state, full):
                yield page
        except IntegrationError:
            yield Page(self.name, [], [], {}, True)


class SwallowsErrors(AcmeEdr):
    key = "swallows-errors"
    streams = (SwallowingAlerts, Devices)


class TrustingWebhooks(AcmeEdr):
    key = "trusting-webhooks"

    def verify_webhook(self, event):
        return True


TestUnmarkedSecret = conformance(UnmarkedSecret)
TestLoopingPaginator = conformance(LoopingPaginator)
TestNotCanonical = conformance(NotCanonical)
TestChattyConnection = conformance(ChattyConnection)
TestSwallowsErrors = conformance(SwallowsErrors)
TestTrustingWebhooks = conformance(TrustingWebhooks)
'''

SELECTED = {
    "TestUnmarkedSecret": "test_secret_fields_marked",
    "TestLoopingPaginator": "test_pagination_loop_detected[alerts]",
    "TestNotCanonical": "test_stream_records_valid[alerts]",
    "TestChattyConnection": "test_connection_bad_credentials_fails_cleanly",
    "TestSwallowsErrors": "test_malformed_body_raises_fatal_error[alerts]",
    "TestTrustingWebhooks": "test_webhook_bad_signature_rejected[sample0]",
}

EXPECTED = {
    "TestUnmarkedSecret": "['api_token']",
    "TestLoopingPaginator": "never stopped paginating",
    "TestNotCanonical": "normalize must return Finding, Asset",
    "TestChattyConnection": "contains the credential that was sent",
    "TestSwallowsErrors": "did not fail the read",
    "TestTrustingWebhooks": "was accepted: verify_webhook must check",
}


def test_each_broken_integration_fails_its_check(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_broken=BROKEN)
    selection = " or ".join(f"({cls} and {check.split('[')[0]})" for cls, check in SELECTED.items())
    reprec = pytester.inline_run("-p", "no:cacheprovider", "-k", selection)
    passed, _skipped, failed = reprec.listoutcomes()
    failures = {r.nodeid.split("::", 1)[1]: r.longreprtext for r in failed}
    for cls, check in SELECTED.items():
        node = f"{cls}::{check}"
        assert node in failures, f"{node} should fail; failures: {sorted(failures)}"
        assert EXPECTED[cls] in failures[node], failures[node]
    # nothing else in the selection failed: each check is specific to its problem
    assert not [n for n in failures if n.split("::")[1] not in SELECTED.values()]
    assert passed  # e.g. the loop check on devices, which the broken alerts do not affect
