"""Run every benchmark; each rewrites only its own section of docs/benchmarks.md."""

from __future__ import annotations

from bench import core, plan_all

if __name__ == "__main__":
    # plan_all first: its child processes should not be forked from a process that has just
    # held the large-config documents of core.
    plan_all.main()
    core.main()
