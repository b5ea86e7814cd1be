"""``plan --all`` over N Ory Network projects against one plan, with injected API latency.

The local test server (``tests/ory_server.py``) runs in its own process (so its work does not
compete for this process's GIL) and answers every request after ``LATENCY`` seconds, like a
remote API. Each environment extends the example ``base.yaml`` and has its own project
(``add_project``). The CLI runs in-process (``reconciler.cli.main``), output discarded, so the
figures cover loading, validation, lint, fetch, diff and rendering.

Run: ``python -m bench.plan_all`` (rewrites only its own section of docs/benchmarks.md).
"""

from __future__ import annotations

import contextlib
import io
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path

from bench.common import write_section
from reconciler.cli import main as cli_main

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from ory_server import OryTestServer  # noqa: E402  (test helper)

LATENCY = 0.2  # seconds per request: a realistic round trip to a remote API
COUNTS = (1, 10, 50)
RUNS = 3
START, END = "<!-- plan-all:start -->", "<!-- plan-all:end -->"


def _serve(connection: Connection, projects: int) -> None:
    """In a child process: start the server, add ``projects``, report, serve until told."""
    # local_storage: identity-schema content is fetched from this server too, with latency.
    with OryTestServer(local_storage=True) as server:
        server.latency = LATENCY
        ids = [server.add_project() for _ in range(projects)]
        connection.send((server.base_url, server.workspace_key, ids))
        connection.recv()


def _repository(projects: list[str]) -> Path:
    root = Path(tempfile.mkdtemp(prefix="bench-plan-all-"))
    (root / "environments").mkdir()
    shutil.copy(REPO / "environments" / "base.yaml", root / "environments" / "base.yaml")
    shutil.copytree(REPO / "schemas", root / "schemas")
    for index, project in enumerate(projects):
        (root / "environments" / f"env{index:02}.yaml").write_text(
            f"extends: base.yaml\ntarget: {{ory_network: {{project: {project}}}}}\n"
        )
    return root


def _timed(root: Path, *arguments: str) -> float:
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = cli_main(["--dir", str(root), "--color", "never", "plan", *arguments])
    elapsed = time.perf_counter() - start
    assert code == 0, f"plan {' '.join(arguments)} exited {code}"
    return elapsed


def _median(root: Path, *arguments: str, runs: int = RUNS) -> float:
    _timed(root, *arguments)  # warm-up: imports, schema caches
    return sorted(_timed(root, *arguments) for _ in range(runs))[runs // 2]


def measure() -> list[tuple[int, float, float, float, float]]:
    """Per N: (N, single plan, --all at the default 8, --all with N at once, --all serially)."""
    os.environ.pop("RECONCILER_KRATOS_SCHEMA", None)  # the shipped official schemas
    ours, theirs = multiprocessing.Pipe()
    server = multiprocessing.Process(target=_serve, args=(theirs, max(COUNTS)), daemon=True)
    server.start()
    base_url, key, projects = ours.recv()
    os.environ["ORY_WORKSPACE_API_KEY"] = key
    os.environ["ORY_CONSOLE_API_URL"] = base_url
    rows = []
    try:
        for count in COUNTS:
            root = _repository(projects[:count])
            single = _median(root, "env00")
            bounded = _median(root, "--all")
            wide = _median(root, "--all", "--parallelism", str(count))
            serial = _median(root, "--all", "--parallelism", "1", runs=1)
            rows.append((count, single, bounded, wide, serial))
            shutil.rmtree(root)
    finally:
        ours.send("stop")
        server.join(timeout=10)
    return rows


def report(rows: list[tuple[int, float, float, float, float]]) -> list[str]:
    lines = [
        START,
        "## plan --all over many projects",
        "",
        f"Every request to the local Ory test server (its own process) takes "
        f"{LATENCY * 1000:.0f} ms (injected latency), like a remote API. Each environment "
        "has its own project; one plan of one environment is the "
        f"baseline. Median of {RUNS} runs after a warm-up (serial: one run). Written by "
        "`python -m bench.plan_all`.",
        "",
        "| N | one plan | `--all` (8 at once, default) | ratio | `--all --parallelism N` | "
        "ratio | `--all --parallelism 1` | ratio |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for count, single, bounded, wide, serial in rows:
        lines.append(
            f"| {count} | {single:.2f} s | {bounded:.2f} s | {bounded / single:.1f}x | "
            f"{wide:.2f} s | {wide / single:.1f}x | {serial:.2f} s | {serial / single:.1f}x |"
        )
    lines += [
        "",
        "Reading it: waiting on the API overlaps, so N environments cost far less than N plans.",
        "With the default bound of 8, 50 projects take about ⌈50 / 8⌉ = 7 round trips; "
        "`--parallelism 50` takes one, and what remains is CPU (loading, schema checks, lint) "
        "that Python threads cannot overlap.",
        END,
    ]
    return lines


def main() -> None:
    section = report(measure())
    write_section(section, REPO / "docs" / "benchmarks.md", START, END)
    print("\n".join(section))


if __name__ == "__main__":
    main()
