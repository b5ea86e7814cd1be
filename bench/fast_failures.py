"""Every run ends with an exit code, never a signal: ``python -m bench.fast_failures [RUNS]``.

Runs that fail fast (no API key, invalid YAML, an unknown environment) and successful plans
of a Kratos file, one after another, each a new process as CI starts it. A run that dies of a
signal (SIGSEGV, SIGABRT: a native thread still working while the interpreter exits, issue
21) or exits otherwise than expected is counted and shown. Not a test (it takes minutes) and
not timed: it prints its counts, and exits 1 when any run went wrong.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as `python bench/<name>.py`: find the packages
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import REPO

RUNS = 400


@dataclass(frozen=True)
class Case:
    name: str
    arguments: tuple[str, ...]
    code: int
    message: str  # a text the expected output contains (stdout or stderr)


CASES = (
    Case("missing key", ("plan", "dev"), 1, "ORY_WORKSPACE_API_KEY is not set"),
    Case("bad YAML", ("plan", "broken"), 1, "invalid YAML"),
    Case("unknown environment", ("plan", "nosuch"), 1, "unknown environment 'nosuch'"),
    Case("Kratos-file plan", ("plan", "local"), 0, "Environment local: Kratos config file"),
)


def _repository(folder: Path) -> Path:
    """The example repository, a Kratos file for ``local``, and an environment that is not
    YAML."""
    for name in ("environments", "schemas", "hooks"):
        shutil.copytree(REPO / name, folder / name)
    (folder / ".demo").mkdir()
    for name in ("kratos.yml", "identity.schema.json"):
        shutil.copy(REPO / "examples" / "kratos" / name, folder / ".demo" / name)
    (folder / "environments" / "broken.yaml").write_text("target: [unclosed\n", encoding="utf-8")
    return folder


def _environ() -> dict[str, str]:
    dropped = {"ORY_WORKSPACE_API_KEY", "ORY_CONSOLE_API_URL", "RECONCILER_KRATOS_SCHEMA"}
    kept = {name: value for name, value in os.environ.items() if name not in dropped}
    return {**kept, "LOGIN_HOOK_KEY": "bench", "NO_COLOR": "1"}


def _outcome(case: Case, result: subprocess.CompletedProcess[str]) -> str:
    if result.returncode < 0:
        return f"signal {signal.Signals(-result.returncode).name}"
    if result.returncode != case.code:
        return f"exit {result.returncode}"
    if case.message not in result.stdout + result.stderr:
        return f"exit {result.returncode} without its message"
    return "ok"


def main(runs: int = RUNS) -> int:
    outcomes: dict[str, Counter[str]] = {case.name: Counter() for case in CASES}
    with tempfile.TemporaryDirectory() as folder:
        repo = _repository(Path(folder))
        environ = _environ()
        for index in range(runs):
            case = CASES[index % len(CASES)]
            command = [sys.executable, "-m", "reconciler", "--dir", str(repo), *case.arguments]
            result = subprocess.run(
                command, env=environ, capture_output=True, text=True, check=False
            )
            outcome = _outcome(case, result)
            outcomes[case.name][outcome] += 1
            if outcome != "ok":
                print(f"run {index + 1} ({case.name}): {outcome}", file=sys.stderr)
                print(result.stderr[-2000:], file=sys.stderr)
    failed = 0
    for case in CASES:
        counts = outcomes[case.name]
        total = sum(counts.values())
        details = ", ".join(f"{what}: {n}" for what, n in sorted(counts.items()) if what != "ok")
        print(
            f"{case.name:<20} {counts['ok']}/{total} exit {case.code} with their message"
            + (f"; {details}" if details else "")
        )
        failed += total - counts["ok"]
    signals = sum(n for c in outcomes.values() for what, n in c.items() if what.startswith("sig"))
    print(f"{runs} runs: {runs - failed} as expected, {signals} ended by a signal")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(int(sys.argv[1]) if len(sys.argv) > 1 else RUNS))
