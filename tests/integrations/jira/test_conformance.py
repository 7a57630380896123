"""The standard conformance suite, run against the Jira sandbox (one line, as for anyone).

At the default size (200) the tickets stream spans eight pages of 25; corpus samples, signed
webhook samples and per-stream counts come from the integration's classmethods.
"""

from aria.integrations.jira import Jira
from aria.sdk.testing import conformance

TestJira = conformance(Jira)
