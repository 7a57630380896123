"""The standard conformance suite against the Sentinel sandbox (one line, as for anyone).

At the default size (200) with the demo page size (50) the incidents stream spans four
nextLink pages; per-stream counts come from ``sandbox_counts()``, so ``aria integration test``
runs the same checks.
"""

from aria.integrations.microsoft_sentinel import MicrosoftSentinel
from aria.sdk.testing import conformance

TestMicrosoftSentinel = conformance(MicrosoftSentinel)
