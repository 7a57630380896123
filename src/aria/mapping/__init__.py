"""Mapping: declarative field maps, transforms and filters (no eval)."""
