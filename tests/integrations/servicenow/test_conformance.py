"""The standard conformance suite against the ServiceNow sandbox (one line, as for anyone).

At the default size (200) with the demo page size (25) the tickets stream walks several
``sysparm_offset`` pages, each followed by its journal query. The real ServiceNow record in
the corpus is a single ``change_request`` object under ``result`` (display/value pairs), which
``CorpusSample`` cannot point at as a record list; ``test_normalize.py`` normalizes it instead.
"""

from aria.integrations.servicenow import ServiceNow
from aria.sdk.testing import conformance

TestServiceNow = conformance(ServiceNow)
