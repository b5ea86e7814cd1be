"""Cold start: ``reconciler --version``, ``validate`` and ``render`` on the example repository,
and ``validate`` of a repository of 20 exported real environments (``bench/exported.py``),
with libyaml's reader and without it (``_ruamel_yaml`` hidden: every file read by ruamel's
pure-Python reader, as where the C extension has no wheel), against ``python -c pass``. Each
run is a new process, as a user or CI job would start it, after ``compileall`` (a pip install
leaves bytecode; this machine sets PYTHONDONTWRITEBYTECODE). The commands take turns, round
after round (``ROUNDS``, after one warm-up round), so a slow spell of the machine weighs on all
of them alike; figures are the min and median of each command's runs."""

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

from bench import exported
from bench.common import REPO, RUNS, compile_package, milliseconds


def _runner(
    arguments: list[str], cwd: Path, extra: dict[str, str] | None = None
) -> Callable[[], None]:
    # The shipped official schemas, as after `pip install` (no override).
    environ = {
        **{k: v for k, v in os.environ.items() if k != "RECONCILER_KRATOS_SCHEMA"},
        "LOGIN_HOOK_KEY": "bench",
        **(extra or {}),
    }

    def run() -> None:
        subprocess.run(arguments, cwd=cwd, env=environ, check=True, capture_output=True)

    return run


# The floor under `validate`: importing the libraries it runs on (the command line, the YAML
# parser, the models of the environment file and the Kratos schema check), nothing of ours.
LIBRARIES = "libraries only (click, ruamel.yaml + its C parser, pydantic, jsonschema)"
_LIBRARIES_ONLY = "import click, ruamel.yaml, _ruamel_yaml, pydantic, jsonschema, referencing"
EXPORTED = f"reconciler validate ({exported.COUNT} exported environments)"
WITHOUT_LIBYAML = f"{EXPORTED[:-1]}, without libyaml)"
ROUNDS = 15


def measure() -> dict[str, tuple[float, float]]:
    compile_package()
    with tempfile.TemporaryDirectory() as folder:
        repo = Path(folder) / "example"
        for name in ("environments", "schemas", "hooks"):
            shutil.copytree(REPO / name, repo / name)
        real = Path(folder) / "exported"
        variables = exported.repository(real)
        hidden = Path(folder) / "no-libyaml"
        hidden.mkdir()
        (hidden / "_ruamel_yaml.py").write_text("raise ImportError('hidden by the benchmark')\n")
        cli = [sys.executable, "-m", "reconciler"]
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            LIBRARIES: [sys.executable, "-c", _LIBRARIES_ONLY],
            "reconciler --version": [*cli, "--version"],
            "reconciler validate dev": [*cli, "validate", "dev"],
            "reconciler validate (all 4)": [*cli, "validate"],
            "reconciler render dev": [*cli, "render", "dev"],
        }
        runners = {name: _runner(command, repo) for name, command in commands.items()}
        runners[EXPORTED] = _runner([*cli, "validate"], real, variables)
        without = {**variables, "PYTHONPATH": str(hidden)}
        runners[WITHOUT_LIBYAML] = _runner([*cli, "validate"], real, without)
        samples: dict[str, list[float]] = {name: [] for name in runners}
        for round_number in range(ROUNDS + 1):
            for name, run in runners.items():
                start = time.perf_counter()
                run()
                if round_number:  # the first round warms the caches up
                    samples[name].append(time.perf_counter() - start)
        return {name: (min(times), statistics.median(times)) for name, times in samples.items()}


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
    with_libyaml, without_libyaml = results[EXPORTED][1], results[WITHOUT_LIBYAML][1]
    lines += [
        "",
        f"Targets: `--version` under 2x bare Python; `validate` of one environment at most 6x "
        f"— {verdict} it ({ratio:.1f}x). The libraries it runs on, and nothing of ours, cost "
        f"{results[LIBRARIES][1] / bare:.1f}x (the row above). pydantic is on the path (the "
        "environment file's models), and jsonschema (the official Kratos schema's check); "
        "httpx is not, nor the saved plan's models; `render` imports neither jsonschema "
        "nor httpx (asserted by `tests/commands/test_imports.py`).",
        "",
        f"The {exported.COUNT} exported environments are `export` of projects seeded with "
        "configs of the corpus (`bench/exported.py`), 1-5 KB each. Without libyaml's reader "
        "(`loading/yamlio/libyaml.py`) ruamel's pure-Python reader reads every file, and "
        f"`validate` of them all takes {without_libyaml / with_libyaml:.2f}x as long "
        f"(+{(without_libyaml - with_libyaml) * 1000:.0f} ms).",
        "",
        "Where `validate dev` spends its imports (cumulative, least of "
        f"{RUNS} runs, `python -X importtime`):",
        "",
    ]
    lines += [f"- `{module}`: {milliseconds(seconds)}" for module, seconds in profile]
    return lines


if __name__ == "__main__":
    print("\n".join(report(measure(), import_profile(["validate", "dev"]))))
