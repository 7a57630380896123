"""The standard conformance suite against the Elasticsearch sandbox (one line, as for anyone).

At the default size (200) with the demo page size (50) the alerts stream walks several
search_after pages through a point in time. The real ``_search`` sample from the corpus comes
from ``corpus_samples()`` and the alert count (building blocks left out) from
``sandbox_counts()``, so ``aria integration test elasticsearch`` runs the same checks.
"""

from aria.integrations.elasticsearch import Elasticsearch
from aria.sdk.testing import conformance

TestElasticsearch = conformance(Elasticsearch)
