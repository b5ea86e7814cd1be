"""``plan`` and ``plan --all`` over N Ory Network projects, whole processes as a user runs them.

The local Ory test server (``tests/ory_server.py``) runs in its own process and answers every
request after ``LATENCY`` seconds, like a remote API; with ``--limits`` it meters requests as
Ory does (a 1 s burst bucket of 10 and a 60 s bucket of 300, 429 with an empty body; fresh
buckets before every run, as after a quiet minute). Each environment extends the example
``base.yaml`` and has its own project. Every figure is a new ``python -m reconciler`` process
(after ``compileall``, as a pip install leaves it), next to its floor:

* without limits: one plan plus (N - 1) x the per-environment CPU (measured: the CPU time of
  the N = 200 run minus the N = 1 run, over 199), all on one core;
* under limits: N / 10 s (the burst bucket's rate).

Run: ``python -m bench.plan_all`` (rewrites only its own section of docs/benchmarks.md).
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

if __package__ in (None, ""):  # run as `python bench/plan_all.py`: find the packages
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import REPO, compile_package, load_note, machine, write_section

LATENCY = 0.4  # seconds per request: a remote API's round trip
COUNTS = (1, 10, 50, 200)
RUNS = 3
LIMITED_RUNS = 2
START, END = "<!-- plan-all:start -->", "<!-- plan-all:end -->"


# The CLI as a whole process that reports its own peak memory (VmHWM belongs to the process
# image: unlike a child's rusage it does not count the parent's pages shared before exec).
_MEASURED_CLI = """
import sys
from reconciler.cli import main
code = main(sys.argv[1:])
with open("/proc/self/status") as status:
    sys.stderr.write(next(line for line in status if line.startswith("VmHWM:")))
