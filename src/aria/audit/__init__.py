"""Audit: the append-only, hash-chained log of security-relevant actions."""
