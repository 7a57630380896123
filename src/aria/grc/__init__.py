"""GRC: the canonical risk register — findings, incidents, assets, identities, indicators, risks."""
