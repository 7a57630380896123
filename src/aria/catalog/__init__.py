"""Catalog: entries, collections, search, reviews and ratings."""
