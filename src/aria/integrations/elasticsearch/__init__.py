"""Elasticsearch / Elastic Security integration (detection alerts, event forwarding, search)."""

from aria.integrations.elasticsearch.config import ElasticsearchConfig
from aria.integrations.elasticsearch.integration import Elasticsearch

__all__ = ["Elasticsearch", "ElasticsearchConfig"]
