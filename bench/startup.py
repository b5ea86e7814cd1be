"""Cold start: ``reconciler --version``, ``validate`` and ``render`` on the example repository,
against ``python -c pass``. Each run is a new process, as a user or CI job would start it,
after ``compileall`` (a pip install leaves bytecode; this machine sets
PYTHONDONTWRITEBYTECODE). Figures: min and median of ``RUNS`` runs after one warm-up."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):  # run as `python bench/<name>.py`: find the packages
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import REPO, RUNS, compile_package, milliseconds


def _runner(arguments: list[str], cwd: Path) -> Callable[[], None]:
    # The shipped official schemas, as after `pip install` (no override).
    environ = {
        **{k: v for k, v in os.environ.items() if k != "RECONCILER_KRATOS_SCHEMA"},
        "LOGIN_HOOK_KEY": "bench",
    }

    def run() -> None:
        subprocess.run(arguments, cwd=cwd, env=environ, check=True, capture_output=True)

    return run


def _timings(action: Callable[[], None]) -> tuple[float, float]:
    """(min, median) wall seconds of RUNS calls after one warm-up call."""
    action()
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return min(samples), statistics.median(samples)


# The floor under `validate`: importing the libraries it is built on and building one model,
# nothing of ours. A target below this needs one of them off the path, not faster code.
LIBRARIES = "libraries only (click, ruamel.yaml, jsonschema, pydantic + one model)"
_LIBRARIES_ONLY = (
    "import click, ruamel.yaml, jsonschema, referencing, pydantic\n"
    "class M(pydantic.BaseModel):\n    a: int = 0\n"
    "M(a=1)"
)


def measure() -> dict[str, tuple[float, float]]:
    compile_package()
    with tempfile.TemporaryDirectory() as folder:
        repo = Path(folder)
        for name in ("environments", "schemas", "hooks"):
            shutil.copytree(REPO / name, repo / name)
        cli = [sys.executable, "-m", "reconciler"]
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            LIBRARIES: [sys.executable, "-c", _LIBRARIES_ONLY],
            "reconciler --version": [*cli, "--version"],
            "reconciler validate dev": [*cli, "validate", "dev"],
            "reconciler validate (all 4)": [*cli, "validate"],
            "reconciler render dev": [*cli, "render", "dev"],
        }
        return {name: _timings(_runner(command, repo)) for name, command in commands.items()}


def import_profile(arguments: list[str], top: int = 10) -> list[tuple[str, float]]:
    """The slowest top-level imports (cumulative) of one ``reconciler`` command: for each
    module the least of ``RUNS`` runs, so other work on the machine counts as little as it can."""
    least: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        repo = Path(folder)
        for name in ("environments", "schemas", "hooks"):
            shutil.copytree(REPO / name, repo / name)
        for _ in range(RUNS):
            for name, seconds in _import_times(repo, arguments):
                least[name] = min(seconds, least.get(name, seconds))
    return sorted(least.items(), key=lambda row: -row[1])[:top]


def _import_times(repo: Path, arguments: list[str]) -> list[tuple[str, float]]:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "reconciler", *arguments],
        capture_output=True,
        text=True,
        check=True,
        cwd=repo,
        env={**os.environ, "LOGIN_HOOK_KEY": "bench"},
    )
    rows = []
    for line in result.stderr.splitlines():
        parts = [part.removeprefix("import time:").strip() for part in line.split("|")]
        if len(parts) == 3 and parts[1].isdigit():
            name = line.split("|")[2]
            # Direct imports by reconciler modules and the top-level packages they pull in.
            if not name.startswith("  ") or name.strip().startswith("reconciler."):
                rows.append((name.strip(), int(parts[1]) / 1e6))
    return rows


def report(results: dict[str, tuple[float, float]], profile: list[tuple[str, float]]) -> list[str]:
    bare = results["python -c pass"][1]
    lines = ["| command | min | median | median / bare Python |", "|---|---|---|---|"]
    for name, (low, middle) in results.items():
        lines.append(
            f"| `{name}` | {milliseconds(low)} | {milliseconds(middle)} | {middle / bare:.1f}x |"
        )
    ratio = results["reconciler validate dev"][1] / bare
    verdict = "meets" if ratio <= 6 else "misses"
    lines += [
        "",
        f"Targets: `--version` under 2x bare Python; `validate` of one environment at most 6x "
        f"— {verdict} it ({ratio:.1f}x). Importing the libraries `validate` is built on, and "
        f"nothing of ours, already costs {results[LIBRARIES][1] / bare:.1f}x (the row above): "
        "6x needs pydantic or jsonschema off the `validate` path, not faster code of ours. "
        "`render` imports neither jsonschema nor httpx, `validate` no httpx (asserted by "
        "`tests/commands/test_imports.py`).",
        "",
        "Where `validate dev` spends its imports (cumulative, least of "
        f"{RUNS} runs, `python -X importtime`):",
        "",
    ]
    lines += [f"- `{module}`: {milliseconds(seconds)}" for module, seconds in profile]
    return lines


if __name__ == "__main__":
    print("\n".join(report(measure(), import_profile(["validate", "dev"]))))
