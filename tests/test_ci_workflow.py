"""The pipelines in docs/ci.md, run as written (their shell steps, not the CI services)
against the local Ory test server: plan on a pull request, apply the saved plan on merge."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

from reconciler.yamlio import load_with_positions

from conftest import REPO_ROOT
from ory_server import OryTestServer

CI_DOC = REPO_ROOT / "docs" / "ci.md"
PROD = "2d3f6a1e-5b7c-4c8d-9e0f-1a2b3c4d5e6f"
HOOK_KEY = "ci-hook-key-5e0d"
BIN = Path(sys.executable).parent  # where the reconciler console script is installed


def _pipelines() -> tuple[dict[str, Any], dict[str, Any]]:
    blocks = re.findall(r"```yaml\n(.*?)```", CI_DOC.read_text(), flags=re.DOTALL)
    github, gitlab = (load_with_positions(block).data for block in blocks)
    assert isinstance(github, dict) and isinstance(gitlab, dict)
    return github, gitlab


def _step(job: dict[str, Any], name: str) -> str:
    (script,) = [step["run"] for step in job["steps"] if step.get("name") == name]
    assert "${{" not in script  # runnable as it is: everything comes from the environment
    return str(script)


def _shell(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # GitHub's `shell: bash` is `bash --noprofile --norc -eo pipefail`; GitLab runs -e too.
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _ci_env(server: OryTestServer, tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(tmp_path),
        "ORY_WORKSPACE_API_KEY": server.workspace_key,
        "ORY_CONSOLE_API_URL": server.base_url,
        "LOGIN_HOOK_KEY": HOOK_KEY,
        **extra,
    }


def _checkout(example_repo: Path, tmp_path: Path, name: str) -> Path:
    """A fresh copy of the repository, as another CI job would check it out."""
    copy = tmp_path / name
    shutil.copytree(example_repo, copy, ignore=shutil.ignore_patterns("plan.*"))
    return copy


def test_github_workflow_plans_the_pull_request_and_applies_the_saved_plan_on_merge(
    example_repo: Path, tmp_path: Path, ory_server: OryTestServer
) -> None:
    github, _ = _pipelines()
    outputs, summary = tmp_path / "github-output", tmp_path / "step-summary.md"
    env = _ci_env(
        ory_server,
        tmp_path,
        ENVIRONMENT="dev",
        GITHUB_OUTPUT=str(outputs),
        GITHUB_STEP_SUMMARY=str(summary),
    )
    pull_request = _checkout(example_repo, tmp_path, "pr")
    planned = _shell(_step(github["jobs"]["plan"], "Plan"), pull_request, env)
    assert planned.returncode == 0, planned.stderr
    assert outputs.read_text() == "exitcode=2\n"
    comment = (pull_request / "plan.md").read_text()
    assert comment.startswith("**reconciler plan** · `dev` · Plan: 1 to add, 6 to change")
    assert summary.read_text() == comment + "\n"
    saved = pull_request / "plan.json"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert ory_server.writes() == []

    merged = _checkout(example_repo, tmp_path, "merge")
    shutil.copy(saved, merged / "plan.json")  # the downloaded artifact
    applied = _shell(_step(github["jobs"]["apply"], "Apply"), merged, env)
    assert applied.returncode == 0, applied.stderr
    assert "Apply complete: 1 added, 6 changed, 0 reset." in applied.stdout
    assert len(ory_server.writes()) == 1


def test_gitlab_pipeline_plans_and_applies_the_saved_plan(
    example_repo: Path, tmp_path: Path, ory_server: OryTestServer
) -> None:
    _, gitlab = _pipelines()
    ory_server.add_project(project_id=PROD)
    env = _ci_env(ory_server, tmp_path, **{k: str(v) for k, v in gitlab["variables"].items()})
    checkout = _checkout(example_repo, tmp_path, "main")
    planned = _shell("\n".join(gitlab["plan"]["script"]), checkout, env)
    assert planned.returncode == 0, planned.stderr
    assert planned.stdout.startswith("**reconciler plan** · `prod` · Plan: 1 to add, 11 to change")
    assert HOOK_KEY not in (checkout / "plan.json").read_text()
    applied = _shell("\n".join(gitlab["apply"]["script"]), checkout, env)
    assert applied.returncode == 0, applied.stderr
    assert ory_server.stored_identity_config(PROD)["selfservice"]["methods"]["webauthn"]["enabled"]


def test_the_pre_commit_hook_runs_validate(example_repo: Path, tmp_path: Path) -> None:
    hooks: Any = load_with_positions((REPO_ROOT / ".pre-commit-hooks.yaml").read_text()).data
    (hook,) = hooks
    assert hook["id"] == "reconciler-validate"
    assert hook["pass_filenames"] is False
    env = {"PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "LOGIN_HOOK_KEY": "any"}
    result = _shell(hook["entry"], example_repo, env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "base: valid",
        "dev: valid",
        "local: valid",
        "prod: valid",
    ]
