"""The standard conformance suite against the Sumo Logic sandbox (one line, as for anyone).

With the demo page size (50) and the default size (200) both Cloud SIEM streams span several
offset pages; the real insight and signal samples come from ``corpus_samples()``.
"""

from aria.integrations.sumo_logic import SumoLogic
from aria.sdk.testing import conformance

TestSumoLogic = conformance(SumoLogic)
