"""The server-rendered web UI: marketplace, installations, risk register, analytics, admin."""
