"""Shared fixtures: temporary config repositories, the CLI, and the local Ory API server."""

from __future__ import annotations

import shutil
import sys
import textwrap
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from reconciler.cli import main
from reconciler.comparing.diff import DiffRules
from reconciler.services.registry import IDENTITY
from reconciler.targets import client
from reconciler.targets.retry import RetryPolicy

from ory_server import OryTestServer, ory_server  # noqa: F401  (the local Ory API, a fixture)

REPO_ROOT = Path(__file__).resolve().parents[1]
# Real Ory documents copied into the repository; origins in tests/fixtures/SOURCES.md.
FIXTURES = REPO_ROOT / "tests" / "fixtures"
KRATOS = FIXTURES / "kratos-v26.2.0"
FIXTURE_PROJECT = FIXTURES / "ory-cli" / "fixtures" / "project-get-response.config.json"
QUICKSTART = KRATOS / "contrib" / "quickstart" / "kratos"
MFA_OPTIONAL = KRATOS / "test" / "e2e" / "profiles" / "mfa-optional"


def identity_rules(**rules: Any) -> DiffRules:
    """How the planner diffs the identity config: its secret paths, its identity schemas
    (``usecases/planning.plan_against`` builds the same from the service's declaration)."""
    return DiffRules(
        service=IDENTITY.name,
        secret_paths=IDENTITY.secrets,
        lists_identity_schemas=IDENTITY.lists_identity_schemas,
        **rules,
    )


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


Run = Callable[..., Result]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that takes a fixture giving an ``OryTestServer`` (``ory_server``, or a module's
    own) talks to the local Ory API: marked so (``pytest -m ory_server``, or ``-m 'not
    ory_server'`` for the tests that need no server)."""
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        definitions = info.name2fixturedefs.values() if info is not None else ()
        if any(_gives_a_server(definition[-1].func) for definition in definitions):
            item.add_marker(pytest.mark.ory_server)


def _gives_a_server(fixture: Callable[..., object]) -> bool:
    return "OryTestServer" in str(getattr(fixture, "__annotations__", {}).get("return", ""))


@pytest.fixture(autouse=True)
def server_tests_are_marked(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test that starts a local Ory server some other way must say so with the marker."""
    started = OryTestServer.starts
    yield
    if OryTestServer.starts != started and request.node.get_closest_marker("ory_server") is None:
        pytest.fail("this test starts the local Ory server: mark it @pytest.mark.ory_server")


@pytest.fixture(autouse=True)
def retry_waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Ory API clients record the seconds they would sleep between retries instead of
    sleeping, so fault tests stay fast; a test can inspect the list."""
    waits: list[float] = []
    monkeypatch.setattr(client, "DEFAULT_RETRY", RetryPolicy(sleep=waits.append))
    return waits


# A test marked `hostile` reads input a stranger may write (alias bombs, deep nesting, huge
# files, forged plans): it runs under a memory limit, so a broken bound fails the test with a
# MemoryError instead of growing the worker by gigabytes (it once reached 19 GB).
HOSTILE_HEADROOM_BYTES = 1024 * 1024 * 1024


@pytest.fixture(autouse=True)
def memory_limit(request: pytest.FixtureRequest) -> Iterator[int | None]:
    """For a `hostile` test: the data segment capped at what the worker holds now plus
    HOSTILE_HEADROOM_BYTES (RLIMIT_DATA: the heap and private mappings, which Python's
    allocators use), restored after it; the cap in bytes, or None for any other test. The
    processes a test starts inherit the cap."""
    if request.node.get_closest_marker("hostile") is None or not sys.platform.startswith("linux"):
        yield None  # not hostile, or off Linux (which alone enforces RLIMIT_DATA): no cap
        return
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    cap = _data_bytes() + HOSTILE_HEADROOM_BYTES
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (cap, hard))
    try:
        yield cap
    finally:
        resource.setrlimit(resource.RLIMIT_DATA, (soft, hard))


def _data_bytes() -> int:
    """The worker's data segment now (VmData of /proc/self/status)."""
    status = Path("/proc/self/status").read_text(encoding="ascii")
    line = next(line for line in status.splitlines() if line.startswith("VmData:"))
    return int(line.split()[1]) * 1024


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write a dedented file under the temporary repository and return its path."""

    def writer(relative: str, text: str) -> Path:
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return writer


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    """Run the CLI in-process against the temporary repository; returns code, stdout, stderr."""

    def runner(
        *args: str, env: Mapping[str, str] | None = None, root: Path | None = None
    ) -> Result:
        for name in (
            "ORY_WORKSPACE_API_KEY",
            "ORY_CONSOLE_API_URL",
            "ORY_PROJECT_API_KEY",
            "ORY_SDK_URL",
            "NO_COLOR",
            "RECONCILER_KRATOS_SCHEMA",  # the shipped schemas, as after `pip install`
            "RECONCILER_KRATOS_VERSION",
        ):
            monkeypatch.delenv(name, raising=False)
        for name, value in (env or {}).items():
            monkeypatch.setenv(name, value)
        capsys.readouterr()
        code = main(["--dir", str(root or tmp_path), "--color", "never", *args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return runner


@pytest.fixture
def example_repo(tmp_path: Path) -> Path:
    """A copy of the repository's own example tree (environments, schemas, hooks, examples)."""
    for folder in ("environments", "schemas", "hooks", "examples"):
        shutil.copytree(REPO_ROOT / folder, tmp_path / folder)
    (tmp_path / ".demo").mkdir()
    for name in ("kratos.yml", "identity.schema.json"):
        shutil.copy(REPO_ROOT / "examples" / "kratos" / name, tmp_path / ".demo" / name)
    return tmp_path


def project_environments(repo: Path, server: OryTestServer, names: Iterable[str]) -> list[str]:
    """An environment per name in the example repository, extending its ``base.yaml``, each
    planned against a new project of ``server``; returns the names."""
    written = []
    for name in names:
        project = server.add_project()
        (repo / "environments" / f"{name}.yaml").write_text(
            f"extends: base.yaml\ntarget: {{ory_network: {{project: {project}}}}}\n"
        )
        written.append(name)
    return written