sys.exit(code)
"""


@dataclass(frozen=True)
class Sample:
    wall: float  # seconds
    cpu: float  # user + system seconds of the reconciler process
    peak_mb: float = float("nan")  # its peak resident memory (one separate run)


def _serve(connection: Connection, projects: int, limited: bool) -> None:
    """In a child process: start the server, add ``projects``, report; ``reset`` gives fresh
    rate-limit buckets, ``stop`` ends it."""
    sys.path.insert(0, str(REPO / "tests"))
    from ory_behaviour import RateMeter

    from ory_server import OryTestServer

    with OryTestServer(rate_meter=RateMeter() if limited else None) as server:
        server.latency = LATENCY
        ids = [server.add_project() for _ in range(projects)]
        connection.send((server.base_url, server.workspace_key, ids))
        while (message := connection.recv()) != "stop":
            if message == "refused":  # how many requests were refused since the last reset
                connection.send(sum(request.status == 429 for request in server.requests))
                continue
            if message == "reset":
                server.clear_requests()
                if limited:
                    server.rate_meter = RateMeter()
            connection.send("ok")


class Server:
    def __init__(self, projects: int, *, limited: bool) -> None:
        self._ours, theirs = multiprocessing.Pipe()
        self._process = multiprocessing.Process(
            target=_serve, args=(theirs, projects, limited), daemon=True
        )
        self._process.start()
        self.base_url, self.key, self.projects = self._ours.recv()

    def reset(self) -> None:
        self._ours.send("reset")
        self._ours.recv()

    def refused(self) -> int:
        """How many requests the server refused (429) since the last ``reset``."""
        self._ours.send("refused")
        count: int = self._ours.recv()
        return count

    def stop(self) -> None:
        self._ours.send("stop")
        self._process.join(timeout=10)


def repository(projects: list[str]) -> Path:
    root = Path(tempfile.mkdtemp(prefix="bench-plan-all-"))
    (root / "environments").mkdir()
    shutil.copy(REPO / "environments" / "base.yaml", root / "environments" / "base.yaml")
    shutil.copytree(REPO / "schemas", root / "schemas")
    for index, project in enumerate(projects):
        (root / "environments" / f"env{index:03}.yaml").write_text(
            f"extends: base.yaml\ntarget: {{ory_network: {{project: {project}}}}}\n"
        )
    return root


def _environ(server: Server) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if k != "RECONCILER_KRATOS_SCHEMA"}
    return environ | {"ORY_WORKSPACE_API_KEY": server.key, "ORY_CONSOLE_API_URL": server.base_url}


def run(root: Path, server: Server, *arguments: str) -> Sample:
    """One ``python -m reconciler plan`` process: wall time and its CPU time."""
    command = [sys.executable, "-m", "reconciler", "--dir", str(root), "plan", *arguments]
    server.reset()
    start = time.perf_counter()
    child = subprocess.Popen(command, env=_environ(server), stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    assert code == 0, f"plan {' '.join(arguments)} exited {code}"
    return Sample(wall, usage.ru_utime + usage.ru_stime)


def peak_megabytes(root: Path, server: Server, *arguments: str) -> float:
    """The peak resident memory of one more run (VmHWM; NaN where /proc is not there)."""
    if not Path("/proc/self/status").exists():
        return float("nan")
    command = [sys.executable, "-c", _MEASURED_CLI, "--dir", str(root), "plan", *arguments]
    server.reset()
    child = subprocess.run(
        command, env=_environ(server), capture_output=True, text=True, check=True
    )
    return int(child.stderr.rsplit("VmHWM:", 1)[1].split()[0]) / 1024


def best_of(samples: list[Sample], peak_mb: float) -> tuple[float, float, Sample]:
    """(min wall, median wall, the median sample with the peak memory)."""
    ordered = sorted(samples, key=lambda sample: sample.wall)
    middle = ordered[len(ordered) // 2]
    median = statistics.median(s.wall for s in ordered)
    return ordered[0].wall, median, Sample(middle.wall, middle.cpu, peak_mb)


def measure(limited: bool, runs: int) -> dict[str, tuple[float, float, Sample]]:
    server = Server(max(COUNTS), limited=limited)
    results = {}
    try:
        single = repository(server.projects[:1])
        run(single, server, "env000")  # warm-up: file cache
        samples = [run(single, server, "env000") for _ in range(runs)]
        results["one"] = best_of(samples, peak_megabytes(single, server, "env000"))
        shutil.rmtree(single)
        for count in COUNTS:
            root = repository(server.projects[:count])
            samples = [run(root, server, "--all") for _ in range(runs)]
            results[str(count)] = best_of(samples, peak_megabytes(root, server, "--all"))
            shutil.rmtree(root)
    finally:
        server.stop()
    return results


def report(
    free: dict[str, tuple[float, float, Sample]], limited: dict[str, tuple[float, float, Sample]]
) -> list[str]:
    one_min, one_median, one = free["one"]
    cpu_per_env = (free[str(COUNTS[-1])][2].cpu - free["1"][2].cpu) / (COUNTS[-1] - 1)
    lines = [
        START,
        "## plan and plan --all over many projects (whole processes)",
        "",
        f"Each request to the local Ory test server (its own process) takes {LATENCY * 1000:.0f}"
        " ms. Every figure is a new `python -m reconciler ... plan` process (min / median of "
        f"{RUNS} runs, {LIMITED_RUNS} under limits), with its CPU time and peak memory. "
        "Written by `python -m bench.plan_all`.",
        "",
        *machine(),
        "",
        f"One plan of one environment: {one_min:.2f} s min / {one_median:.2f} s median "
        f"({one.cpu * 1000:.0f} ms CPU, {one.peak_mb:.0f} MB). Per-environment CPU, from the "
        f"N = {COUNTS[-1]} and N = 1 runs: **{cpu_per_env * 1000:.1f} ms**.",
        "",
        "### Without rate limits (default flags)",
        "",
        "| N | min | median | floor | median / floor | median / one plan | CPU | peak memory |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for count in COUNTS:
        low, middle, sample = free[str(count)]
        floor = one_median + (count - 1) * cpu_per_env
        lines.append(
            f"| {count} | {low:.2f} s | {middle:.2f} s | {floor:.2f} s | {middle / floor:.2f}x |"
            f" {middle / one_median:.2f}x | {sample.cpu:.2f} s | {sample.peak_mb:.0f} MB |"
        )
    lines += [
        "",
        "Floor: one plan plus (N - 1) x the per-environment CPU, all on one core.",
        "",
        "### Under Ory's rate limits (10 per second, 300 per minute)",
        "",
        "| N | min | median | floor (N / 10 s) | median / floor | CPU | peak memory |",
        "|---|---|---|---|---|---|---|",
    ]
    for count in COUNTS:
        low, middle, sample = limited[str(count)]
        floor = max(one_median, count / 10)
        lines.append(
            f"| {count} | {low:.2f} s | {middle:.2f} s | {floor:.2f} s | {middle / floor:.2f}x |"
            f" {sample.cpu:.2f} s | {sample.peak_mb:.0f} MB |"
        )
    lines += [
        "",
        "Floor: N / 10 s, the burst bucket's rate (at least one plan). Every environment "
        "succeeded in every run (the benchmark stops otherwise). The first request goes "
        "alone; its answer names the buckets, and everything after is paced by the client.",
        "",
        load_note(),
        END,
    ]
    return lines


def main() -> None:
    compile_package()
    free = measure(limited=False, runs=RUNS)
    limited = measure(limited=True, runs=LIMITED_RUNS)
    section = report(free, limited)
    write_section(section, REPO / "docs" / "benchmarks.md", START, END)
    print("\n".join(section))


if __name__ == "__main__":
    main()
