"""The standard conformance suite, run against the Falcon sandbox (one line, as for anyone).

At the default size (200) every stream spans two or more pages: 200 alerts and hosts, 66
incidents, 300 vulnerabilities. Corpus samples, signed webhook samples and per-stream counts
come from the integration's classmethods, so ``aria integration test`` runs the same checks.
"""

from aria.integrations.crowdstrike_falcon import CrowdStrikeFalcon
from aria.sdk.testing import conformance

TestCrowdStrikeFalcon = conformance(CrowdStrikeFalcon)
