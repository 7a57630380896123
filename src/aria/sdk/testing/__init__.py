"""The standard conformance suite for integrations: one line gives a test file every check.

    from aria.sdk.testing import conformance
    TestAcme = conformance(AcmeEdr)

Options (all keyword-only): ``corpus=[CorpusSample("alerts", "vendor-api/acme/x.json")]`` runs
``normalize`` over real samples; ``webhook=WebhookCase(headers, body)`` checks signature
verification; ``size``/``seed`` choose the sandbox; ``counts``/``not_secret`` handle the rare
integration that breaks a convention on purpose. The integration may instead provide
classmethods ``webhook_samples()``, ``corpus_samples()`` and ``sandbox_counts(size)``, which
``aria integration test KEY`` picks up too. See docs/sdk-testing.md.

This package needs pytest (a test-time dependency); the rest of ``aria.sdk`` does not.
"""

from aria.sdk.testing.clock import InstantTime, no_jitter
from aria.sdk.testing.corpus import CorpusSample, find_corpus_root, load_corpus_records
from aria.sdk.testing.harness import Harness, Read, Run
from aria.sdk.testing.secret_names import looks_secret, unmarked_secrets
from aria.sdk.testing.suite import CHECKS, ConformanceSuite, conformance
from aria.sdk.testing.transport import RunawayRead, SuiteTransport, TransportFault
from aria.sdk.testing.webhooks import WebhookCase

__all__ = [
    "CHECKS",
    "ConformanceSuite",
    "CorpusSample",
    "Harness",
    "InstantTime",
    "Read",
    "Run",
    "RunawayRead",
    "SuiteTransport",
    "TransportFault",
    "WebhookCase",
    "conformance",
    "find_corpus_root",
    "load_corpus_records",
    "looks_secret",
    "no_jitter",
    "unmarked_secrets",
]
