"""ARIA Integration Marketplace."""

__version__ = "0.1.0"
