"""Cold start: ``reconciler --version`` and ``reconciler validate`` on the example repository,
against ``python -c pass``. Each run is a new process, as a user or CI job would start it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):  # run as `python bench/<name>.py`: find the packages
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import REPO, median_seconds, milliseconds


def _runner(arguments: list[str], cwd: Path) -> Callable[[], None]:
    # The shipped official schemas, as after `pip install` (no override).
    environ = {
        **{k: v for k, v in os.environ.items() if k != "RECONCILER_KRATOS_SCHEMA"},
        "LOGIN_HOOK_KEY": "bench",
    }

    def run() -> None:
        subprocess.run(arguments, cwd=cwd, env=environ, check=True, capture_output=True)

    return run


def measure() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        repo = Path(folder)
        for name in ("environments", "schemas", "hooks"):
            shutil.copytree(REPO / name, repo / name)
        cli = [sys.executable, "-m", "reconciler"]
        return {
            "python -c pass": median_seconds(_runner([sys.executable, "-c", "pass"], repo)),
            "reconciler --version": median_seconds(_runner([*cli, "--version"], repo)),
            "reconciler validate": median_seconds(_runner([*cli, "validate"], repo)),
        }


def import_profile(top: int = 8) -> list[tuple[str, float]]:
    """The slowest modules (cumulative) imported by ``reconciler --version``."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "reconciler", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = []
    for line in result.stderr.splitlines():
        parts = [part.strip() for part in line.removeprefix("import time:").split("|")]
        if len(parts) == 3 and parts[1].isdigit() and parts[2].startswith("reconciler"):
            rows.append((parts[2], int(parts[1]) / 1e6))
    return sorted(rows, key=lambda row: -row[1])[:top]


def report(results: dict[str, float], profile: list[tuple[str, float]]) -> list[str]:
    bare = results["python -c pass"]
    lines = ["| command | median | x bare Python |", "|---|---|---|"]
    for name, seconds in results.items():
        lines.append(f"| `{name}` | {milliseconds(seconds)} | {seconds / bare:.1f}x |")
    ratio = results["reconciler --version"] / bare
    verdict = "meets" if ratio < 2 else "misses"
    lines += ["", f"Target: `--version` under 2x bare Python — {verdict} it ({ratio:.1f}x).", ""]
    lines += ["Slowest `reconciler` modules imported by `--version` (cumulative, one run):", ""]
    lines += [f"- `{module}`: {milliseconds(seconds)}" for module, seconds in profile]
    return lines


if __name__ == "__main__":
    print("\n".join(report(measure(), import_profile())))
