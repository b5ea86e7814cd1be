"""This tree against an earlier commit, in alternating runs: a change's effect on a busy
machine. Other work on the two cores inflates every figure of ``bench.plan_all`` and
``bench.core`` (the load average is printed beside them); runs that alternate between the two
trees share that load, so their ratio holds where their absolute figures do not.

Measured for each tree: cold starts (wall, new process) of ``validate dev`` on the example
repository and of ``validate`` of 20 exported real environments (``bench/exported.py``), and
the per-environment CPU of ``plan --all`` (CPU of N = 200 minus N = 1 over 199, the test
server answering at once). The earlier commit is unpacked with ``git archive`` and run from
there with this environment's packages.

Run: ``python -m bench.paired REF`` (e.g. ``main`` or ``HEAD~3``); prints, writes nothing.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as `python bench/paired.py`: find the packages
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import exported, plan_all
from bench.common import REPO, load_note

ROUNDS = 5
MANY = 200
EXPORTED = f"validate ({exported.COUNT} exported environments)"


def unpack(ref: str, into: Path) -> Path:
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", ref, "reconciler"], capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    environ = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    command = [sys.executable, "-m", "compileall", "-q", str(into / "reconciler")]
    subprocess.run(command, check=True, env=environ)
    return into


def _process(
    tree: Path, arguments: list[str], cwd: Path, environ: dict[str, str]
) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one ``python -m reconciler`` run from ``tree``."""
    command = [sys.executable, "-m", "reconciler", *arguments]
    started = time.perf_counter()
    child = subprocess.Popen(
        command,
        cwd=cwd,
        env={**environ, "PYTHONPATH": str(tree)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(child.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, f"{tree}: {' '.join(arguments)} failed"
    return time.perf_counter() - started, usage.ru_utime + usage.ru_stime


def cold_start(trees: dict[str, Path]) -> dict[tuple[str, str], float]:
    """Median wall seconds per (tree, command), runs alternating."""
    environ = {**os.environ, "LOGIN_HOOK_KEY": "bench"}
    environ.pop("RECONCILER_KRATOS_SCHEMA", None)
    walls: dict[tuple[str, str], list[float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        repo = Path(folder) / "example"
        for name in ("environments", "schemas", "hooks"):
            shutil.copytree(REPO / name, repo / name)
        real = Path(folder) / "exported"
        variables = exported.repository(real)
        commands = {
            "validate dev": (["validate", "dev"], repo, environ),
            EXPORTED: (["validate"], real, {**environ, **variables}),
        }
        for round_number in range(ROUNDS * 2 + 1):
            for command, (arguments, cwd, env) in commands.items():
                for name, tree in trees.items():
                    wall, _ = _process(tree, arguments, cwd, env)
                    if round_number:  # the first round warms the file cache
                        walls.setdefault((name, command), []).append(wall)
    return {key: statistics.median(values) for key, values in walls.items()}


def per_environment_cpu(trees: dict[str, Path]) -> dict[str, float]:
    """Median over rounds of (CPU of N = MANY minus CPU of N = 1) / (MANY - 1), per tree."""
    plan_all.LATENCY = 0.0
    server = plan_all.Server(MANY, limited=False)
    figures: dict[str, list[float]] = {name: [] for name in trees}
    try:
        roots = {count: plan_all.repository(server.projects[:count]) for count in (1, MANY)}
        environ = plan_all._environ(server)
        for round_number in range(ROUNDS + 1):
            for name, tree in trees.items():
                cpu: dict[int, float] = {}
                for count, root in roots.items():
                    server.reset()
                    arguments = ["--dir", str(root), "plan", "--all"]
                    cpu[count] = _process(tree, arguments, root, environ)[1]
                if round_number:
                    figures[name].append((cpu[MANY] - cpu[1]) / (MANY - 1))
        for root in roots.values():
            shutil.rmtree(root)
    finally:
        server.stop()
    return {name: statistics.median(values) for name, values in figures.items()}


def main(ref: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        trees = {ref: unpack(ref, Path(folder)), "this tree": REPO}
        compile_this = [sys.executable, "-m", "compileall", "-q", str(REPO / "reconciler")]
        subprocess.run(compile_this, check=True)
        starts = cold_start(trees)
        cpus = per_environment_cpu(trees)
    bare = _bare_python()
    print(f"| tree | validate dev (median) | x bare Python | {EXPORTED} | per-environment CPU |")
    print("|---|---|---|---|---|")
    for name in trees:
        start = starts[name, "validate dev"]
        print(
            f"| {name} | {start * 1000:.0f} ms | {start / bare:.1f}x |"
            f" {starts[name, EXPORTED] * 1000:.0f} ms | {cpus[name] * 1000:.2f} ms |"
        )
    print(f"\nBare `python -c pass`: {bare * 1000:.1f} ms (median). {load_note()}")


def _bare_python() -> float:
    samples = []
    for _ in range(ROUNDS * 2):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "main")
