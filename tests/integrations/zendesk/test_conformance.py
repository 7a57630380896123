"""The standard conformance suite against the Zendesk sandbox.

The tickets stream reads each ARIA ticket's comments (one call per ticket), so the suite runs
on 100 ARIA tickets (125 in the export with the customer tickets it skips) to stay quick; at
the demo's export page size (50) that is still three export pages per read. The real
incremental export sample in the corpus comes from ``corpus_samples()``.
"""

from aria.integrations.zendesk import Zendesk
from aria.sdk.testing import conformance

TestZendesk = conformance(Zendesk, size=100)
