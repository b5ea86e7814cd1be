"""A CI matrix of ``plan --all --shard I/N`` jobs behind one workspace key (issue 26, item 8).

``SHARDS`` separate ``python -m reconciler`` processes, started together, each plan their
shard of ``PROJECTS`` projects of one local Ory test server (``tests/ory_server.py``, its own
process), which answers every request after ``plan_all.LATENCY`` seconds and meters them as
Ory does: one 1 s bucket of 10 and one 60 s bucket of 300 per key, whichever process sends
(``RateMeter``). Fresh buckets before every run. The figure is the time until the last job
has exited, next to its floor, ``PROJECTS`` / 10 s: no matrix can plan faster than the bucket
lets requests through. The target is 1.3 x the floor plus 1.5 s (one process's start and one
request's round trip). One ``plan --all`` process over the same projects is measured too.

Run: ``python -m bench.shards`` (rewrites only its own section of docs/benchmarks.md).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as `python bench/shards.py`: find the packages
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import REPO, compile_package, load_note, machine, write_section
from bench.plan_all import LATENCY, Server, _environ, repository

PROJECTS = 100
SHARDS = 4
RUNS = 5
RATE = 10.0  # requests per second: the burst bucket of RateMeter
START, END = "<!-- shards:start -->", "<!-- shards:end -->"


@dataclass(frozen=True)
class Run:
    wall: float  # seconds until the last process exited
    refused: int  # 429s the server sent


def matrix(root: Path, server: Server, shards: int) -> Run:
    """``shards`` processes at once (one process plans ``--all`` when ``shards`` is 1)."""
    server.reset()
    base = [sys.executable, "-m", "reconciler", "--dir", str(root), "plan", "--all", "-q"]
    commands = (
        [base]
        if shards == 1
        else [[*base, "--shard", f"{i}/{shards}"] for i in range(1, shards + 1)]
    )
    start = time.perf_counter()
    children = [
        subprocess.Popen(command, env=_environ(server), stdout=subprocess.DEVNULL)
        for command in commands
    ]
    codes = [child.wait() for child in children]
    wall = time.perf_counter() - start
    assert codes == [0] * len(codes), f"the jobs exited {codes}"
    return Run(wall, server.refused())


def measure(runs: int) -> dict[int, list[Run]]:
    server = Server(PROJECTS, limited=True)
    results: dict[int, list[Run]] = {1: [], SHARDS: []}
    try:
        root = repository(server.projects)
        matrix(root, server, SHARDS)  # warm-up: file cache
        for _ in range(runs):  # interleaved: the machine's load touches both alike
            for shards in results:
                results[shards].append(matrix(root, server, shards))
        shutil.rmtree(root)
    finally:
        server.stop()
    return results


def report(results: dict[int, list[Run]], runs: int) -> list[str]:
    floor = PROJECTS / RATE
    target = 1.3 * floor + 1.5
    lines = [
        START,
        "## A matrix of shards behind one rate limit (whole processes)",
        "",
        f"{SHARDS} `python -m reconciler plan --all --shard I/{SHARDS}` processes started "
        f"together over {PROJECTS} projects behind one key, against one local Ory test server "
        f"(its own process; {LATENCY * 1000:.0f} ms per request) that meters every process's "
        "requests in one 1 s bucket of 10 and one 60 s bucket of 300, as Ory meters a key "
        f"(429 with an empty body). Wall time until the last job exits; {runs} runs, "
        "interleaved with one `plan --all` process over the same projects. Written by "
        "`python -m bench.shards`.",
        "",
        *machine(),
        "",
        "| jobs | min | median | max | floor | median / floor | 429s (median) |",
        "|---|---|---|---|---|---|---|",
    ]
    for shards, samples in results.items():
        walls = sorted(run.wall for run in samples)
        median = statistics.median(walls)
        refused = statistics.median(run.refused for run in samples)
        label = f"{shards} x `--shard I/{shards}`" if shards > 1 else "1 x `--all`"
        lines.append(
            f"| {label} | {walls[0]:.2f} s | {median:.2f} s | {walls[-1]:.2f} s | "
            f"{floor:.2f} s | {median / floor:.2f}x | {refused:.0f} |"
        )
    median = statistics.median(run.wall for run in results[SHARDS])
    verdict = "meets it" if median <= target else "misses it"
    lines += [
        "",
        f"Floor: {PROJECTS} / {RATE:g} s, the rate the key's bucket lets through. Target: "
        f"1.3 x the floor + 1.5 s = {target:.1f} s; the matrix's median {median:.2f} s "
        f"{verdict}. Every job succeeded in every run (the benchmark stops otherwise).",
        "",
        load_note(),
        END,
    ]
    return lines


def main() -> None:
    runs = int(os.environ.get("BENCH_RUNS", RUNS))
    compile_package()
    results = measure(runs)
    section = report(results, runs)
    write_section(section, REPO / "docs" / "benchmarks.md", START, END)
    print("\n".join(section))


if __name__ == "__main__":
    main()
