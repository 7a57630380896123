"""Run every benchmark under bench/ (files named bench_*.py) and print their figures.

Benchmarks print numbers; they never assert on time. Pass names to run a subset:
``python bench/run.py probes``.
"""

from __future__ import annotations

import platform
import runpy
import sys
from pathlib import Path

HERE = Path(__file__).parent


def machine() -> str:
    import os

    return f"{platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} CPUs"


def main(names: list[str]) -> int:
    print(f"# machine: {machine()}")
    scripts = sorted(HERE.glob("bench_*.py"))
    if names:
        scripts = [s for s in scripts if any(n in s.stem for n in names)]
    for script in scripts:
        print(f"\n## {script.stem}")
        sys.stdout.flush()
        runpy.run_path(str(script), run_name="__main__")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
