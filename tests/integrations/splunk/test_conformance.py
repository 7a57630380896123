"""The standard conformance suite against the Splunk sandbox (one line, as for anyone).

At the default size (200) with the demo page size (50) the notables search job spans four
results pages; the real ES notables in the corpus come from ``corpus_samples()``.
"""

from aria.integrations.splunk import Splunk
from aria.sdk.testing import conformance

TestSplunk = conformance(Splunk)
