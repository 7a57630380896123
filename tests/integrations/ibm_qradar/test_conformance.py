"""The standard conformance suite against the QRadar sandbox (one line, as for anyone).

At the default size (200) with the demo page size (25) the offenses stream walks eight Range
pages. The real offenses sample from the corpus comes from ``corpus_samples()`` and the
per-stream count from ``sandbox_counts()``, so ``aria integration test`` runs the same checks.
"""

from aria.integrations.ibm_qradar import IbmQradar
from aria.sdk.testing import conformance

TestIbmQradar = conformance(IbmQradar)
