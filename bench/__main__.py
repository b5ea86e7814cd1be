"""Run every benchmark; each rewrites only its own section of docs/benchmarks.md."""

from __future__ import annotations

from bench import core, plan_all

if __name__ == "__main__":
    core.main()
    plan_all.main()
