"""The standard conformance suite against the Defender sandbox (one line, as for anyone).

At the default size (200) with the demo page size (25) every incremental stream spans several
nextLinks. The real ``/api/alerts`` and machinesVulnerabilities samples from the corpus come
from ``corpus_samples()`` and per-stream counts from ``sandbox_counts()``, so
``aria integration test`` runs the same checks.
"""

from aria.integrations.microsoft_defender_endpoint import MicrosoftDefenderEndpoint
from aria.sdk.testing import conformance

TestMicrosoftDefenderEndpoint = conformance(MicrosoftDefenderEndpoint)
