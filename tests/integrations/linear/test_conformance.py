"""The standard conformance suite against the Linear sandbox (one line, as for anyone).

At the default size (200 ARIA issues, plus team issues the filter leaves out) and the demo's
page size (25) the tickets stream walks eight GraphQL cursors. The signed webhook sample comes
from ``webhook_samples()``; Linear has no sample in the shared corpus.
"""

from aria.integrations.linear import Linear
from aria.sdk.testing import conformance

TestLinear = conformance(Linear)
