"""Status: liveness and readiness probes."""
