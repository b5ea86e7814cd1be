"""Progress on stderr (issue 26, item 4): a line per finished environment where stderr is no
terminal, click's bar where it is, nothing with -q; results stay on stdout in order."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.commands.progress import PlanProgress
from reconciler.plan.value import PlanOutcome

from conftest import Run, project_environments
from ory_server import OryTestServer

PATIENCE_SECONDS = 60.0


def _environments(repo: Path, server: OryTestServer, count: int) -> list[str]:
    for name in ("local", "prod"):  # need variables or projects these tests do not provide
        (repo / "environments" / f"{name}.yaml").unlink()
    return project_environments(repo, server, (f"env{index}" for index in range(count)))


@pytest.mark.ory_server
def test_plan_all_shows_a_line_per_environment_before_the_last_plan_is_done(
    example_repo: Path,
) -> None:
    # The case: 8 environments at 1.5 s per request printed nothing until the end.
    # One request is held until the first progress line has arrived: that line came while an
    # environment was still being planned (no timing assertion), and within the latency.
    # Not the first request: the others wait for its answer (it names the rate limits), and
    # holding it held them all until the client stopped waiting (30 s).
    with OryTestServer() as server:
        server.latency = 1.5
        names = _environments(example_repo, server, 7)
        server.status_sequence([None], methods=("GET",))
        server.hold_next(methods=("GET",))
        dropped = {"ORY_WORKSPACE_API_KEY", "ORY_CONSOLE_API_URL", "RECONCILER_KRATOS_SCHEMA"}
        environ = {k: v for k, v in os.environ.items() if k not in dropped} | server.cli_env()
        command = [sys.executable, "-m", "reconciler", "--dir", str(example_repo), "plan"]
        child = subprocess.Popen(
            [*command, "--all"],
            env=environ,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert child.stderr is not None
            first = child.stderr.readline()  # blocks until the child writes a line
            still_planning = child.poll() is None and server.held.is_set()
        finally:
            server.release_held()
            out, err = child.communicate(timeout=PATIENCE_SECONDS)
    assert first.startswith("[1/8] ") and first.endswith(": 7 changes\n"), first
    assert still_planning
    lines = [first, *err.splitlines(keepends=True)]
    assert [line.split("]")[0] for line in lines] == [f"[{i}/8" for i in range(1, 9)]
    assert child.returncode == 0, err
    headers = [line.split(":")[0] for line in out.splitlines() if line.startswith("Environment")]
    assert headers == [f"Environment {name}" for name in ["dev", *names]]  # the named order


@pytest.mark.ory_server
def test_quiet_silences_progress_and_keeps_results(
    run: Run, example_repo: Path, ory_server: OryTestServer
) -> None:
    names = _environments(example_repo, ory_server, 2)
    loud = run("plan", *names, env=ory_server.cli_env(), root=example_repo)
    quiet = run("plan", *names, "-q", env=ory_server.cli_env(), root=example_repo)
    # Counted in the order they finish, which either environment may win.
    counters, finished = zip(*(line.split(" ", 1) for line in loud.err.splitlines()), strict=True)
    assert counters == ("[1/2]", "[2/2]")
    assert sorted(finished) == ["env0: 7 changes", "env1: 7 changes"]
    assert quiet.err == ""
    assert quiet.out == loud.out != ""
    single = run("plan", names[0], env=ory_server.cli_env(), root=example_repo)
    assert single.err == ""  # one environment's plan is its own progress


@pytest.mark.ory_server
def test_apply_says_what_it_waits_for(
    run: Run, example_repo: Path, ory_server: OryTestServer
) -> None:
    name, other = _environments(example_repo, ory_server, 2)
    loud = run("apply", name, "--yes", env=ory_server.cli_env(), root=example_repo)
    assert loud.code == 0, loud.err
    assert loud.err.splitlines()[:2] == [
        f"{name}: reading the live config",
        f"{name}: applying 7 changes",
    ]
    quiet = run("apply", other, "--yes", "-q", env=ory_server.cli_env(), root=example_repo)
    assert quiet.code == 0, quiet.err
    assert "reading the live config" not in quiet.err
    assert "applying" not in quiet.err
    assert "Apply complete" in quiet.out


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _outcomes(*names: str) -> list[PlanOutcome]:
    return [PlanOutcome(name, error="unreachable") for name in names]


def test_on_a_terminal_one_bar_is_updated_in_place() -> None:
    stream = _Terminal()
    progress = PlanProgress(quiet=False, stream=stream)
    progress.begin(3)
    for outcome in _outcomes("dev", "staging", "prod"):
        progress.finished(outcome)
    progress.close()
    shown = stream.getvalue()
    assert "\n" not in shown.rstrip("\n")  # one line, redrawn with carriage returns
    assert shown.count("\r") >= 4  # drawn empty, then once per environment
    assert "3/3" in shown and "prod" in shown


def test_elsewhere_a_line_per_environment_and_nothing_when_quiet() -> None:
    stream = io.StringIO()
    progress = PlanProgress(quiet=False, stream=stream)
    progress.begin(2)
    for outcome in _outcomes("dev", "prod"):
        progress.finished(outcome)
    progress.close()
    assert stream.getvalue() == "[1/2] dev: failed\n[2/2] prod: failed\n"
    silent, terminal = io.StringIO(), _Terminal()
    for quiet_stream in (silent, terminal):
        quiet = PlanProgress(quiet=True, stream=quiet_stream)
        quiet.begin(2)
        quiet.finished(_outcomes("dev")[0])
        quiet.close()
    assert silent.getvalue() == terminal.getvalue() == ""
