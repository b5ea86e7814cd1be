"""SIGINT and SIGTERM end every run with a message and exit 130 or 143; during a write the
tool reads the target again and says whether the write landed (issue 21, item 8).

Each test runs the CLI as a process and signals it while the test server holds its request:
the PATCH applied and its answer delayed (it landed), or held unprocessed (it did not).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from filelock import FileLock

from ory_server import OryTestServer

PATIENCE_SECONDS = 60.0


def _start(repo: Path, server: OryTestServer | None, *arguments: str) -> subprocess.Popen[str]:
    dropped = {"ORY_WORKSPACE_API_KEY", "ORY_CONSOLE_API_URL", "RECONCILER_KRATOS_SCHEMA"}
    environ = {k: v for k, v in os.environ.items() if k not in dropped}
    if server is not None:
        environ["ORY_WORKSPACE_API_KEY"] = server.workspace_key
        environ["ORY_CONSOLE_API_URL"] = server.base_url
    command = [sys.executable, "-m", "reconciler", "--dir", str(repo), *arguments]
    return subprocess.Popen(
        command, env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _when(condition: Callable[[], bool], child: subprocess.Popen[str]) -> None:
    """Wait (polling, bounded) until ``condition`` holds while the child still runs."""
    deadline = time.monotonic() + PATIENCE_SECONDS
    while not condition():
        assert child.poll() is None, child.communicate()
        assert time.monotonic() < deadline, "the request never arrived"
        time.sleep(0.01)


def _signalled(child: subprocess.Popen[str], number: int) -> tuple[int, str]:
    child.send_signal(number)
    _, err = child.communicate(timeout=PATIENCE_SECONDS)
    assert "Traceback" not in err
    return child.returncode, err


def _network_environment(tmp_path: Path, server: OryTestServer) -> Path:
    (tmp_path / "environments").mkdir()
    (tmp_path / "environments" / "dev.yaml").write_text(
        f"target: {{ory_network: {{project: {server.project_id}}}}}\n"
        "identity_config: {session: {lifespan: 12h}}\n"
    )
    return tmp_path


@pytest.mark.parametrize(("number", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_while_the_patch_is_in_flight_says_it_landed(
    tmp_path: Path, ory_server: OryTestServer, number: int, code: int
) -> None:
    repo = _network_environment(tmp_path, ory_server)
    before = ory_server.revision()
    ory_server.delay_next(20.0, methods=("PATCH",))  # applied, its answer late
    child = _start(repo, ory_server, "apply", "dev", "--yes")
    _when(lambda: bool(ory_server.applied_patches), child)
    returned, err = _signalled(child, number)
    assert returned == code, err
    name = "SIGINT" if number == signal.SIGINT else "SIGTERM"
    now = ory_server.revision()
    assert now != before
    assert (
        f"Interrupted ({name}) while applying to project {ory_server.project_id}: the change "
        f"landed (the project is now at revision {now} and shows every change of this plan)."
    ) in err
    assert "Interrupted.\n" not in err


def test_a_signal_while_the_patch_has_not_landed_says_so(
    tmp_path: Path, ory_server: OryTestServer
) -> None:
    repo = _network_environment(tmp_path, ory_server)
    before = ory_server.revision()
    ory_server.hold_next(methods=("PATCH",))  # received, not processed
    child = _start(repo, ory_server, "apply", "dev", "--yes")
    _when(ory_server.held.is_set, child)
    returned, err = _signalled(child, signal.SIGINT)
    ory_server.release_held()
    assert returned == 130, err
    assert (
        f"Interrupted (SIGINT) while applying to project {ory_server.project_id}: the change "
        f"did not land (the project is still at revision {before})."
    ) in err
    assert ory_server.revision() == before


@pytest.mark.parametrize(
    ("number", "code", "message"),
    [(signal.SIGTERM, 143, "Terminated.\n"), (signal.SIGINT, 130, "Interrupted.\n")],
)
def test_a_signal_at_any_other_time_is_one_line_and_its_exit_code(
    tmp_path: Path, ory_server: OryTestServer, number: int, code: int, message: str
) -> None:
    repo = _network_environment(tmp_path, ory_server)
    ory_server.hold_next(methods=("GET",))  # plan waits for the project
    child = _start(repo, ory_server, "plan", "dev")
    _when(ory_server.held.is_set, child)
    returned, err = _signalled(child, number)
    ory_server.release_held()
    assert returned == code
    assert err.strip("\n") + "\n" == message  # that line, nothing else


def test_a_signal_while_a_kratos_file_write_waits_says_it_did_not_land(tmp_path: Path) -> None:
    kratos = tmp_path / "kratos.yml"
    kratos.write_text("dsn: memory\nsession:\n  lifespan: 24h\n")
    before = kratos.read_text()
    (tmp_path / "environments").mkdir()
    (tmp_path / "environments" / "local.yaml").write_text(
        "target: {kratos_file: {path: ../kratos.yml}}\n"
        "identity_config: {session: {lifespan: 12h}}\n"
    )
    backups = tmp_path / ".reconciler" / "backups" / "local"
    with FileLock(str(kratos) + ".lock"):  # another apply is writing it
        child = _start(tmp_path, None, "apply", "local", "--yes")
        _when(lambda: any(backups.glob("*.json")), child)  # the backup is kept: next, the write
        returned, err = _signalled(child, signal.SIGTERM)
    assert returned == 143, err
    assert (
        "Interrupted (SIGTERM) while writing kratos.yml: the change did not land "
        "(the file is unchanged)."
    ) in err
    assert kratos.read_text() == before
