"""The standard conformance suite against the Freshdesk sandbox (one line, as for anyone).

At the default size (200) with the demo page size (25) the tickets stream follows several
``Link`` headers, fetching the conversations of each ARIA ticket on the way. The list API
returns every updated ticket and the stream keeps ARIA's, so ``sandbox_counts`` declares all
tickets the sandbox serves. The real list-tickets sample in the corpus holds only tickets ARIA
did not open (no ``aria-risk`` tag), which the stream drops by design; ``test_normalize.py``
runs it through the normalizer directly instead of through ``CorpusSample``.
"""

from aria.integrations.freshdesk import Freshdesk
from aria.sdk.testing import conformance

TestFreshdesk = conformance(Freshdesk)
