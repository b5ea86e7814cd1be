"""``reconciler init``: a new config repository that validates at once, from nothing, from an
Ory Network project, or around a Kratos config file."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from reconciler.loading.editor_schema import MODELINE, environment_schema_text
from reconciler.loading.yamlio import load_with_positions
from reconciler.usecases import scaffold

from conftest import REPO_ROOT, Run
from ory_server import OryTestServer

_VARIABLE_LINE = re.compile(r"^  ([A-Z][A-Z0-9_]*): ", re.MULTILINE)


def _yaml(path: Path) -> Any:
    return load_with_positions(path.read_text(encoding="utf-8")).data


def test_init_in_an_empty_folder_then_validate(tmp_path: Path, run: Run) -> None:
    repo = tmp_path / "config"
    created = run("init", str(repo))
    assert created.code == 0, created.err
    assert "reconciler validate" in created.out
    for name in ("base", "dev"):
        assert (repo / "environments" / f"{name}.yaml").read_text().splitlines()[0] == MODELINE
    schema = json.loads((repo / "schemas" / "environment.schema.json").read_text())
    assert (repo / "schemas" / "environment.schema.json").read_text() == environment_schema_text()
    for name in ("base", "dev"):  # what the editor checks against accepts the files
        jsonschema.validate(_yaml(repo / "environments" / f"{name}.yaml"), schema)
    assert ".reconciler/" in (repo / ".gitignore").read_text().splitlines()
    assert (repo / "hooks").is_dir()
    workflow = _yaml(repo / ".github" / "workflows" / "reconciler.yml")
    runs = [s.get("run") for job in workflow["jobs"].values() for s in job["steps"]]
    assert f'python -I -m pip install --quiet "{scaffold.INSTALL}"' in runs

    validated = run("validate", root=repo)
    assert validated.code == 0, validated.err
    assert validated.out.splitlines() == ["base: valid", "dev: valid"]


def test_init_never_overwrites_and_writes_nothing_when_it_refuses(tmp_path: Path, run: Run) -> None:
    (tmp_path / "environments").mkdir()
    (tmp_path / "environments" / "dev.yaml").write_text("identity_config: {}\n")
    refused = run("init")  # the repository is --dir
    assert refused.code == 1
    assert "dev.yaml exists; init never overwrites a file" in refused.err
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["dev.yaml"]
    assert run("init", "--env", "staging").code == 0  # other names do not clash
    again = run("init", "--env", "staging")  # and again: same content, no clash
    assert again.code == 0
    assert again.out.startswith("The environment staging is in the config repository in ")


def test_init_adds_an_environment_to_an_existing_repository(tmp_path: Path, run: Run) -> None:
    assert run("init", "--env", "dev").code == 0
    workflow = tmp_path / ".github" / "workflows" / "reconciler.yml"
    kept = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and p != workflow}

    added = run("init", "--env", "staging")
    assert added.code == 0, added.err
    assert "Added the environment staging" in added.out
    assert "create the GitHub Environments staging and staging-allow-weaken" in added.out
    assert {p: p.read_bytes() for p in kept} == kept  # every file there is left as it was
    assert (tmp_path / "environments" / "staging.yaml").is_file()
    # The workflow init wrote, untouched, now plans and applies both (and is what init writes).
    assert workflow.read_text() == scaffold.github_workflow(["dev", "staging"])
    assert "workflows/reconciler.yml: it plans and applies staging too\n" in added.err
    validated = run("validate")
    assert validated.out.splitlines() == ["base: valid", "dev: valid", "staging: valid"]


def test_init_leaves_an_edited_workflow_and_says_which_lines_to_change(
    tmp_path: Path, run: Run
) -> None:
    assert run("init", "--env", "dev").code == 0
    workflow = tmp_path / ".github" / "workflows" / "reconciler.yml"
    edited = workflow.read_text().replace("runs-on: ubuntu-latest", "runs-on: self-hosted")
    workflow.write_text(edited)
    (tmp_path / ".gitignore").write_text("node_modules/\n")

    added = run("init", "--env", "prod")
    assert added.code == 0, added.err
    assert workflow.read_text() == edited
    numbered = edited.splitlines()
    lines = [n for n, line in enumerate(numbered, 1) if "INPUT_ENVIRONMENTS: dev" in line]
    assert len(lines) == 2  # plan and route; apply takes its one from the matrix
    for number in lines:
        assert (
            f"  line {number}: INPUT_ENVIRONMENTS: dev\n       -> INPUT_ENVIRONMENTS: dev prod\n"
            in added.err
        )
    assert ".gitignore as it is; add .reconciler/ to it" in added.err
    assert (tmp_path / ".gitignore").read_text() == "node_modules/\n"


def test_init_around_a_kratos_file_plans_it(tmp_path: Path, run: Run) -> None:
    deploy = tmp_path / "deploy"
    deploy.mkdir()
    for name in ("kratos.yml", "identity.schema.json"):
        shutil.copy(REPO_ROOT / "examples" / "kratos" / name, deploy / name)
    created = run("init", "--env", "local", "--kratos-file", str(deploy / "kratos.yml"))
    assert created.code == 0, created.err
    local = _yaml(tmp_path / "environments" / "local.yaml")
    assert local["target"] == {"kratos_file": {"path": "../deploy/kratos.yml"}}
    assert run("validate").code == 0
    planned = run("plan", "local", "--detailed-exitcode")
    assert planned.code == 0, planned.err
    assert "No changes." in planned.out

    outside = run("init", str(tmp_path / "other"), "--kratos-file", str(deploy / "kratos.yml"))
    assert outside.code == 1
    assert "must be inside the repository" in outside.err


def test_init_from_a_project_exports_it_and_plans_clean(
    tmp_path: Path, run: Run, ory_server: OryTestServer
) -> None:
    env = {"ORY_WORKSPACE_API_KEY": ory_server.workspace_key}
    env["ORY_CONSOLE_API_URL"] = ory_server.base_url
    created = run("init", "--env", "prod", "--from-project", ory_server.project_id, env=env)
    assert created.code == 0, created.err
    prod = tmp_path / "environments" / "prod.yaml"
    assert prod.read_text().splitlines()[0] == MODELINE
    document = _yaml(prod)
    assert document["extends"] == "base.yaml"
    assert document["target"] == {"ory_network": {"project": ory_server.project_id}}
    assert document["identity_config"]["selfservice"]
    variables = {name: "stand-in" for name in _VARIABLE_LINE.findall(created.err)}
    assert run("validate", env=variables).code == 0
    planned = run("plan", "prod", "--detailed-exitcode", env={**env, **variables})
    assert planned.code == 0, planned.out + planned.err
    assert ory_server.writes() == []


@pytest.mark.network
def test_pip_install_then_init_and_validate_in_an_empty_folder(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", str(REPO_ROOT)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert installed.returncode == 0, installed.stderr[-3000:]
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RECONCILER_", "ORY_"))}
    for command in (["init"], ["validate"]):
        result = subprocess.run(
            [str(venv / "bin" / "reconciler"), *command],
            cwd=empty,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == ["base: valid", "dev: valid"]


def test_init_drift_watch_adds_the_scheduled_workflow_for_the_targeted_environments(
    tmp_path: Path, run: Run
) -> None:
    assert run("init", str(tmp_path), "--env", "staging").code == 0
    prod = tmp_path / "environments" / "prod.yaml"
    prod.write_text("extends: base.yaml\ntarget:\n  ory_network: {project: p}\n")
    # A file that is not even text is read by the loader, which says so: not a crash here.
    (tmp_path / "environments" / "broken.yaml").write_bytes(b"target: \xff\n")
    added = run("init", str(tmp_path), "--drift-watch")
    assert added.code == 0, added.err
    workflow = (tmp_path / ".github" / "workflows" / "reconciler-drift.yml").read_text()
    assert workflow == scaffold.drift_workflow(["prod"])  # base.yaml and staging: no target
    assert "INPUT_COMMAND: drift" in workflow and "cron:" in workflow
    assert run("init", str(tmp_path), "--drift-watch").code == 0  # the same: nothing to do
    edited = tmp_path / ".github" / "workflows" / "reconciler-drift.yml"
    edited.write_text(workflow.replace("17 6", "0 3"))
    again = run("init", str(tmp_path), "--drift-watch")
    assert again.code == 1 and "init never overwrites a file" in again.err
    assert "0 3" in edited.read_text()
