"""Every run ends with an exit code, never a native crash (issue 21, item 12).

A daemon thread still inside OpenSSL when the interpreter exits crashed about 1.4 % of the runs
that fail fast (SIGSEGV, SIGABRT): no run may leave a thread behind, and ``faulthandler`` is on
so that a future native crash prints a stack. ``bench/fast_failures.py`` runs 400 of them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# Runs the console script's entry point, recording every thread any code starts.
PROBE = """
import faulthandler, json, sys, threading
started = []
start = threading.Thread.start
def recording_start(self):
    started.append(self)
    start(self)
threading.Thread.start = recording_start
from reconciler.entry import main
code = main()
print(json.dumps({
    "code": code,
    "faulthandler": faulthandler.is_enabled(),
    "daemons": [t.name for t in started if t.daemon],
    "alive": [t.name for t in started if t.is_alive()],
}), file=sys.stderr)
"""


def _probe(repo: Path, *arguments: str) -> dict[str, object]:
    dropped = {"ORY_WORKSPACE_API_KEY", "ORY_CONSOLE_API_URL", "RECONCILER_KRATOS_SCHEMA"}
    environ = {k: v for k, v in os.environ.items() if k not in dropped}
    environ["LOGIN_HOOK_KEY"] = "a-key-for-tests"
    result = subprocess.run(
        [sys.executable, "-c", PROBE, "--dir", str(repo), *arguments],
        capture_output=True,
        text=True,
        env=environ,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report: dict[str, object] = json.loads(result.stderr.strip().splitlines()[-1])
    return report


@pytest.mark.parametrize(
    ("arguments", "code"),
    [
        (("plan", "dev"), 1),  # no API key: fails before any request
        (("plan", "nosuch"), 1),
        (("plan", "local"), 0),  # a Kratos file: plan_many's pool threads, joined
        (("plan", "dev", "local"), 1),
    ],
)
def test_a_run_leaves_no_thread_behind_and_has_faulthandler_on(
    example_repo: Path, arguments: tuple[str, ...], code: int
) -> None:
    report = _probe(example_repo, *arguments)
    assert report["code"] == code
    assert report["daemons"] == []  # the TLS warm-up thread is gone
    assert report["alive"] == []
    assert report["faulthandler"] is True
