"""Exit codes and output channels, as product.md §4 fixes them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO_ROOT, Run

ENV = {"LOGIN_HOOK_KEY": "hook-key-for-tests"}


@pytest.mark.parametrize(
    "args",
    [
        ("frobnicate",),
        ("plan", "--bogus-flag", "dev"),
        ("--color", "purple", "validate"),
        ("plan",),
    ],
)
def test_usage_errors_exit_64_never_2(example_repo: Path, run: Run, args: tuple[str, ...]) -> None:
    result = run(*args)
    assert result.code == 64
    assert "Usage:" in result.err
    assert result.out == ""


def test_validate_all_environments_of_the_example_repository(example_repo: Path, run: Run) -> None:
    result = run("validate", env=ENV)
    assert result.code == 0, result.err
    assert result.out.splitlines() == ["base: valid", "dev: valid", "local: valid", "prod: valid"]


def test_validate_reports_each_broken_environment_and_exits_1(example_repo: Path, run: Run) -> None:
    (example_repo / "environments" / "broken.yaml").write_text(
        "identity_config: {selfservice: 3}\n"
    )
    result = run("validate", env=ENV)
    assert result.code == 1
    assert "broken: invalid" in result.err
    assert (
        "environments/broken.yaml:1:19: identity_config.selfservice: "
        "must be a mapping (key: value pairs), got 3"
    ) in result.err
    assert "dev: valid" in result.out


def test_missing_variable_is_one_clear_error(example_repo: Path, run: Run) -> None:
    result = run("plan", "local")
    assert result.code == 1
    assert result.err.strip().endswith(
        "environments/local.yaml:22:21: identity_config.selfservice.flows.login.after.hooks[0]"
        ".config.auth.config.value: environment variable LOGIN_HOOK_KEY is not set"
    )
    assert "Traceback" not in result.err


def test_render_masks_secrets_and_resolves_layers(example_repo: Path, run: Run) -> None:
    result = run("render", "local", env=ENV)
    assert result.code == 0, result.err
    assert "hook-key-for-tests" not in result.out
    assert "value: (sensitive)" in result.out
    assert "issuer: Acme" in result.out  # from base.yaml
    assert "body: base64://" in result.out


def test_ory_network_target_without_api_key(example_repo: Path, run: Run) -> None:
    result = run("plan", "dev", env=ENV)
    assert result.code == 1
    assert "ORY_WORKSPACE_API_KEY is not set; it is needed for ory_network targets" in result.err


def test_layer_without_target_cannot_be_planned(example_repo: Path, run: Run) -> None:
    result = run("plan", "base")
    assert result.code == 1
    assert "base has no target: it can only be extended" in result.err


def test_apply_without_terminal_and_without_yes_is_refused(example_repo: Path, run: Run) -> None:
    kratos = example_repo / ".demo" / "kratos.yml"
    before = kratos.read_text()
    result = run("apply", "local", env=ENV)
    assert result.code == 1
    assert "pass --yes to apply without asking" in result.err
    assert kratos.read_text() == before


def test_detailed_exitcode(example_repo: Path, run: Run) -> None:
    assert run("plan", "local", env=ENV).code == 0
    assert run("plan", "local", "--detailed-exitcode", env=ENV).code == 2
    assert run("apply", "local", "--yes", env=ENV).code == 0
    assert run("plan", "local", "--detailed-exitcode", env=ENV).code == 0


def test_python_dash_m_and_version() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "reconciler", "--version"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        check=False,
    )
    assert result.returncode == 0
    assert result.stdout.startswith("reconciler, version ")


def test_version_does_not_import_the_heavy_modules() -> None:
    # Cold start: --version must not pay for pydantic, jsonschema, httpx or ruamel.
    probe = (
        "import sys; from reconciler.cli import main; main(['--version']); "
        "print(sorted(m for m in ('pydantic', 'jsonschema', 'httpx', 'ruamel.yaml') "
        "if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO_ROOT, check=False
    )
    assert result.stdout.splitlines()[-1] == "[]", result.stdout + result.stderr


def test_the_console_script_answers_version_without_click() -> None:
    probe = (
        "import sys; sys.argv = ['reconciler', '--version']; "
        "from reconciler.entry import main; main(); print('click' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO_ROOT, check=False
    )
    assert result.stdout.splitlines() == ["reconciler, version 0.1.0", "False"]
