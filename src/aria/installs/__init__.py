"""Installs: per-organization installations, configuration, health and activity."""
