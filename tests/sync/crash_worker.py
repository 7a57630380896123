"""A sync worker process for the crash test: runs one job against a slow sandbox until the
test kills it with SIGKILL. Settings come from the environment (same database and keys)."""

from __future__ import annotations

import sys
import uuid

from aria.config import load_settings
from aria.runtime import Runtime
from aria.sdk.sandbox import Faults
from aria.sync.runner import run_job
from tests.sdk.example_integration import AcmeEdr
from tests.support import example_registry

if __name__ == "__main__":
    runtime = Runtime(load_settings(), _registry=example_registry())
    runtime._sandboxes[AcmeEdr.key] = AcmeEdr.sandbox_app(
        size=int(sys.argv[2]), faults=Faults(latency_ms=float(sys.argv[3]))
    )
    print(run_job(runtime, uuid.UUID(sys.argv[1])), flush=True)
